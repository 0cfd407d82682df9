// The sync pages through the real app (login form, CSRF, roles, organisation scoping): the failures page
// shows Xero's exact message and its Retry sends the item again once the admin fixed the cause; the log
// filters; a record's audit trail; send now for staff, not accountants.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { csrfFrom, logIn, seedOrg } from '../../support/xero';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';
import { until } from '../../support/wait';
import { NOTE_QUIET_MS } from '../../../plugins/xero/sync/notePacing';

for (const kind of dbKinds()) {
  describe(`Xero sync pages (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('the log (issue 14): history notes folded under their invoice, numbers instead of Xero ids, people by name and email, pages of 50, a payout filter, a reversed range said; the trail numbered oldest first', async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Logged Lou' }, lines: [{ description: 'Lesson', quantity: 1, unitPrice: '12.00' }] });
      await f.drained();
      const db = f.x.host.deps.db;
      // The history note goes out when the rate budget has room (a low-priority item), so this test runs
      // first, before the others spend this minute's calls. It also waits while its organisation's sales
      // stream (a record in the last NOTE_QUIET_MS, the bucket not full: notePacing.ts), as after this sale's
      // contact and invoice calls. A note that stepped aside meanwhile waits a minute: once the sale is that
      // old, with the queue drained, bring it forward as that minute would.
      const notes = (await db('outbox').where({ org_id: f.org.orgId, type: 'xero.history.note' }).select('created_at')) as { created_at: number | string }[];
      const newest = Math.max(...notes.map((n) => Number(n.created_at)));
      await until('the sale has paused its organisation\'s stream', async () => Date.now() - newest >= NOTE_QUIET_MS, NOTE_QUIET_MS + 5_000);
      const noted = Date.now() + 30_000;
      while (!(await db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, action: 'history' }).first())) {
        assert.ok(Date.now() < noted, `the history note was added: ${JSON.stringify(await db('outbox').where({ org_id: f.org.orgId }).whereNot('status', 'done').select('type', 'status', 'attempts', 'last_error', 'available_at'))}`);
        await db('outbox').where({ org_id: f.org.orgId, type: 'xero.history.note', status: 'pending' }).update({ available_at: Date.now() });
        await new Promise((r) => setTimeout(r, 100));
      }
      const note = await db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, action: 'history' }).first();
      assert.match(note.message, /History note added to invoice [0-9a-f-]{36}/i, 'the row keeps what was done');
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const record = await admin.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(200);
      await admin.post(`/plugins/xero/sync/sale/${s.id}/send`).type('form').send({ _csrf: csrfFrom(record) }).expect(303);
      await f.drained();

      const log = (await admin.get('/plugins/xero/sync/log?recordType=invoice').expect(200)).text;
      const rowsOf = (html: string) => [...html.matchAll(/<tr data-outcome="[^"]+">([\s\S]*?)<\/tr>/g)].map((m) => m[1]!);
      const saleRows = rowsOf(log).filter((r) => r.includes(`>Sale ${s.id}</a>`));
      assert.ok(saleRows.length >= 3, `created, resend, adopted: ${saleRows.length}`);
      assert.ok(!saleRows.some((r) => /<td>history<\/td>/.test(r)), 'no row of its own for a history note');
      const created = saleRows.find((r) => /<td>created<\/td>/.test(r))!;
      assert.match(created, new RegExp(`<details class="history-notes"><summary>1 note added to its history in Xero</summary>[\\s\\S]*History note added to invoice LB-${s.id}<`));
      assert.match(created, /<td class="actor">Ledgerbridge \(automatic\)<\/td>/);
      const adminName = `admin of ${f.org.name} \\(${f.org.emails.admin.replace(/\./g, '\\.')}\\)`;
      // The person's own row and the worker's row for their request name them the same way.
      for (const action of ['resend', 'adopted']) assert.match(saleRows.find((r) => new RegExp(`<td>${action}</td>`).test(r)) ?? '', new RegExp(`<td class="actor">${adminName}</td>`), action);
      assert.doesNotMatch(log, /user:\d/);
      assert.doesNotMatch(saleRows.join(''), /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i, 'no Xero id in the messages');

      // A contact by the name Xero shows, not its ContactID.
      const contacts = rowsOf((await admin.get('/plugins/xero/sync/log?recordType=contact').expect(200)).text);
      assert.ok(contacts.some((r) => /<td class="message">created: (&#34;|&quot;)Logged Lou(&#34;|&quot;)/.test(r)), contacts.join('\n').slice(0, 1500));
      assert.doesNotMatch(contacts.join(''), /[0-9a-f]{8}-[0-9a-f]{4}-/i);

      // The record's trail: first to last, numbered 1, 2, 3…, the same names.
      const trail = (await admin.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(200)).text;
      assert.match(trail, /<ol id="audit-trail">/);
      const steps = [...trail.matchAll(/<li data-action="([a-z_]+)" data-step="(\d+)">/g)].map((m) => [m[1], Number(m[2])] as const);
      assert.deepEqual(steps.map(([, n]) => n), steps.map((_, i) => i + 1));
      assert.ok(steps.findIndex(([a]) => a === 'created') < steps.findIndex(([a]) => a === 'resend'), `created before resend: ${JSON.stringify(steps)}`);
      assert.match(trail, new RegExp(`resend \\(ok\\) by <span class="actor">${adminName}</span>`));
      assert.doesNotMatch(trail, /user:\d/);

      // Pages of 50, newest first: enough sales (a contact and an invoice each) for a second page; the pages meet without a gap or a repeat.
      for (let i = 0; i < 26; i++) await f.sell({ currency: 'GBP', customer: { name: `Paged ${i}` }, lines: [{ description: 'Pass', quantity: 1, unitPrice: '1.00' }] });
      await f.drained();
      const first = (await admin.get('/plugins/xero/sync/log?status=ok').expect(200)).text;
      const older = /<a href="([^"]+)" rel="next" id="older-page">Older<\/a>/.exec(first);
      assert.ok(older, 'a link to the older page');
      assert.equal(older[1]!.replace(/&amp;/g, '&'), '/plugins/xero/sync/log?status=ok&page=2', 'the filter is kept');
      assert.equal(rowsOf(first).length, 50);
      assert.match(first, /Showing 1–50, newest first/);
      const second = (await admin.get('/plugins/xero/sync/log?status=ok&page=2').expect(200)).text;
      assert.match(second, /Showing 51–/);
      assert.match(second, /rel="prev" id="newer-page">Newer</);
      const total = Number(await db('xero_audit').where({ org_id: f.org.orgId, outcome: 'ok' }).whereNot('action', 'history').count({ n: '*' }).then((r) => (r as { n: number }[])[0]!.n));
      assert.equal(rowsOf(first).length + rowsOf(second).length + (total > 100 ? total - 100 : 0), total, 'every row on one page or another');
      assert.match((await admin.get('/plugins/xero/sync/log?page=999').expect(200)).text, /past the last one/);

      // A payout filter: a payout of this organisation's, or nothing (another's id matches no row here).
      assert.match(first, /<label for="f-payout">Payout<\/label>/);
      assert.match((await admin.get('/plugins/xero/sync/log?payout=987654').expect(200)).text, /id="no-entries">No sync activity matches\./);

      // A reversed range says so by the To field (the layout's error summary links to it), not "nothing matches".
      const reversed = await admin.get('/plugins/xero/sync/log?from=2026-05-02&to=2026-05-01').expect(422);
      assert.match(reversed.text, /<p class="field-error" id="f-to-error">must be on or after the From date \(2 May 2026\): the dates are the wrong way round<\/p>/);
      assert.doesNotMatch(reversed.text, /id="no-entries"/);
      assert.match(reversed.text, /value="2026-05-02"[\s\S]*value="2026-05-01"/, 'the dates stay in the form to fix');
    });

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
