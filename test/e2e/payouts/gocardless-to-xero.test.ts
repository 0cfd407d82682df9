// The whole chain over HTTP, GoCardless side: sales made in the app are collected by Direct Debit in the
// GoCardless emulator (metadata ledgerbridge_sale_id), one partly refunded (in the app and at GoCardless),
// one charged back and one failing late; GoCardless's fees carry VAT. The emulator's payout run pays them
// out; every webhook is delivered twice and in reverse order to /webhooks/gocardless; the GoCardless plugin
// records the payout, the Xero plugin posts it to the Xero emulator. Read back from Xero: the clearing
// account nets to zero for the payout, the one BankTransfer equals the payout to the penny, the fees spend
// equals GoCardless's fees with their VAT, and nothing is in Xero twice — also after the events come again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import { GoCardlessClient } from '../../../plugins/gocardless/client';
import type { PluginDefinition } from '../../../server/plugins/contract';
import { startEmulator, control, type Running } from '../../../emulators/gocardless/test/helpers';
import { assertPostedThroughClearing, bookCounts, outboxIdle, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';

const SECRET = 'gc-payout-chain-webhook-secret';
type Json = Record<string, unknown>;
const cents = (n: unknown) => Math.round(Number(n) * 100);

interface GcItem { type: string; amount: string; taxes?: { amount: string }[] }

for (const kind of dbKinds()) {
  describe(`GoCardless → app → Xero, over HTTP (${kind})`, () => {
    let gc: Running;
    let f: PayoutFixture;
    let client: GoCardlessClient;
    let payout: { id: string; amount: number; items: GcItem[] };
    let payoutId: number;

    const webhooksIdle = async () => {
      await gc.emulator.webhooks.idle();
      await outboxIdle(f);
    };

    before(async () => {
      gc = await startEmulator({ clockStart: Date.now() - 3_600_000 });
      f = await startPayoutFixture(kind, { plugins: [gocardlessPlugin as unknown as PluginDefinition<unknown>], env: { GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off' }, listen: true });
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const saved = await postForm(admin, '/plugins/gocardless', '/plugins/gocardless', { access_token: gc.emulator.accessToken!, webhook_secret: SECRET });
      assert.equal(saved.status, 303, saved.text.slice(0, 300));
      await control(gc.url, 'POST', '/webhook_endpoints', { url: `${f.baseUrl}/webhooks/gocardless`, secret: SECRET });
      client = new GoCardlessClient({ baseUrl: gc.url, accessToken: gc.emulator.accessToken! });
    });
    after(async () => {
      await f?.close();
      await gc?.close();
    });

    it('posts the emulator\'s payout to Xero: clearing nets to zero, the transfer equals the payout to the penny', async () => {
      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 2, hold: true });
      const amounts = [25_000, 1_234, 999, 50_000, 3_000, 47_500];
      const known: { saleId: number; payment: string; amount: number }[] = [];
      for (const [i, amount] of amounts.entries()) {
        const sale = await f.sell({ currency: 'GBP', customer: { name: `Member ${i}`, email: `dd${i}@example.com` }, lines: [{ description: 'Membership', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
        const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Member', family_name: String(i), email: `dd${i}@example.com` } });
        const payment = await client.createPayment({ amount, currency: 'GBP', mandate: m.mandate.id, description: `Membership ${i}`, metadata: { ledgerbridge_sale_id: String(sale.id) } });
        await control(gc.url, 'POST', `/payments/${payment.id}/confirm`);
        known.push({ saleId: sale.id, payment: payment.id, amount });
      }
      // The confirmations arrive (twice each, in reverse): the app records each payment on its sale.
      await control(gc.url, 'POST', '/webhooks/release', { order: 'reverse' });
      await webhooksIdle();
      assert.equal((await f.x.ctx.db('payments').where({ org_id: f.org.orgId, method: 'gocardless' })).length, amounts.length);

      // Part of one payment is refunded, in the app and at GoCardless; one is charged back, one fails late.
      const refund = await client.createRefund({ payment: known[0]!.payment, amount: 7_550, totalAmountConfirmation: 7_550 });
      await f.refund(known[0]!.saleId, { kind: 'amount', amount: '75.50', method: 'gocardless', providerRef: refund.id });
      await control(gc.url, 'POST', `/payments/${known[3]!.payment}/charge_back`);
      await control(gc.url, 'POST', `/payments/${known[4]!.payment}/fail`);
      const [run] = (await control<{ id: string; amount: number; items: GcItem[] }[]>(gc.url, 'POST', '/payouts/run', { paid: true })).body;
      assert.ok(run, 'a payout was made');
      payout = run;
      const types = new Set(payout.items.map((i) => i.type));
      for (const t of ['payment_paid_out', 'gocardless_fee', 'payment_refunded', 'payment_charged_back', 'payment_failed']) assert.ok(types.has(t), `payout has a ${t} item`);

      await control(gc.url, 'POST', '/webhooks/release', { order: 'reverse' });
      await webhooksIdle();
      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 1, hold: false });
      const rows = (await f.x.ctx.db('payouts').where({ org_id: f.org.orgId })) as Json[];
      assert.equal(rows.length, 1);
      payoutId = Number(rows[0]!.id);
      assert.deepEqual([rows[0]!.provider_payout_id, Number(rows[0]!.amount_minor), rows[0]!.status], [payout.id, payout.amount, 'received']);

      const state = await waitForPayout(f, payoutId, ['posted', 'failed', 'needs_signoff']);
      assert.equal(state.status, 'posted', String(state.message));
      const books = await assertPostedThroughClearing(f, state, { name: 'GoCardless clearing', payoutMinor: payout.amount });
      assert.deepEqual(books.payments.map((p) => cents(p.Amount)).sort((a, b) => a - b), [...amounts].sort((a, b) => a - b));
      assert.deepEqual(books.refunds.map((p) => cents(p.Amount)), [7_550]);
      // Fees (net of those given back on the chargeback and the failure) as one spend, VAT as GoCardless charged it.
      const tenthsToMinor = (s: string) => Math.round(Number(s));
      const feeItems = payout.items.filter((i) => i.type.endsWith('_fee'));
      const fees = -feeItems.reduce((s, i) => s + tenthsToMinor(i.amount), 0);
      const vat = feeItems.reduce((s, i) => s + (i.taxes ?? []).reduce((t, x) => t + Math.abs(tenthsToMinor(x.amount)) * Math.sign(-tenthsToMinor(i.amount)), 0), 0);
      const feeTxn = books.bankTransactions.filter((t) => String(t.Reference).startsWith(`LBP${payoutId}-FEES`));
      assert.equal(feeTxn.length, 1);
      assert.deepEqual([feeTxn[0]!.Type, cents(feeTxn[0]!.Total), cents(feeTxn[0]!.TotalTax)], ['SPEND', fees, vat]);
      // The chargeback and the late failure: money out of clearing, one spend each.
      const outs = books.bankTransactions.filter((t) => !String(t.Reference).includes('-FEES')).map((t) => [t.Type, cents(t.Total)]);
      assert.deepEqual(outs.sort(), [['SPEND', amounts[3]], ['SPEND', amounts[4]]].sort());
      const invoices = (await f.books<Json>('invoices')).filter((i) => i.Type === 'ACCREC' && i.Status !== 'DELETED' && i.Status !== 'VOIDED');
      assert.equal(invoices.length, amounts.length);

      // The accountant's page names the record each row really became: a fee row is in the fees spend (it
      // said "credit note of sale N" for sales never refunded, issue 18 #3).
      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const page = await accountant.get(`/plugins/xero/payouts/${payoutId}`).expect(200);
      const pageRows = [...page.text.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' '));
      const feeRows = pageRows.filter((r) => /^\s*\d{1,2} [A-Z][a-z]{2} \d{4} fee /.test(r)); // the day as people write it: "3 Dec 2026"
      assert.ok(feeRows.length >= feeItems.length, `fee rows shown: ${feeRows.join(' | ')}`);
      for (const row of feeRows) assert.doesNotMatch(row, /credit note/, row);
      assert.ok(feeRows.every((r) => /in the fees spend/.test(r)), feeRows.join(' | '));
    });

    it('every event sent again, in reverse, changes nothing in the app or in Xero', async () => {
      const snapshot = () => bookCounts(f);
      await webhooksIdle();
      const before = await snapshot();
      const events = (await control<{ id: string; created_at: string }[]>(gc.url, 'GET', '/events')).body;
      assert.ok(events.length >= 10);
      await control(gc.url, 'POST', '/events/resend', { event_ids: events.map((e) => e.id).reverse() });
      await webhooksIdle();
      const hooks = (await control<{ state: string }[]>(gc.url, 'GET', '/webhooks')).body;
      assert.ok(hooks.every((h) => h.state === 'delivered'), JSON.stringify(hooks.filter((h) => h.state !== 'delivered')).slice(0, 500));
      assert.equal(((await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).first()) as Json).status, 'posted');
      assert.deepEqual(await snapshot(), before);
    });
  });
}
