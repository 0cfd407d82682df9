// The dashboard's Xero health panel over HTTP (PluginDefinition.health), against the emulator with workers:
// after three sales reach Xero it shows the connection, nothing queued or failed, the last success, the
// rate budget left (our own count of the calls just made), and three records in the current hour of the
// chart and its table. A connection that needs re-authorising shows the reason; a failed record counts.
// Links follow the viewer's role.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from '../xero/syncFixture';

const text = (html: string, testId: string): string => {
  const m = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</(?:dd|p|table)>`).exec(html);
  return (m?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim();
};

for (const kind of dbKinds()) {
  describe(`dashboard Xero health (${kind})`, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
      for (const name of ['Ada', 'Grace', 'Alan']) {
        await f.sell({ currency: 'GBP', customer: { name }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '14.50' }] });
      }
      await f.drained(); // history notes may still be waiting: a courtesy, not counted as queued
    });
    after(async () => {
      await f?.close();
    });

    it('shows connected, nothing queued or failed, last success, rate budget and the hour chart', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get('/').expect(200);
      assert.match(text(page.text, 'health-xero-status'), /^OK Connected to Demo Company \(UK\)/);
      assert.equal(text(page.text, 'xero-queued'), '0');
      assert.equal(text(page.text, 'xero-failed'), '0');
      assert.equal(text(page.text, 'xero-last-success'), 'just now');
      const calls = Number((await f.x.ctx.db('xero_rate_calls').count({ n: '*' }))[0]!.n);
      assert.ok(calls > 0, 'the workers went through the rate budget');
      // Compact: the minute's figure in the tile, the day's in its help.
      assert.equal(text(page.text, 'xero-rate'), `${60 - calls}/60`);
      assert.match(page.text, new RegExp(`title="Xero allows 60 calls a minute and 5,000 a day for this organisation; ${(5000 - calls).toLocaleString('en-GB')} of today&#39;s are left\\.`));
      assert.match(text(page.text, 'health-xero-chart-summary'), /^3 records synced in the last 24 hours; the busiest hour was \d\d:\d\d with 3\.$/);
      const table = /data-testid="health-xero-hourly"[\s\S]*?<tbody>([\s\S]*?)<\/tbody>/.exec(page.text)![1]!;
      const counts = [...table.matchAll(/<td class="num">(\d+)<\/td>/g)].map((m) => Number(m[1]));
      assert.equal(counts.length, 24);
      assert.deepEqual(counts.slice(0, 23), new Array(23).fill(0));
      assert.equal(counts[23], 3);
      // As wide as the panel (no fixed aspect ratio), the hour labels as text under it.
      assert.match(page.text, /<svg class="hour-bars" viewBox="0 0 240 100" preserveAspectRatio="none" role="img" aria-labelledby="health-xero-chart-title health-xero-chart-summary"/);
      assert.equal((page.text.match(/<span class="tick-(start|end)">\d\d:\d\d<\/span>/g) ?? []).length, 5);
      assert.equal((page.text.match(/<rect class="chart-bar"/g) ?? []).length, 1);
      for (const href of ['/plugins/xero/sync/failures', '/plugins/xero/sync/log', '/plugins/xero/connection']) assert.ok(page.text.includes(`href="${href}"`));
    });

    it('staff see the panel without the admin links; an accountant gets the sync log', async () => {
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const page = await staff.get('/').expect(200);
      assert.match(text(page.text, 'health-xero-status'), /Connected/);
      assert.ok(!page.text.includes('href="/plugins/xero/sync/failures"'));
      assert.ok(!page.text.includes('href="/plugins/xero/sync/log"'));
      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      const theirs = await accountant.get('/').expect(200);
      assert.ok(theirs.text.includes('href="/plugins/xero/sync/log"'));
      assert.ok(!theirs.text.includes('href="/plugins/xero/connection"'));
    });

    it('needs re-authorising: the reason is shown; a failed record is counted', async () => {
      const db = f.x.ctx.db;
      await db('xero_connections').where({ org_id: f.org.orgId }).whereNull('ended_at')
        .update({ status: 'needs_reauth', last_error: 'Xero refused the refresh token (invalid_grant): connect again' });
      const one = await db('sync_records').where({ org_id: f.org.orgId, plugin_id: 'xero' }).first('id');
      await db('sync_records').where({ id: one.id }).update({ status: 'failed', error: 'test' });
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get('/').expect(200);
      const status = text(page.text, 'health-xero-status');
      assert.match(status, /^Action needed Needs re-authorising \(Demo Company \(UK\)\)/);
      assert.match(status, /Xero refused the refresh token \(invalid_grant\): connect again/);
      assert.equal(text(page.text, 'xero-failed'), '1');
    });

    it('buckets by hour on this database: an hour ago and 25 hours ago', async () => {
      const now = Date.now();
      const db = f.x.ctx.db;
      const ids = (await db('sync_records').where({ org_id: f.org.orgId, plugin_id: 'xero', status: 'synced' }).select('id')).map((r) => Number(r.id));
      assert.equal(ids.length, 2);
      await db('sync_records').where({ id: ids[0] }).update({ synced_at: now - 3_600_000 });
      await db('sync_records').where({ id: ids[1] }).update({ synced_at: now - 25 * 3_600_000 });
      const hours = await f.x.ctx.sync.syncedPerHour(db, f.org.orgId, now); // what the panel's chart shows
      assert.equal(hours.length, 24);
      assert.deepEqual(hours.map((h) => h.count).slice(21), [0, 1, 0]);
      assert.equal(hours.reduce((s, h) => s + h.count, 0), 1, 'older than 24 hours is left out');
    });
  });
}
