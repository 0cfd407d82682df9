// A deposit taken by card (Stripe) before its invoice, then paid out in a Stripe payout, on SQLite and
// PostgreSQL: the deposit's prepayment goes into Stripe's clearing account (no account mapped for Stripe),
// and the payout counts the charge as in Xero (a prepayment, not an invoice payment), so it posts: its fee,
// the transfer of the payout to the bank, the clearing account netting to zero — read back from Xero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PayoutInput } from '../../../server/plugins/contract';
import { dbKinds } from '../../support/db';
import { setMappings } from '../xero/syncFixture';
import { assertPostedThroughClearing, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';

const DAY = 86_400_000;
type Json = Record<string, unknown>;

for (const kind of dbKinds()) {
  describe(`a card deposit in a Stripe payout (${kind})`, { timeout: 180_000 }, () => {
    let f: PayoutFixture;
    before(async () => {
      f = await startPayoutFixture(kind);
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
    });
    after(async () => f?.close());

    it('the prepayment lands in the clearing account and the payout posts through it to the penny', async () => {
      const serviceDate = new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(Date.now() + 40 * DAY));
      const sale = await f.sell({ currency: 'GBP', reference: 'CAMP-WEB', customer: { name: 'Online Olive', email: 'olive@example.com' }, serviceDate, lines: [{ description: 'Summer camp', quantity: 1, unitPrice: '120.00', taxCode: 'OUTPUT2' }] });
      const charged = Date.now() - 60_000;
      const { paymentId } = await f.x.ctx.payments.record(f.org.orgId, sale.id, { method: 'stripe', amountMinor: 4000, currency: 'GBP', providerRef: 'ch_deposit_1', receivedAt: charged });
      const deadline = Date.now() + 30_000;
      while ((await f.x.ctx.db('sync_records').where({ entity_type: 'payment', entity_id: paymentId, record_type: 'prepayment' }).first())?.status !== 'synced') {
        if (Date.now() > deadline) throw new Error('the deposit did not reach Xero');
        await new Promise((r) => setTimeout(r, 100));
      }
      const receipt = (await f.books<Json>('banktransactions')).find((t) => t.Type === 'RECEIVE-PREPAYMENT' && t.Reference === `LB-P-${paymentId} ch_deposit_1`);
      assert.ok(receipt, 'the deposit is a prepayment');
      assert.match(String((receipt.BankAccount as Json).Name), /Stripe/, 'into the Stripe clearing account');

      const line = { sourceId: 'txn_dep_1', kind: 'charge' as const, amountMinor: 4000n, feeMinor: 80n, feeTaxMinor: 0n, chargeRef: 'ch_deposit_1', saleId: sale.id,
        counterpartyName: 'Online Olive', counterpartyEmail: 'olive@example.com', description: null, reference: null, occurredAt: charged };
      const payout: PayoutInput = { provider: 'stripe', accountRef: 'acct_1LedgerBridgeDep0', providerPayoutId: 'po_deposit_1', currency: 'GBP', amountMinor: 3920n, arrivalDate: '2026-01-08', lines: [line] };
      const recorded = await f.x.ctx.payouts.record(f.org.orgId, payout);
      const state = await waitForPayout(f, recorded.payoutId, ['posted', 'failed', 'needs_signoff', 'discrepancy']);
      assert.equal(state.status, 'posted', String(state.message));
      await assertPostedThroughClearing(f, state, { name: 'Stripe clearing', payoutMinor: 3920 });
      assert.equal((await f.x.ctx.db('payments').where({ sale_id: sale.id })).length, 1, 'the charge was recorded on the sale once');
    });
  });
}
