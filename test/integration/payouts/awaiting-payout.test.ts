// Which Stripe/GoCardless refunds the sync leaves for their payout (plugins/xero/clearing/awaitingPayout.ts),
// read from a real database: a sale in a foreign currency waits unless the provider's money for it was put
// into Xero by the sync itself (settled in the sale's own currency); a payment a payout made at the
// provider's rate (its Reference is a payout step's) does not count; base-currency sales, mapped methods and
// other methods never wait. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from '../../e2e/xero/syncFixture';
import { refundsAwaitingPayout, type RefundToSettle } from '../../../plugins/xero/clearing/awaitingPayout';
import { loadResolvedMappings } from '../../../plugins/xero/mappings/load';
import { testPaymentMethods } from '../../support/paymentMethods';

const sale = (currency: string, n: number) => ({
  currency, reference: `AW-${currency}-${n}`, customer: { name: `Awaiting ${n}`, email: `awaiting${n}@example.com` },
  lines: [{ description: 'Room night', quantity: 1, unitPrice: '50.00' }],
});

for (const kind of dbKinds()) {
  describe(`refunds awaiting their payout (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('waits only where the provider may have converted the sale\'s money', async () => {
      const db = f.x.host.deps.db;
      const orgId = f.org.orgId;
      const key = { orgId, tenantId: f.tenantId };
      // The install's methods with the provider plugins' (only the Xero plugin runs here): Stripe and
      // GoCardless money arrives in payouts, cash does not.
      const ctx = { ...f.x.ctx, paymentMethods: testPaymentMethods };
      const unpaid = await f.sell(sale('USD', 1));
      const paidHere = await f.sell(sale('USD', 2));
      const paidByPayout = await f.sell(sale('USD', 3));
      const gbp = await f.sell(sale('GBP', 4));
      await f.pay(paidHere.id, { method: 'stripe', amount: '50.00' });
      const byPayout = await f.pay(paidByPayout.id, { method: 'stripe', amount: '50.00' });
      // What fx.ts records for a charge it paid at Stripe's rate: the payment is that payout step's Payment.
      await db('xero_records').insert({ org_id: orgId, tenant_id: f.tenantId, entity_type: 'payment', entity_id: byPayout.id, record_type: 'payment', xero_id: '00000000-0000-4000-8000-000000000001', number: 'LBP7-L3 po_123', status: 'AUTHORISED', created_at: Date.now(), updated_at: Date.now() });

      const refund = (id: number, saleId: number, currency: string, method: string | null): RefundToSettle => ({ id, saleId, currency, method });
      const mappings = await loadResolvedMappings(db, orgId);
      const { stripe: _stripe, gocardless: _gocardless, ...otherMethods } = mappings.methodAccountCodes;
      const unmapped = { ...mappings, methodAccountCodes: otherMethods };
      const waiting = await refundsAwaitingPayout(ctx, key, 'GBP', unmapped, [
        refund(1, unpaid.id, 'USD', 'stripe'),
        refund(2, paidHere.id, 'USD', 'stripe'),
        refund(3, paidByPayout.id, 'USD', 'stripe'),
        refund(4, gbp.id, 'GBP', 'stripe'),
        refund(5, unpaid.id, 'USD', 'cash'),
        refund(6, unpaid.id, 'USD', null),
        refund(7, paidHere.id, 'USD', 'gocardless'),
      ]);
      assert.deepEqual([...waiting].sort(), [1, 3, 7]);

      const mapped = { ...unmapped, methodAccountCodes: { ...unmapped.methodAccountCodes, stripe: '091' } };
      assert.deepEqual([...(await refundsAwaitingPayout(ctx, key, 'GBP', mapped, [refund(1, unpaid.id, 'USD', 'stripe')]))], [], 'a mapped account is the admin\'s choice: paid out at once');
    });
  });
}
