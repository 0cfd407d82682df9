// History import against the Xero emulator over HTTP (SQLite and PostgreSQL). The "history" is sales made
// before the plugin was there: sold with the workers stopped, then their outbox rows and sync state removed.
// Proven by reading the emulator's books: N sales → N invoices; run again → still N; cancelled after the
// first page and resumed → N; refunds and payments follow their invoice; sales before the start date are
// left alone. The xero:backfill command's outcome (success, or an AppError → exit 1 listing failures).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { Command } from 'commander';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import { registerXeroCommands } from '../../../plugins/xero/cli';
import { BackfillFailedError, registerBackfillCommand } from '../../../plugins/xero/backfillCli';
import { backfillProgress, cancelBackfill, createBackfill, getBackfill, runBackfill, startBackfill } from '../../../plugins/xero/sync/backfill';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const DAY = 86_400_000;

for (const kind of dbKinds()) {
  describe(`Xero history import e2e (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    const db = () => f.x.ctx.db;

    /** Sales as if made before the plugin existed: no outbox items, no sync state. */
    async function history(n: number, occurredAt: number, tag: string, extra: (saleId: number) => Promise<void> = async () => {}): Promise<number[]> {
      await f.stopWorkers();
      const ids: number[] = [];
      for (let i = 0; i < n; i += 1) {
        const s = await f.sell({
          currency: 'GBP', reference: `${tag}-${i}`, occurredAt: new Date(occurredAt + i * 60_000).toISOString(),
          customer: { name: `Member ${tag} ${i}`, email: `${tag.toLowerCase()}${i}@example.com` },
          lines: [{ description: 'Monthly membership', quantity: 1, unitPrice: '39.99', taxCode: 'OUTPUT2' }],
        });
        ids.push(s.id);
        await extra(s.id);
      }
      const refundIds = (await db()('refunds').whereIn('sale_id', ids).select('id')).map((r: { id: number }) => r.id);
      const paymentIds = (await db()('payments').whereIn('sale_id', ids).select('id')).map((r: { id: number }) => r.id);
      await db()('outbox').where((w) => {
        w.whereIn('subject', ids.map((id) => `xero:sale:${id}`));
      }).delete();
      await db()('sync_records').where((w) => {
        w.where((q) => q.where('entity_type', 'sale').whereIn('entity_id', ids));
        if (refundIds.length) w.orWhere((q) => q.where('entity_type', 'refund').whereIn('entity_id', refundIds));
        if (paymentIds.length) w.orWhere((q) => q.where('entity_type', 'payment').whereIn('entity_id', paymentIds));
      }).delete();
      f.startWorkers();
      return ids;
    }
    const invoicesOf = async (ids: number[]) => {
      const numbers = new Set(ids.map((id) => `LB-${id}`));
      return (await f.books<{ InvoiceNumber: string }>('invoices')).filter((i) => numbers.has(i.InvoiceNumber));
    };
    let lines: string[] = []; // what the last command printed (kept when it throws)
    async function cli(...args: string[]): Promise<string[]> {
      lines = [];
      const program = new Command().exitOverride();
      // The bars go to a sink: stderr is for people, noisy in tests.
      const sink = new Writable({ write: (_c, _e, done) => done() });
      registerBackfillCommand(program, async () => f.x.ctx, { out: (l) => lines.push(l), stream: sink, pollMs: 50 });
      await program.parseAsync(args, { from: 'user' });
      return lines;
    }

    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('N historical sales → N invoices; a second run adds nothing and leaves them synced', async () => {
      const from = Date.parse('2026-01-05T00:00:00Z');
      const ids = await history(7, from + DAY, 'HIST');
      assert.equal((await invoicesOf(ids)).length, 0, 'nothing in Xero before the import');
      const first = await startBackfill(f.x.ctx, { orgId: f.org.orgId, from, actor: 'test' }, { pageSize: 3 });
      assert.equal(first.status, 'done');
      assert.equal(first.salesTotal, 7);
      assert.equal(first.salesDone, 7);
      await f.drained();
      assert.equal((await invoicesOf(ids)).length, 7);
      const progress = await backfillProgress(f.x.ctx, await getBackfill(db(), f.org.orgId, first.id));
      assert.deepEqual([progress.recordsTotal, progress.recordsSynced, progress.recordsFailed, progress.recordsWaiting, progress.percent, progress.finished], [7, 7, 0, 0, 100, true]);

      const second = await startBackfill(f.x.ctx, { orgId: f.org.orgId, from, actor: 'test' }, { pageSize: 3 });
      assert.equal(second.alreadySynced, 7, 'every record seen as already in Xero');
      assert.equal(Number((await db()('xero_backfill_items').where({ backfill_id: second.id }).count({ n: '*' }))[0]!.n), 0);
      await f.drained();
      assert.equal((await invoicesOf(ids)).length, 7, 'still N: no duplicate invoice');
      const states = await db()('sync_records').where({ entity_type: 'sale' }).whereIn('entity_id', ids).select('status');
      assert.deepEqual([...new Set(states.map((s: { status: string }) => s.status))], ['synced']);
    });

    it('refunds and payments come along after their invoice; sales before the start date are left alone', async () => {
      const from = Date.parse('2026-02-01T00:00:00Z');
      const older = await history(2, from - 3 * DAY, 'OLD');
      const ids = await history(3, from + DAY, 'RP', async (saleId) => {
        await f.pay(saleId, { method: 'stripe', amount: '39.99', providerRef: `ch_hist_${saleId}` });
        await f.refund(saleId, { kind: 'amount', amount: '9.99' });
      });
      const run = await startBackfill(f.x.ctx, { orgId: f.org.orgId, from, actor: 'test' });
      await f.drained();
      assert.equal(run.salesTotal, 3, 'only the sales from the start date');
      assert.equal((await invoicesOf(ids)).length, 3);
      assert.equal((await invoicesOf(older)).length, 0, 'before the start date: not imported');
      const refunds = await db()('refunds').whereIn('sale_id', ids).select('id');
      const notes = (await f.books<{ CreditNoteNumber: string }>('creditnotes')).filter((n) => refunds.some((r: { id: number }) => n.CreditNoteNumber === `LB-R-${r.id}`));
      assert.equal(notes.length, 3);
      const payments = (await f.books<{ Reference: string }>('payments')).filter((p) => ids.some((id) => String(p.Reference ?? '').includes(`ch_hist_${id}`) || false));
      const paymentStates = await db()('sync_records').where({ entity_type: 'payment', status: 'synced' }).whereIn('entity_id', (await db()('payments').whereIn('sale_id', ids).select('id')).map((p: { id: number }) => p.id));
      assert.equal(paymentStates.length, 3, `payments synced (${payments.length} found by reference)`);
    });

    it('cancelled after the first page, then resumed from its cursor → N invoices, none twice', async () => {
      const from = Date.parse('2026-03-01T00:00:00Z');
      const ids = await history(8, from + DAY, 'RES');
      const row = await createBackfill(f.x.ctx, { orgId: f.org.orgId, from, actor: 'test' });
      const cancelled = await runBackfill(f.x.ctx, f.org.orgId, row.id, {
        pageSize: 3,
        onPage: async (r) => { if (r.salesDone === 3) assert.equal(await cancelBackfill(f.x.ctx, f.org.orgId, r.id), true); },
      });
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.salesDone, 3);
      assert.equal(cancelled.cursorSaleId, ids[2]);
      await f.drained();
      assert.equal((await invoicesOf(ids)).length, 3, 'the first page was queued and synced; the rest was not');

      const resumed = await runBackfill(f.x.ctx, f.org.orgId, row.id, { pageSize: 3 });
      assert.equal(resumed.status, 'done');
      assert.equal(resumed.salesDone, 8);
      await f.drained();
      const invoices = await invoicesOf(ids);
      assert.equal(invoices.length, 8);
      assert.equal(new Set(invoices.map((i) => i.InvoiceNumber)).size, 8);
    });

    it('xero:backfill: bars, waits for the sync, exits cleanly; an import with a failed record throws (exit 1) listing it', async () => {
      const registered = new Command();
      registerXeroCommands(registered, async () => f.x.ctx, () => {});
      assert.ok(registered.commands.some((c) => c.name() === 'xero:backfill'), 'npm run cli -- xero:backfill exists');
      const from = '2026-04-01';
      const ids = await history(4, Date.parse('2026-04-02T09:00:00Z'), 'CLI');
      const printed = (await cli('xero:backfill', '--from', from, '--page-size', '2')).join('\n');
      assert.match(printed, /4 sales from 1 Apr 2026, 00:00/, 'the start date is midnight in Europe/London (BST), in the organisation\'s date style');
      assert.match(printed, /Synced 4 of 4 records; 0 failed\./);
      assert.equal((await invoicesOf(ids)).length, 4);

      // A sale Xero refuses: an account code that does not exist in the organisation.
      const bad = await history(1, Date.parse('2026-05-02T09:00:00Z'), 'BAD');
      await db()('sale_lines').where({ sale_id: bad[0] }).update({ tax_code: 'NOSUCHTAX' });
      await assert.rejects(
        cli('xero:backfill', '--from', '2026-05-01', '--timeout', '60'),
        (err: unknown) => err instanceof BackfillFailedError && /1 records of history import \d+ failed/.test(err.message),
      );
      assert.match(lines.join('\n'), new RegExp(`FAILED xero.invoice.push \\{"saleId":${bad[0]}\\} \\(outbox #\\d+\\): .+`));
      const noWait = (await cli('xero:backfill', '--from', '2026-05-01', '--no-wait')).join('\n');
      assert.match(noWait, /Not waiting/);
      await assert.rejects(cli('xero:backfill', '--from', '2099-01-01'), /in the future/);
      await assert.rejects(cli('xero:backfill', '--from', '2026-02-30'), /not a date/);
    });

    it('history page (admin): start from a date, progress refreshing itself while items wait, resume an interrupted import; CSRF and roles', async () => {
      const ids = await history(3, Date.parse('2026-06-02T09:00:00Z'), 'WEB');
      const admin = await logIn(f.x.app, f.org.emails.admin);
      assert.equal((await admin.get('/plugins/xero/history')).status, 200);
      await f.stopWorkers(); // hold the sync so the page has something in flight to show
      const res = await postForm(admin, '/plugins/xero/history', '/plugins/xero/history', { from: '2026-06-01' });
      assert.equal(res.status, 303);
      let latest: Record<string, unknown> = {};
      for (let i = 0; i < 100; i += 1) {
        latest = await db()('xero_backfills').where({ org_id: f.org.orgId }).orderBy('id', 'desc').first();
        if (latest.status === 'done') break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.equal(latest.status, 'done', 'queueing finished in the background');
      const waiting = await admin.get('/plugins/xero/history');
      assert.equal(waiting.headers.refresh, '2', 'refreshes itself while records wait');
      assert.match(waiting.text, /History import started: \d+ sales from 1 Jun 2026\./, 'the start date in the house style, not 2026-06-01');
      assert.match(waiting.text, /3 sales queued of 3 · 0 of 3 records in Xero\s*· 3 waiting/);
      f.startWorkers();
      await f.drained();
      assert.equal((await invoicesOf(ids)).length, 3);
      const finished = await admin.get('/plugins/xero/history');
      assert.equal(finished.headers.refresh, undefined, 'stops refreshing once everything is synced');
      assert.match(finished.text, /<progress value="100" max="100"/);

      // An import whose process died mid-way (running, lease lapsed): shown as interrupted, Resume finishes it.
      const more = await history(2, Date.parse('2026-06-20T09:00:00Z'), 'WEB2');
      const stuck = await createBackfill(f.x.ctx, { orgId: f.org.orgId, from: Date.parse('2026-06-19T00:00:00Z'), actor: 'test' });
      const shown = await admin.get('/plugins/xero/history');
      assert.match(shown.text, new RegExp(`#${stuck.id}[^<]*<span class="status status-running">interrupted</span>`));
      const resumed = await postForm(admin, '/plugins/xero/history', `/plugins/xero/history/${stuck.id}/resume`);
      assert.equal(resumed.status, 303);
      for (let i = 0; i < 100 && (await getBackfill(db(), f.org.orgId, stuck.id)).status !== 'done'; i += 1) await new Promise((r) => setTimeout(r, 50));
      await f.drained();
      assert.equal((await invoicesOf(more)).length, 2);
      assert.equal((await postForm(admin, '/plugins/xero/history', `/plugins/xero/history/${stuck.id}/resume`)).status, 409, 'a finished import cannot be resumed');

      const bad = await postForm(admin, '/plugins/xero/history', '/plugins/xero/history', { from: 'yesterday' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /Give the start date as YYYY-MM-DD/);
      const staff = await logIn(f.x.app, f.org.emails.staff);
      assert.equal((await staff.get('/plugins/xero/history')).status, 403);
      assert.equal((await postForm(staff, '/sales', `/plugins/xero/history/${stuck.id}/cancel`)).status, 403);
      assert.equal((await admin.post('/plugins/xero/history').type('form').send({ from: '2026-06-01' })).status, 403, 'no CSRF token');
    });
  });
}
