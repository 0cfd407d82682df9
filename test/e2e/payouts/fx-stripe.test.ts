// Currency conversion over HTTP: sales made in the app in USD are paid by card in the Stripe emulator on a
// GB account, which settles them in GBP at its rate (balance transactions in GBP with exchange_rate); two
// GBP sales ride along. Every webhook is delivered twice and newest first. The Stripe plugin leaves the
// converted charges off their sales until the payout; the Xero plugin pays each USD invoice in USD into the
// GBP "Stripe clearing" account at Stripe's rate (CurrencyRate), records the charge on the sale, and the
// sync's own push of that payment adopts it; the first such payment's answer is lost (landed, then a timeout)
// and its retry finds it by Reference. Read back from Xero: each USD invoice is PAID by one payment
// whose bank side (BankAmount) is what Stripe settled, the clearing account nets to zero in GBP, the one
// transfer equals the payout to the penny, no USD clearing account exists — and events sent again change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { dbKinds } from '../../support/db';
import { DAY_MS, type Running } from '../../../emulators/stripe/test/harness';
import { clearingBalanceCents, idOf, outboxIdle, startStripePayoutWorld, waitForPayout, waitForRecordedPayouts, type PayoutFixture } from './fixture';

const SECRET = 'whsec_payoutFxSigningSecret012345';
type Json = Record<string, unknown>;
const cents = (n: unknown) => Math.round(Number(n) * 100);

for (const kind of dbKinds()) {
  describe(`Stripe (USD settled in GBP) → app → Xero, over HTTP (${kind})`, () => {
    let emu: Running;
    let f: PayoutFixture;
    let payout: Stripe.Payout;
    let payoutId: number;
    const usd: { saleId: number; charge: string; amount: number }[] = [];
    const gbp: { saleId: number; charge: string; amount: number }[] = [];

    let world: Awaited<ReturnType<typeof startStripePayoutWorld>> | undefined;
    before(async () => {
      world = await startStripePayoutWorld(kind, SECRET);
      ({ f, emu } = world);
    });
    after(async () => world?.close());

    it('pays each USD invoice in USD at Stripe\'s rate; clearing nets to zero in GBP; the transfer equals the payout', async () => {
      await emu.control('/webhooks/settings', { hold: true, duplicate: true });
      const sale = async (currency: 'USD' | 'GBP', i: number, amount: number, card: string, into: typeof usd) => {
        const s = await f.sell({ currency, reference: `${currency}-${i}`, customer: { name: `Guest ${currency} ${i}`, email: `guest${currency}${i}@example.com` }, lines: [{ description: 'Room night', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
        const pi = await emu.stripe.paymentIntents.create({ amount, currency: currency.toLowerCase(), payment_method: card, confirm: true, receipt_email: `guest${currency}${i}@example.com`, metadata: { ledgerbridge_sale_id: String(s.id) } });
        into.push({ saleId: s.id, charge: String(pi.latest_charge), amount });
      };
      for (const [i, amount] of [10_000, 12_345, 999, 48_761].entries()) await sale('USD', i, amount, 'pm_card_us', usd);
      for (const [i, amount] of [4_999, 7_050].entries()) await sale('GBP', i, amount, 'pm_card_gb', gbp);
      await emu.control('/webhooks/release', { order: 'reverse' });
      await outboxIdle(f);

      // The GBP charges are on their sales at once; the converted ones wait for their payout.
      const onSales = async () => ((await f.x.ctx.db('payments').where({ org_id: f.org.orgId, method: 'stripe' })) as Json[]).map((p) => String(p.provider_ref)).sort();
      assert.deepEqual(await onSales(), gbp.map((g) => g.charge).sort());

      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      [payout] = (await emu.stripe.payouts.list()).data as [Stripe.Payout];
      assert.equal(payout?.status, 'paid');
      assert.equal(payout.currency, 'gbp');
      // The first converted payment lands in Xero but its answer never comes: the retry must find it, not send it again.
      const fault = await fetch(`${f.emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/api.xro/2.0/Payments', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 }) });
      assert.equal(fault.status, 201);
      await emu.control('/webhooks/settings', { hold: false, duplicate: false });
      await emu.control('/webhooks/release', { order: 'reverse' });

      const [row] = await waitForRecordedPayouts(f);
      payoutId = Number(row!.id);
      const state = await waitForPayout(f, payoutId, ['posted', 'failed', 'needs_signoff', 'discrepancy']);
      assert.equal(state.status, 'posted', String(state.message));

      // What Stripe did: each USD charge settled in GBP at its exchange_rate.
      const bts = (await emu.stripe.balanceTransactions.list({ payout: payout.id, limit: 100 })).data.filter((b) => b.type !== 'payout');
      const settledOf = (charge: string) => bts.find((b) => b.source === charge)!;
      for (const u of usd) {
        const bt = settledOf(u.charge);
        assert.equal(bt.currency, 'gbp');
        assert.equal(bt.exchange_rate, 0.79);
        assert.equal(bt.amount, Math.round(u.amount * 0.79));
      }
      const lines = (await f.x.ctx.db('payout_lines').where({ payout_id: payoutId }).orderBy('position')) as Json[];
      const usdLines = lines.filter((l) => l.original_currency === 'USD');
      assert.equal(usdLines.length, usd.length, 'the Stripe plugin carried each conversion');
      for (const l of usdLines) assert.equal(l.exchange_rate, '0.79');

      // Read Xero back.
      const clearing = String(state.clearing_account_id);
      const accounts = await f.books<Json>('accounts');
      const account = accounts.find((a) => idOf(a, 'AccountID') === clearing.toLowerCase())!;
      assert.deepEqual([account.Name, account.CurrencyCode ?? 'GBP'], ['Stripe clearing', 'GBP']);
      assert.equal(accounts.filter((a) => String(a.Name).startsWith('Stripe clearing')).length, 1, 'no USD clearing account');
      assert.equal(await clearingBalanceCents(f, clearing), 0, 'the clearing account nets to zero in GBP');
      const transfers = (await f.books<Json>('banktransfers')).filter((t) => idOf(t.FromBankAccount, 'AccountID') === clearing.toLowerCase());
      assert.equal(transfers.length, 1);
      assert.equal(cents(transfers[0]!.Amount), payout.amount, 'the transfer equals the payout to the penny');

      const invoices = await f.books<Json>('invoices');
      const payments = (await f.books<Json>('payments')).filter((p) => p.Status !== 'DELETED');
      const records = (await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice' })) as Json[];
      for (const u of usd) {
        const invoiceId = String(records.find((r) => Number(r.entity_id) === u.saleId)!.xero_id).toLowerCase();
        const invoice = invoices.find((i) => idOf(i, 'InvoiceID') === invoiceId)!;
        assert.deepEqual([invoice.CurrencyCode, invoice.Status, cents(invoice.AmountDue), cents(invoice.AmountPaid)], ['USD', 'PAID', 0, u.amount], `sale ${u.saleId}`);
        const onInvoice = payments.filter((p) => idOf(p.Invoice, 'InvoiceID') === invoiceId);
        assert.equal(onInvoice.length, 1, 'one payment per converted charge');
        const p = onInvoice[0]!;
        const settled = settledOf(u.charge).amount;
        assert.equal(idOf(p.Account, 'AccountID'), clearing.toLowerCase(), 'into the GBP clearing account');
        assert.equal(cents(p.Amount), u.amount, 'in the invoice currency, as the customer paid');
        assert.equal(cents(p.BankAmount), settled, 'booked into clearing at what Stripe settled');
        assert.ok(Math.abs(Number(p.CurrencyRate) - u.amount / settled) < 1e-6, `CurrencyRate ${String(p.CurrencyRate)} is Stripe's (USD per GBP)`);
      }
      // The app has each converted charge on its sale, in USD, and the sync adopted the Xero payment.
      assert.deepEqual(await onSales(), [...gbp, ...usd].map((g) => g.charge).sort());
      const appPayments = (await f.x.ctx.db('payments').where({ org_id: f.org.orgId, method: 'stripe' })) as Json[];
      for (const u of usd) assert.equal(Number(appPayments.find((p) => p.provider_ref === u.charge)!.amount_minor), u.amount);
      await outboxIdle(f);
      const payRecords = (await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'payment', record_type: 'payment' })) as Json[];
      assert.equal(payRecords.length, usd.length + gbp.length);
      assert.ok(payRecords.every((r) => r.xero_id), 'every payment of the app is in Xero');
      assert.equal(new Set(payRecords.map((r) => String(r.xero_id).toLowerCase())).size, payRecords.length);
      assert.equal(payments.filter((p) => p.PaymentType === 'ACCRECPAYMENT').length, usd.length + gbp.length, 'nothing paid twice');
      const adopted = (await f.x.ctx.db('xero_audit').where({ entity_type: 'payout', entity_id: payoutId, action: 'adopted' })) as Json[];
      assert.equal(adopted.length, 1, 'the payment whose answer was lost was found by its Reference and adopted');
      assert.equal((await f.x.ctx.db('outbox').where({ status: 'dead' })).length, 0);
    });

    it('every event sent again changes nothing in the app or in Xero', async () => {
      const snapshot = async () => ({
        xero: await f.counts(),
        payments: (await f.x.ctx.db('payments')).length,
        steps: (await f.x.ctx.db('xero_payout_steps')).length,
      });
      await outboxIdle(f);
      const before = await snapshot();
      const events = (await emu.control('/events', undefined, 'GET')).body as { id: string; type: string }[];
      for (const e of events.filter((x) => x.type === 'payout.paid' || x.type === 'charge.succeeded').reverse()) {
        const sent = (await emu.control(`/events/${e.id}/redeliver`, {})).body as { attempts: { status: number }[] }[];
        assert.equal(sent[0]!.attempts[0]!.status, 200);
      }
      await outboxIdle(f);
      assert.equal(((await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).first()) as Json).status, 'posted');
      assert.deepEqual(await snapshot(), before);
    });
  });
}
