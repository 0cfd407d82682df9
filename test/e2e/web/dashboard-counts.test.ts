// One definition of each sync count on the dashboard (issue 14): the host's card and the Xero panel show the
// same numbers under the same words (SYNC_COUNTS), each explained on hover and under the figures. Before,
// "Waiting to send 19" sat beside Xero's "Queued 0" (the 19 were background history notes), and one failed
// invoice read "Failed records 1 / Given up 1" on the card but "Failed 2" under a green OK on the panel.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from '../xero/syncFixture';
import { SYNC_COUNTS } from '../../../server/plugins/contract';
import { HISTORY_NOTE } from '../../../plugins/xero/sync/types';

const text = (html: string, testId: string): string => {
  const m = new RegExp(`data-testid="${testId}"[^>]*>([\\s\\S]*?)</(?:dd|p|section)>`).exec(html);
  return (m?.[1] ?? '').replace(/<[^>]+>/g, ' ').replace(/&#39;/g, "'").replace(/\s+/g, ' ').trim();
};
const escapeHtml = (s: string): string => s.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/"/g, '&#34;');
const FAR_FUTURE = Date.now() + 365 * 86_400_000; // never due while the test runs: the workers leave it alone

for (const kind of dbKinds()) {
  describe(`dashboard sync counts (${kind})`, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
      for (const name of ['Ada', 'Grace', 'Alan']) {
        await f.sell({ currency: 'GBP', customer: { name }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '14.50' }] });
      }
      await f.drained();
      const db = f.x.ctx.db;
      const orgId = f.org.orgId;
      // Nothing waits now; then: one invoice given up (its record failed), one record waiting, three history notes waiting.
      const done = await db('outbox').where({ org_id: orgId, status: 'done' }).whereNot({ type: HISTORY_NOTE }).orderBy('id').select('*');
      assert.ok(done.length >= 2, 'the sales went through the outbox');
      await db('outbox').where({ id: done[0].id }).update({ status: 'dead', last_error: 'Xero refused it (test)' });
      const record = await db('sync_records').where({ org_id: orgId, plugin_id: 'xero' }).orderBy('id').first('id');
      await db('sync_records').where({ id: record.id }).update({ status: 'failed', error: 'Xero refused it (test)' });
      const now = Date.now();
      const copy = (row: Record<string, unknown>, type: string, key: string) => ({
        org_id: orgId, plugin_id: row.plugin_id, type, subject: null, dedupe_key: key, payload: row.payload, status: 'pending',
        attempts: 0, max_attempts: row.max_attempts, available_at: FAR_FUTURE, created_at: now, updated_at: now,
      });
      await db('outbox').insert(copy(done[1], String(done[1].type), 'test:dashboard-counts:waiting'));
      for (const i of [1, 2, 3]) await db('outbox').insert(copy(done[1], HISTORY_NOTE, `test:dashboard-counts:note-${i}`));
    });
    after(async () => {
      await f?.close();
    });

    it('the card and the Xero panel agree: waiting 1 (history notes apart), failed 1, given up 1; not OK', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      // The sales' own history notes may still be going out while the page is read: count them either side.
      const notesWaiting = async (): Promise<number> => Number((await f.x.ctx.db('outbox').where({ org_id: f.org.orgId, type: HISTORY_NOTE }).whereIn('status', ['pending', 'leased']).count({ n: '*' }))[0]!.n);
      const notesBefore = await notesWaiting();
      const page = await admin.get('/').expect(200);
      const notesAfter = await notesWaiting();
      assert.equal(text(page.text, 'sync-pending'), '1');
      assert.equal(text(page.text, 'xero-queued'), '1');
      assert.equal(text(page.text, 'sync-failed'), '1');
      assert.equal(text(page.text, 'xero-failed'), '1', 'a failed record whose work was given up counts once, as on the card');
      assert.equal(text(page.text, 'sync-dead'), '1');
      assert.equal(text(page.text, 'xero-given-up'), '1');
      const background = /^(\d+) background items \(such as notes in Xero's history\) also waiting/.exec(text(page.text, 'sync-background'));
      assert.ok(background, 'the history notes are shown apart');
      const shown = Number(background[1]);
      assert.ok(shown <= notesBefore && shown >= notesAfter && shown >= 3, `${shown} background items, between ${notesAfter} and ${notesBefore}`);
      const status = text(page.text, 'health-xero-status');
      assert.match(status, /^Action needed Connected to Demo Company \(UK\) 1 item was given up: see the failures page\.$/, 'not a green OK beside a failure');
      assert.doesNotMatch(page.text, /Everything that could be sent has been sent/);
    });

    it('each count is explained on hover and under the figures, in the same words on the card and the panel', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get('/').expect(200);
      for (const count of [SYNC_COUNTS.waiting, SYNC_COUNTS.failed, SYNC_COUNTS.givenUp]) {
        const hover = `title="${escapeHtml(count.help)}"><dt>${escapeHtml(count.label)}</dt>`;
        assert.equal(page.text.split(hover).length - 1, 2, `"${count.label}" on the card and the panel, explained on hover`);
        assert.equal(page.text.split(`<dt>${escapeHtml(count.label)}</dt><dd>${escapeHtml(count.help)}</dd>`).length - 1, 2, `"${count.label}" explained under both`);
      }
      assert.doesNotMatch(page.text, /<dt>Queued<\/dt>|Failed records|Given up \(need attention\)/, 'no second word for the same count');
    });
  });
}
