// Sync work is only created for organisations that have connected Xero: one that never did piles up
// nothing (and connecting later does not push every old sale at once; the history import does that).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { xeroPlugin } from '../../../plugins/xero';
import { startConnection } from '../../../plugins/xero/connection/store';
import { connectionDeps } from '../../../plugins/xero/connection/deps';
import type { XeroConfig } from '../../../plugins/xero/config';
import { createOrganisation } from '../../../server/domain/organisations';
import { createSale } from '../../../server/domain/sales';
import type { PluginContext, PluginDefinition, Principal } from '../../../server/plugins/contract';

const sale = (reference: string) => ({
  reference, currency: 'GBP', customer: { name: 'Ada' }, lines: [{ description: 'Day pass', quantity: '1', unitPrice: '14.50' }],
});

for (const kind of dbKinds()) {
  describe(`Xero sync items need a Xero connection (${kind})`, () => {
    let app: TestApp;
    before(async () => {
      app = await startTestApp({ kind, plugins: [xeroPlugin as unknown as PluginDefinition<unknown>] });
    });
    after(async () => app.close());

    it('creates no item for an organisation without a connection, and items once it is connected', async () => {
      const { db } = app.host.deps;
      const org = await createOrganisation(db, { name: 'Harbour Gym' });
      const staff: Principal = { kind: 'user', id: 1, orgId: org.id, role: 'staff', name: 'desk' };

      await createSale(app.host.deps, staff, sale('BEFORE'));
      assert.equal((await db('outbox').where('type', 'like', 'xero.%')).length, 0);
      assert.equal((await db('sync_records').where({ plugin_id: 'xero' })).length, 0);

      const ctx = app.host.deps.plugins.plugins.find((p) => p.definition.id === 'xero')!.context as PluginContext<XeroConfig>;
      await db.transaction((trx) => startConnection(connectionDeps(ctx), trx, { orgId: org.id, mode: 'private_app', status: 'connected', createdBy: 'test', endReason: 'test' }));
      const after = await createSale(app.host.deps, staff, sale('AFTER'));
      const items = await db('outbox').where('type', 'like', 'xero.%');
      assert.deepEqual(items.map((i: { dedupe_key: string }) => i.dedupe_key), [`xero:invoice:${after.id}`]);
    });
  });
}
