// History notes never starve an organisation's real records (plugins/xero/sync/historyNotes.ts). A claim
// takes an organisation's OLDEST eligible item, and notes are older than the pushes queued after them; a
// note batch that finds pushes waiting steps aside for a minute. With batches of 10 an organisation with
// many notes needed one claim per 10 notes before its invoice came up; under 20 busy tenants (each claim of
// a round a slow Xero call) the first notes came due again before the last had stepped aside, so a note
// was always at the head and the invoice was never claimed (bench/scale-workers.ts: 6+ minutes). Here the
// real worker runs the plugin's real handlers, recording every batch it is given: the first claim must take
// every waiting note at once, and the very next claim must be the invoice. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { OutboxHandler } from '../../../server/outbox';
import { dbKinds } from '../../support/db';
import { enqueueHistoryNote } from '../../../plugins/xero/sync/historyNotes';
import { HISTORY_NOTE, INVOICE_PUSH } from '../../../plugins/xero/sync/types';
import { startSyncFixture, type SyncFixture } from './syncFixture';

/** More than the old batch of 10 by far, as many as the bench's quiet tenant had (96). */
const NOTES = 120;
const STEP_ASIDE_MS = 60_000;

for (const kind of dbKinds()) {
  describe(`Xero history notes behind an invoice (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      // No coalescing window: the invoice is due as soon as it is queued, behind the older notes.
      f = await startSyncFixture(kind, { workers: false, env: { XERO_SYNC_COALESCE_MS: '0' } });
    });
    after(async () => f?.close());

    it('one claim steps every waiting note aside, and the next claim is the invoice', async () => {
      const db = f.x.host.deps.db;
      for (let n = 0; n < NOTES; n++) {
        await enqueueHistoryNote(f.x.ctx, f.org.orgId, {
          recordType: 'invoice', xeroId: randomUUID(), entityType: 'sale', entityId: 1_000_000 + n, details: `Created by Ledgerbridge from sale #${n}`,
        });
      }
      const sale = await f.sell({
        currency: 'GBP', customer: { name: 'Notes Customer', email: 'notes@example.com' },
        lines: [{ description: 'Class', quantity: 1, unitPrice: '10.00', taxCode: 'OUTPUT2' }],
      });

      // The plugin's handlers, each wrapped to record the batch a claim gave it.
      const batches: { type: string; ids: number[]; at: number }[] = [];
      const recording = new Map<string, OutboxHandler>();
      for (const [type, handler] of f.x.host.deps.plugins.handlers) {
        recording.set(type, { ...handler, handle: (items, hctx) => {
          batches.push({ type, ids: items.map((i) => i.id), at: Date.now() });
          return handler.handle(items, hctx);
        } });
      }
      f.startWorkers({ concurrency: 1, handlers: recording });
      await f.drained(60_000);
      await f.stopWorkers();

      const invoiceAt = batches.findIndex((b) => b.type === INVOICE_PUSH);
      const summary = JSON.stringify(batches.map((b) => `${b.type}×${b.ids.length}`));
      assert.ok(invoiceAt >= 0, `the invoice was claimed: ${summary}`);
      const before = batches.slice(0, invoiceAt);
      assert.equal(before.length, 1, `exactly one claim (of notes) came before the invoice, got ${summary}`);
      assert.equal(before[0]!.type, HISTORY_NOTE);
      assert.equal(before[0]!.ids.length, NOTES, `that claim took every waiting note at once: ${summary}`);

      const notes = (await db('outbox').whereIn('id', before[0]!.ids).select('status', 'attempts', 'available_at')) as { status: string; attempts: number | string; available_at: number | string }[];
      for (const note of notes) {
        assert.equal(note.status, 'pending', 'the note waits, it was not sent while the invoice waited');
        assert.equal(Number(note.attempts), 1);
        assert.ok(Number(note.available_at) >= before[0]!.at + STEP_ASIDE_MS - 1_000, 'stepped aside for about a minute, together');
      }
      const invoice = await db('outbox').where({ type: INVOICE_PUSH, dedupe_key: `xero:invoice:${sale.id}` }).first('status', 'attempts');
      assert.deepEqual({ status: invoice.status, attempts: Number(invoice.attempts) }, { status: 'done', attempts: 1 });
    });
  });
}
