import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NotFoundError, ValidationError } from '../../../server/errors';
import { createSale } from '../../../server/domain/sales';
import { issueRefund } from '../../../server/domain/refunds';
import { recordPayment } from '../../../server/domain/payments';
import { getSale, listSales } from '../../../server/domain/saleView';
import { createSyncStateStore, listSyncRecordsForSale } from '../../../server/sync/store';
import { dbKinds } from '../../support/db';
import { createDomainFixture, saleBody, type DomainFixture } from './fixtures';

for (const kind of dbKinds()) {
  describe(`sale views and sync records (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('sync records of a sale, its refunds and its payments appear on its view; other sales\' do not', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ payments: [{ method: 'stripe', amount: '28.00', providerRef: 'ch_sync' }] }));
      const { refund } = await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '1.00' });
      const unrelated = await createSale(fx, fx.staff, saleBody());
      const xero = createSyncStateStore('xero');
      const other = createSyncStateStore('other');
      await xero.upsert(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id, recordType: 'invoice', status: 'pending' });
      await xero.upsert(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id, recordType: 'invoice', status: 'synced', externalId: 'inv-guid', externalRef: 'INV-0001' });
      await xero.upsert(fx.db, { orgId: fx.orgId, entityType: 'refund', entityId: refund.id, recordType: 'credit_note', status: 'failed', error: 'Account code 200 is archived' });
      await xero.upsert(fx.db, { orgId: fx.orgId, entityType: 'payment', entityId: sale.payments[0]!.id, recordType: 'payment', status: 'synced', externalId: 'pay-guid' });
      await other.upsert(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id, recordType: 'invoice', status: 'deleted_upstream' });
      await xero.upsert(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: unrelated.id, recordType: 'invoice', status: 'pending' });

      const view = await getSale(fx.db, fx.orgId, sale.id);
      assert.deepEqual(
        view.sync.map((s) => [s.plugin, s.entityType, s.recordType, s.status, s.externalId, s.externalRef, s.error]),
        [
          ['xero', 'sale', 'invoice', 'synced', 'inv-guid', 'INV-0001', null],
          ['xero', 'refund', 'credit_note', 'failed', null, null, 'Account code 200 is archived'],
          ['xero', 'payment', 'payment', 'synced', 'pay-guid', null, null],
          ['other', 'sale', 'invoice', 'deleted_upstream', null, null, null],
        ],
      );
      assert.match(view.sync[0]!.updatedAt, /^\d{4}-\d\d-\d\dT/);
      assert.equal((await listSyncRecordsForSale(fx.db, fx.orgId, sale.id)).length, 4);
      assert.equal((await listSyncRecordsForSale(fx.db, fx.otherOrgId, sale.id)).length, 0);
    });

    it('the store keeps ids on a status-only update, stamps synced_at, clears the error on success, and lists only its plugin', async () => {
      const sale = await createSale(fx, fx.staff, saleBody());
      const store = createSyncStateStore('xero');
      const key = { orgId: fx.orgId, entityType: 'sale' as const, entityId: sale.id, recordType: 'invoice' };
      await store.upsert(fx.db, { ...key, status: 'failed', externalId: 'inv-1', error: 'timeout' });
      let [record] = await store.list(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id });
      assert.equal(record!.syncedAt, null);
      assert.equal(record!.error, 'timeout');
      await store.upsert(fx.db, { ...key, status: 'synced' });
      [record] = await store.list(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id });
      assert.equal(record!.externalId, 'inv-1');
      assert.equal(record!.error, null);
      assert.ok(record!.syncedAt !== null && record!.syncedAt > 0);
      await store.upsert(fx.db, { ...key, status: 'deleted_upstream', externalId: null });
      [record] = await store.list(fx.db, { orgId: fx.orgId, entityType: 'sale', entityId: sale.id, status: 'deleted_upstream' });
      assert.equal(record!.externalId, null);
      assert.equal(record!.pluginId, 'xero');
      await createSyncStateStore('other').upsert(fx.db, { ...key, status: 'pending' });
      assert.equal((await store.list(fx.db, { orgId: fx.orgId, entityId: sale.id })).length, 1);
    });

    it('getSale is scoped to the organisation', async () => {
      const theirs = await createSale(fx, fx.otherOrgStaff, saleBody());
      await assert.rejects(getSale(fx.db, fx.orgId, theirs.id), NotFoundError);
    });
  });

  describe(`listSales (${kind})`, () => {
    let fx: DomainFixture;
    const ids: number[] = [];
    before(async () => {
      fx = await createDomainFixture(kind);
      for (let i = 1; i <= 7; i++) {
        const sale = await createSale(fx, fx.staff, saleBody({
          reference: `R-${i}`,
          occurredAt: `2024-03-0${i}T10:00:00Z`,
          customer: i % 2 ? { name: `Odd_${i} 100%`, email: `odd${i}@example.com` } : { name: 'Even Customer' },
        }));
        ids.push(sale.id);
      }
      await issueRefund(fx, fx.staff, ids[2]!, { kind: 'full' });
      await issueRefund(fx, fx.staff, ids[3]!, { kind: 'amount', amount: '1.00' });
      await recordPayment(fx, fx.staff, ids[0]!, { method: 'cash', amount: '1.00' });
      await createSale(fx, fx.otherOrgStaff, saleBody({ reference: 'R-1' }));
    });
    after(async () => fx.destroy());

    it('pages newest first with a cursor until the end', async () => {
      const seen: number[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: Awaited<ReturnType<typeof listSales>> = await listSales(fx.db, fx.orgId, { limit: '3', ...(cursor ? { cursor } : {}) });
        seen.push(...page.data.map((s) => s.id));
        cursor = page.nextCursor;
        pages++;
      } while (cursor && pages < 10);
      assert.deepEqual(seen, [...ids].reverse());
      assert.equal(pages, 3);
      const first = await listSales(fx.db, fx.orgId, {});
      assert.equal(first.data.length, 7);
      assert.equal(first.nextCursor, null);
      assert.equal(first.data.at(-1)!.payments.length, 1, 'pages carry the full view');
    });

    it('filters by status, time range, reference and text', async () => {
      const idsOf = async (query: Record<string, string>) => (await listSales(fx.db, fx.orgId, query)).data.map((s) => s.id);
      assert.deepEqual(await idsOf({ status: 'refunded' }), [ids[2]]);
      assert.deepEqual(await idsOf({ status: 'partially_refunded' }), [ids[3]]);
      assert.deepEqual(await idsOf({ from: '2024-03-02', to: '2024-03-04T10:00:00Z' }), [ids[2], ids[1]]);
      assert.deepEqual(await idsOf({ reference: 'R-5' }), [ids[4]]);
      assert.deepEqual(await idsOf({ q: 'EVEN' }), [ids[5], ids[3], ids[1]]);
      assert.deepEqual(await idsOf({ q: 'odd3@' }), [ids[2]]);
      assert.deepEqual(await idsOf({ q: 'r-7' }), [ids[6]]);
      // LIKE wildcards in the search text match themselves only.
      assert.deepEqual(await idsOf({ q: '_7 100%' }), [ids[6]]);
      assert.deepEqual(await idsOf({ q: '%' }), [ids[6], ids[4], ids[2], ids[0]]);
    });

    it('never lists another organisation\'s sales', async () => {
      const theirs = await listSales(fx.db, fx.otherOrgId, {});
      assert.equal(theirs.data.length, 1);
      assert.ok(!ids.includes(theirs.data[0]!.id));
    });

    it('rejects bad query parameters', async () => {
      await assert.rejects(listSales(fx.db, fx.orgId, { limit: '500', status: 'void' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues.map((i) => i.path).sort(), ['limit', 'status']);
        return true;
      });
    });
  });
}
