// Refunds of converted sales over HTTP: USD sales paid by card on a GB Stripe account (settled in GBP at
// Stripe's rate), then refunded by staff in the app (method stripe) and in Stripe — one in part, one in full
// — before their payout; a GBP sale refunded the same way rides along. The sync creates each USD credit
// note at once but leaves its pay-out for the payout (it cannot know Stripe will convert it); the payout
// pays each one out of the GBP clearing account in USD at Stripe's rate. The GBP refund is paid out by the
// sync in real time, as ever. Read back from Xero: every credit note PAID by one payment, the USD ones
// booked at what Stripe took from the balance, no USD clearing account, clearing nets to zero, the one
// transfer equals the payout to the penny; a second posting run changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type Stripe from 'stripe';
import { dbKinds } from '../../support/db';
import { DAY_MS, type Running } from '../../../emulators/stripe/test/harness';
import { AWAITING_PAYOUT } from '../../../plugins/xero/clearing/awaitingPayout';
import { enqueuePayoutPost } from '../../../plugins/xero/payouts/enqueue';
import { assertPostedThroughClearing, idOf, outboxIdle, startStripePayoutWorld, waitForPayout, waitForRecordedPayouts, type PayoutFixture } from './fixture';

const SECRET = 'whsec_payoutFxRefundSecret0123456';
type Json = Record<string, unknown>;
const cents = (n: unknown) => Math.round(Number(n) * 100);

for (const kind of dbKinds()) {
  describe(`Stripe refunds of USD sales settled in GBP → app → Xero, over HTTP (${kind})`, () => {
    let emu: Running;
    let f: PayoutFixture;
    let world: Awaited<ReturnType<typeof startStripePayoutWorld>> | undefined;
    before(async () => {
      world = await startStripePayoutWorld(kind, SECRET);
      ({ f, emu } = world);
    });
    after(async () => world?.close());

    it('pays each USD refund out of the GBP clearing account at Stripe\'s rate; clearing nets to zero; the transfer equals the payout', async () => {
      const sold: { currency: 'USD' | 'GBP'; saleId: number; charge: string; refundId: number; refundMinor: number; stripeRefund: string }[] = [];
      const sellAndRefund = async (currency: 'USD' | 'GBP', i: number, amount: number, refundMinor: number, card: string) => {
        const s = await f.sell({ currency, reference: `R${currency}-${i}`, customer: { name: `Refunded ${currency} ${i}`, email: `refunded${currency}${i}@example.com` }, lines: [{ description: 'Room night', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
        const pi = await emu.stripe.paymentIntents.create({ amount, currency: currency.toLowerCase(), payment_method: card, confirm: true, metadata: { ledgerbridge_sale_id: String(s.id) } });
        const charge = String(pi.latest_charge);
        const r = await f.refund(s.id, { kind: 'amount', amount: (refundMinor / 100).toFixed(2), method: 'stripe', reason: 'Cancelled' });
        const refund = await emu.stripe.refunds.create({ charge, amount: refundMinor });
        sold.push({ currency, saleId: s.id, charge, refundId: r.id, refundMinor, stripeRefund: refund.id });
      };
      await sellAndRefund('USD', 0, 10_000, 3_000, 'pm_card_us');
      await sellAndRefund('USD', 1, 4_876, 4_876, 'pm_card_us');
      await sellAndRefund('GBP', 0, 6_000, 1_500, 'pm_card_gb');
      await outboxIdle(f);

      // Before the payout: every credit note is in Xero; the USD ones wait for their payout, the GBP one is paid out.
      const payOutRecords = async () => new Map(((await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'refund', record_type: 'refund_payment' })) as Json[])
        .map((r) => [Number(r.entity_id), r]));
      const early = await payOutRecords();
      for (const s of sold) assert.equal(early.get(s.refundId)?.status, s.currency === 'USD' ? AWAITING_PAYOUT : 'PAID', `refund ${s.refundId} (${s.currency})`);
      const notesBefore = await f.books<Json>('creditnotes');
      for (const s of sold.filter((x) => x.currency === 'USD')) {
        const note = notesBefore.find((n) => n.CreditNoteNumber === `LB-R-${s.refundId}`)!;
        assert.deepEqual([note.CurrencyCode, note.Status, cents(note.RemainingCredit)], ['USD', 'AUTHORISED', s.refundMinor], 'created, not paid out yet');
      }

      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      const [payout] = (await emu.stripe.payouts.list()).data as [Stripe.Payout];
      assert.equal(payout?.status, 'paid');
      assert.equal(payout.currency, 'gbp');
      const [row] = await waitForRecordedPayouts(f);
      const payoutId = Number(row!.id);
      const state = await waitForPayout(f, payoutId, ['posted', 'failed', 'needs_signoff', 'discrepancy']);
      assert.equal(state.status, 'posted', String(state.message));
      const books = await assertPostedThroughClearing(f, state, { name: 'Stripe clearing', payoutMinor: payout.amount });
      const clearing = String(state.clearing_account_id).toLowerCase();
      assert.equal((await f.books<Json>('accounts')).filter((a) => String(a.Name).startsWith('Stripe clearing')).length, 1, 'no USD clearing account');

      // Each refund: its credit note PAID by exactly one payment out of the GBP clearing account.
      const bts = (await emu.stripe.balanceTransactions.list({ payout: payout.id, limit: 100 })).data;
      const notes = await f.books<Json>('creditnotes');
      const payments = (await f.books<Json>('payments')).filter((p) => p.Status !== 'DELETED');
      const late = await payOutRecords();
      for (const s of sold) {
        const note = notes.find((n) => n.CreditNoteNumber === `LB-R-${s.refundId}`)!;
        assert.deepEqual([note.CurrencyCode, note.Status, cents(note.RemainingCredit)], [s.currency, 'PAID', 0], `refund ${s.refundId}`);
        const onNote = payments.filter((p) => idOf(p.CreditNote, 'CreditNoteID') === idOf(note, 'CreditNoteID'));
        assert.equal(onNote.length, 1, `one pay-out of refund ${s.refundId}`);
        const p = onNote[0]!;
        assert.equal(idOf(p.Account, 'AccountID'), clearing, 'out of the GBP clearing account');
        assert.equal(cents(p.Amount), s.refundMinor, 'in the credit note currency, as the customer got it');
        const settled = -bts.find((b) => b.source === s.stripeRefund)!.amount;
        assert.equal(cents(p.BankAmount ?? p.Amount), settled, 'booked at what Stripe took from the balance');
        if (s.currency === 'USD') assert.ok(Math.abs(Number(p.CurrencyRate) - s.refundMinor / settled) < 1e-6, `CurrencyRate ${String(p.CurrencyRate)} is Stripe's`);
        assert.equal(late.get(s.refundId)?.status, 'PAID');
        assert.equal(String(late.get(s.refundId)?.xero_id).toLowerCase(), idOf(p, 'PaymentID'));
      }
      assert.equal(books.refunds.length, sold.length, 'the refunds are the only pay-outs from clearing');
      const trail = (await f.x.ctx.db('xero_audit').where({ entity_type: 'refund', action: 'refund_paid' }).whereIn('entity_id', sold.map((s) => s.refundId))) as Json[];
      assert.equal(trail.length, sold.length, 'each refund\'s own trail says where its money went');

      // A second posting run (the nightly sweep) sends nothing.
      await outboxIdle(f);
      const before = await f.counts();
      const since = await f.x.ctx.db('outbox').max({ id: 'id' }).first() as { id: number };
      await f.x.ctx.db.transaction(async (trx) => enqueuePayoutPost(f.x.ctx, trx, f.org.orgId, payoutId, { again: { triggeredBy: 'system', why: 'test' } }));
      await outboxIdle(f);
      assert.ok((await f.x.ctx.db('outbox').where('id', '>', since.id)).every((i: Json) => i.status === 'done'), 'the second run finished');
      assert.equal((await waitForPayout(f, payoutId, ['posted', 'failed'])).status, 'posted');
      await outboxIdle(f);
      assert.deepEqual(await f.counts(), before);
      assert.equal((await f.x.ctx.db('outbox').where({ status: 'dead' })).length, 0);
    });
  });
}
