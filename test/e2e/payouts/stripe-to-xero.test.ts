// The whole chain over HTTP, Stripe side: sales made in the app are paid by card in the Stripe emulator
// (200 charges, metadata ledgerbridge_sale_id), a phone payment without our sale id and a charge we know nothing
// about, seven refunds issued in the app and in Stripe (two partial), a dispute; the emulator's automatic
// payout sweeps them; every webhook is delivered twice and newest first to /webhooks/stripe; the Stripe
// plugin records the payout, the Xero plugin posts it to the Xero emulator. Read back from Xero: the
// clearing account nets to zero for the payout, the one BankTransfer equals the payout to the penny, the
// fees spend equals Stripe's fees, and nothing is in Xero twice — also after every event is sent again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import { DAY_MS, type Running } from '../../../emulators/stripe/test/harness';
import { assertPostedThroughClearing, bookCounts, outboxIdle, startStripePayoutWorld, waitForPayout, waitForRecordedPayouts, type PayoutFixture } from './fixture';

const SECRET = 'whsec_payoutChainSigningSecret0123';
const CHARGES = 200;
const FULL_REFUNDS = [0, 3, 4, 5, 6];
const PARTIAL_REFUNDS = [1, 7];
const DISPUTED = 2;
type Json = Record<string, unknown>;
const cents = (n: unknown) => Math.round(Number(n) * 100);

for (const kind of dbKinds()) {
  describe(`Stripe → app → Xero, over HTTP (${kind})`, () => {
    let emu: Running;
    let f: PayoutFixture;
    let payout: Stripe.Payout;
    let payoutId: number;
    const known: { saleId: number; charge: string; amount: number }[] = [];
    let sales = 0;

    let world: Awaited<ReturnType<typeof startStripePayoutWorld>> | undefined;
    before(async () => {
      world = await startStripePayoutWorld(kind, SECRET);
      ({ f, emu } = world);
    });
    after(async () => world?.close());

    it('posts the emulator\'s payout to Xero: clearing nets to zero, the transfer equals the payout to the penny', async () => {
      // Every webhook of the day is held, duplicated, and released newest first.
      await emu.control('/webhooks/settings', { hold: true, duplicate: true });
      // 200 card charges of awkward amounts (£5.00 to £254.99, odd pennies), as the payout asks.
      const amounts = Array.from({ length: CHARGES }, (_, i) => 500 + ((i * 7_919 + 13) % 25_000));
      for (const [i, amount] of amounts.entries()) {
        const sale = await f.sell({ currency: 'GBP', reference: `WEB-${i}`, customer: { name: `Member ${i}`, email: `member${i}@example.com` }, lines: [{ description: 'Class pass', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
        sales++;
        const pi = await emu.stripe.paymentIntents.create({ amount, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, receipt_email: `member${i}@example.com`, metadata: { ledgerbridge_sale_id: String(sale.id) } });
        known.push({ saleId: sale.id, charge: String(pi.latest_charge), amount });
      }
      // Paid by phone through the Stripe dashboard: no sale id, but the invoice number and the payer's email.
      const phone = await f.sell({ currency: 'GBP', customer: { name: 'Caller One', email: 'caller@example.com' }, lines: [{ description: 'Course', quantity: 1, unitPrice: '64.20' }] });
      sales++;
      await emu.stripe.paymentIntents.create({ amount: 6_420, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, receipt_email: 'caller@example.com', description: `Invoice LB-${phone.id}` });
      // A charge nothing in our books explains: waits for the accountant.
      await emu.stripe.paymentIntents.create({ amount: 7_777, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, description: 'Card payment' });
      // The charges' webhooks arrive (twice each, newest first) before anyone refunds: the app has the
      // payments. (A refund issued in the app before its charge's payment is recorded leaves nothing
      // outstanding on the sale, so the charge cannot be recorded and the payout fails that line for a person.)
      await emu.control('/webhooks/release', { order: 'reverse' });
      await outboxIdle(f);
      // Seven refunds, issued in the app and at Stripe: five full, two partial (a third of the charge).
      for (const i of FULL_REFUNDS) {
        const refund = await emu.stripe.refunds.create({ charge: known[i]!.charge });
        await f.refund(known[i]!.saleId, { kind: 'full', method: 'stripe', providerRef: refund.id });
      }
      for (const i of PARTIAL_REFUNDS) {
        const part = Math.floor(amounts[i]! / 3);
        const refund = await emu.stripe.refunds.create({ charge: known[i]!.charge, amount: part });
        await f.refund(known[i]!.saleId, { kind: 'amount', amount: (part / 100).toFixed(2), method: 'stripe', providerRef: refund.id });
      }
      // A dispute on another sale's charge (Stripe takes the amount and a £20 fee).
      await emu.control('/disputes', { charge: known[DISPUTED]!.charge });
      // Funds become available after 3 days; the daily automatic payout sweeps them and arrives a day later.
      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      [payout] = (await emu.stripe.payouts.list()).data as [Stripe.Payout];
      assert.equal(payout?.status, 'paid');

      await emu.control('/webhooks/settings', { hold: false, duplicate: false });
      await emu.control('/webhooks/release', { order: 'reverse' });
      const deliveries = (await emu.control('/deliveries', undefined, 'GET')).body as { eventType: string; attempts: { status: number }[] }[];
      assert.equal(deliveries.filter((d) => d.eventType === 'payout.paid').length, 2, 'payout.paid delivered twice');
      assert.ok(deliveries.every((d) => d.attempts.every((a) => a.status === 200)), 'every delivery accepted');

      const rows = await waitForRecordedPayouts(f);
      assert.equal(rows.length, 1);
      payoutId = Number(rows[0]!.id);
      assert.equal(Number(rows[0]!.amount_minor), payout.amount);

      // Everything but the unexplained charge posts by itself; that one waits for sign-off.
      const waiting = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
      assert.equal(waiting.status, 'needs_signoff', String(waiting.message));
      const matches = (await f.x.ctx.db('xero_payout_matches').where({ payout_id: payoutId }).orderBy('line_id')) as Json[];
      assert.deepEqual(matches.map((m) => m.status).sort(), ['auto', 'queued']);
      assert.equal(matches.find((m) => m.status === 'auto')!.invoice_number, `LB-${phone.id}`);
      assert.equal((await f.books('banktransfers')).length, 0, 'no transfer while a charge waits');

      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const queued = Number(matches.find((m) => m.status === 'queued')!.line_id);
      const signed = await postForm(accountant, '/plugins/xero/payouts/signoff', `/plugins/xero/payouts/signoff/${queued}`, { action: 'suspense' });
      assert.equal(signed.status, 303, signed.text.slice(0, 300));
      const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
      assert.equal(state.status, 'posted', String(state.message));

      // Read Xero back.
      const books = await assertPostedThroughClearing(f, state, { name: 'Stripe clearing', payoutMinor: payout.amount });
      // Each charge is one payment into clearing: the known sales (by the sync) and the phone payment (matched).
      assert.equal(books.payments.length, amounts.length + 1);
      assert.deepEqual(books.payments.map((p) => cents(p.Amount)).sort((a, b) => a - b), [...amounts, 6_420].sort((a, b) => a - b));
      const refunded = [...FULL_REFUNDS.map((i) => amounts[i]!), ...PARTIAL_REFUNDS.map((i) => Math.floor(amounts[i]! / 3))];
      assert.deepEqual(books.refunds.map((p) => cents(p.Amount)).sort((a, b) => a - b), refunded.sort((a, b) => a - b));
      // Stripe's fees (charges and the dispute fee) are one spend; the dispute and the unexplained charge one each.
      const bts = (await emu.stripe.balanceTransactions.list({ payout: payout.id, limit: 100 }).autoPagingToArray({ limit: 10_000 })).filter((b) => b.type !== 'payout');
      const fees = bts.reduce((s, b) => s + b.fee, 0);
      const byRef = (key: string) => books.bankTransactions.filter((t) => String(t.Reference).startsWith(`LBP${payoutId}-${key}`));
      assert.equal(byRef('FEES').length, 1);
      assert.equal(cents(byRef('FEES')[0]!.Total), fees);
      assert.equal(books.bankTransactions.length, 3, JSON.stringify(books.bankTransactions.map((t) => [t.Type, t.Total, t.Reference])));
      assert.deepEqual(books.bankTransactions.filter((t) => t.Type === 'RECEIVE').map((t) => cents(t.Total)), [7_777]);
      const dispute = books.bankTransactions.find((t) => t.Type === 'SPEND' && !String(t.Reference).includes('-FEES'))!;
      assert.equal(cents(dispute.Total), amounts[DISPUTED]);
      // Nothing twice: one invoice per sale, one payment per known charge in the app.
      const invoices = (await f.books<Json>('invoices')).filter((i) => i.Type === 'ACCREC' && i.Status !== 'DELETED' && i.Status !== 'VOIDED');
      assert.equal(invoices.length, sales);
      const appPayments = (await f.x.ctx.db('payments').where({ org_id: f.org.orgId, method: 'stripe' })) as Json[];
      assert.deepEqual(appPayments.map((p) => p.provider_ref).sort(), known.map((k) => k.charge).sort());
    });

    it('every event sent again (fresh signatures, any order) changes nothing in the app or in Xero', async () => {
      const snapshot = () => bookCounts(f);
      await outboxIdle(f);
      const before = await snapshot();
      const events = (await emu.control('/events', undefined, 'GET')).body as { id: string; type: string }[];
      const wanted = events.filter((e) => e.type === 'payout.paid' || e.type === 'charge.succeeded');
      assert.ok(wanted.length >= 10);
      for (const e of [...wanted].reverse()) {
        const sent = (await emu.control(`/events/${e.id}/redeliver`, {})).body as { attempts: { status: number }[] }[];
        assert.equal(sent[0]!.attempts[0]!.status, 200);
      }
      await outboxIdle(f);
      const state = (await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).first()) as Json;
      assert.equal(state.status, 'posted');
      assert.deepEqual(await snapshot(), before);
    });
  });
}
