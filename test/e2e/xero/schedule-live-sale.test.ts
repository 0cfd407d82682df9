// GET /sales/:id/sync.json, which the sale page's live script polls: the records with their one-line
// labels and whether anything is still on its way; every role of the organisation may read it, nobody
// else (another organisation's sale is a 404, no session is sent to log in). SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createOrganisation } from '../../../server/domain/organisations';
import { createUser } from '../../../server/auth/users';
import { dbKinds } from '../../support/db';
import { logIn, PASSWORD } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

for (const kind of dbKinds()) {
  describe(`sale sync.json for the live sale page (${kind})`, { timeout: 60_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('pending, then synced with "Invoice LB-… in Xero"; settled only when nothing is on its way', async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Json Jones' }, lines: [{ description: 'Swim', quantity: 1, unitPrice: '5.00', taxCode: 'OUTPUT2' }] });
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const pending = await staff.get(`/sales/${s.id}/sync.json`).expect(200);
      assert.equal(pending.headers['cache-control'], 'no-store');
      assert.equal(pending.body.settled, false);
      assert.deepEqual(pending.body.records.map((r: { label: string }) => r.label), ['Invoice: sending to Xero…']);
      f.startWorkers();
      await f.drained();
      for (const role of ['staff', 'admin', 'accountant'] as const) {
        const agent = role === 'staff' ? staff : await logIn(f.x.app, f.org.emails[role]);
        const done = await agent.get(`/sales/${s.id}/sync.json`).expect(200);
        assert.equal(done.body.settled, true, role);
        assert.equal(done.body.records[0].status, 'synced');
        assert.equal(done.body.records[0].externalRef, `LB-${s.id}`);
        assert.equal(done.body.records[0].label, `Invoice LB-${s.id} in Xero`);
      }
      const page = await staff.get(`/sales/${s.id}`).expect(200);
      assert.match(page.text, new RegExp(`<li class="sync-synced">Invoice LB-${s.id} in Xero</li>`), 'the server renders the same sentence');
      assert.match(page.text, /<script src="\/assets\/sale-live.js" defer><\/script>/);
      assert.match(page.text, new RegExp(`<a href="/sales/${s.id}" class="sync-refresh">Refresh</a>`));
    });

    it("another organisation's user gets 404; without a session, no JSON", async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Private Pat' }, lines: [{ description: 'Swim', quantity: 1, unitPrice: '5.00' }] });
      const other = await createOrganisation(f.x.ctx.db, { name: 'Elsewhere', baseCurrency: 'GBP' });
      await createUser(f.x.ctx.db, { orgId: other.id, email: 'staff@elsewhere.test', name: 'Other', role: 'staff', password: PASSWORD });
      const stranger = await logIn(f.x.app, 'staff@elsewhere.test');
      const res = await stranger.get(`/sales/${s.id}/sync.json`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(res.text, /Private Pat|LB-/);
      assert.equal((await stranger.get('/sales/abc/sync.json')).status, 404);
      const anonymous = await request(f.x.app).get(`/sales/${s.id}/sync.json`);
      assert.notEqual(anonymous.status, 200);
      assert.doesNotMatch(anonymous.text, /"records"/);
    });
  });
}
