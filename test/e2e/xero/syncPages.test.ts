// The sync pages through the real app (login form, CSRF, roles, organisation scoping): the failures page
// shows Xero's exact message and its Retry sends the item again once the admin fixed the cause; the log
// filters; a record's audit trail; send now for staff, not accountants.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { csrfFrom, logIn, seedOrg } from '../../support/xero';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';

for (const kind of dbKinds()) {
  describe(`Xero sync pages (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('failures page: Xero\'s exact message, Retry after the admin fixed the mapping → synced', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'category_account', key: 'bad', value: '999' }]);
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Failing Fred' }, lines: [{ description: 'Thing', quantity: 1, unitPrice: '4.00', category: 'bad' }] });
      await f.drained();
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get('/plugins/xero/sync/failures').expect(200);
      assert.match(page.text, /Account code &#39;999&#39; is not a valid code for this document\./);
      const item = await f.x.host.deps.db('outbox').where({ dedupe_key: `xero:invoice:${s.id}` }).first();
      assert.equal(item.status, 'dead');

      // Without the CSRF token the retry is refused and changes nothing.
      await admin.post('/plugins/xero/sync/failures/retry').type('form').send({ ids: String(item.id) }).expect(403);
      assert.equal((await f.x.host.deps.db('outbox').where({ id: item.id }).first()).status, 'dead');

      await setMappings(f.x, f.org.orgId, [{ kind: 'category_account', key: 'bad', value: '200' }]);
      await admin.post('/plugins/xero/sync/failures/retry').type('form').send({ _csrf: csrfFrom(page), ids: String(item.id) }).expect(303);
      await f.drained();
      assert.equal((await f.books<{ InvoiceNumber: string }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${s.id}`).length, 1);
      const after = await admin.get('/plugins/xero/sync/failures').expect(200);
      assert.doesNotMatch(after.text, new RegExp(`data-item="${item.id}"`));
    });

    it('roles and scoping: staff cannot see failures; accountants read the log but cannot send; another organisation\'s record is 404', async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Scoped Sue' }, lines: [{ description: 'Class', quantity: 1, unitPrice: '9.00' }] });
      await f.drained();
      const staff = await logIn(f.x.app, f.org.emails.staff);
      await staff.get('/plugins/xero/sync/failures').expect(403);
      const record = await staff.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(200);
      assert.match(record.text, /id="send-now"/);
      assert.match(record.text, new RegExp(`LB-${s.id}`));
      assert.match(record.text, /data-action="created"/);
      await staff.post(`/plugins/xero/sync/sale/${s.id}/send`).type('form').send({ _csrf: csrfFrom(record) }).expect(303);
      await f.drained();
      assert.equal((await f.books<{ InvoiceNumber: string }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${s.id}`).length, 1, 'a resend never duplicates');
      const trail = await f.x.host.deps.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id }).orderBy('id').pluck('action');
      assert.ok(trail.includes('resend') && trail.includes('adopted'), `resend then reconcile: ${trail.join(', ')}`);
      const resend = await f.x.host.deps.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, action: 'resend' }).first();
      assert.match(resend.triggered_by, /^user:\d+$/);

      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const log = await accountant.get('/plugins/xero/sync/log?status=ok&recordType=invoice').expect(200);
      assert.match(log.text, /id="sync-log"/);
      assert.doesNotMatch(log.text, /data-outcome="failed"/);
      const page = await accountant.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(200);
      assert.doesNotMatch(page.text, /id="send-now"/);
      await accountant.post(`/plugins/xero/sync/sale/${s.id}/send`).type('form').send({ _csrf: csrfFrom(page) }).expect(403);
      await accountant.get('/plugins/xero/sync/log?from=yesterday').expect(422);

      const other = await seedOrg(f.x.host.deps.db, 'Other Gym');
      const outsider = await logIn(f.x.app, other.emails.admin);
      await outsider.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(404);
      const outsiderPage = await outsider.get('/plugins/xero/sync/failures').expect(200);
      await outsider.post(`/plugins/xero/sync/sale/${s.id}/send`).type('form').send({ _csrf: csrfFrom(outsiderPage) }).expect(404);
      await request(f.x.app).get('/plugins/xero/sync/log').expect((res) => assert.ok([302, 303, 401].includes(res.status)));
    });
  });
}
