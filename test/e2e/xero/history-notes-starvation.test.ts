// History notes never starve an organisation's real records (plugins/xero/sync/historyNotes.ts). A claim
// takes an organisation's OLDEST eligible item, and notes are older than the pushes queued after them; a
// note batch that finds pushes waiting steps aside for a minute. With batches of 10 an organisation with
// many notes needed one claim per 10 notes before its invoice came up; under 20 busy tenants (each claim of
// a round a slow Xero call) the first notes came due again before the last had stepped aside, so a note
// was always at the head and the invoice was never claimed (bench/scale-workers.ts: 6+ minutes). Here the
// real worker runs the plugin's real handlers, recording every batch it is given: the first claim must take
// every waiting note at once, and the very next claim must be the invoice.
// Workers are shared by every organisation too: a note (one call of 300–600 ms at Xero's real speed) gives
// its worker back while another organisation's push has waited over a second for one
// (bench/scale-workers.ts: the notes of tenants already done took most calls while others' invoices waited).
// And a note never holds its own organisation's next coalescing window: none starts when that window closes
// within a note's call, and a batch stops before its next note once it has (bench/xero-latency.ts: a sale
// waited 1.4 s from its window's close to its claim while a batch of notes kept both workers).
// SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import type { Knex } from 'knex';
import { claimBatch, type OutboxHandler } from '../../../server/outbox';
import { dbKinds } from '../../support/db';
import { seedOrg } from '../../support/xero';
import { enqueueHistoryNote, OWN_PUSH_LOOKAHEAD_MS, WORKERS_BUSY_AFTER_MS } from '../../../plugins/xero/sync/historyNotes';
import { HISTORY_NOTE, INVOICE_PUSH } from '../../../plugins/xero/sync/types';
import { NOTE_QUIET_MS } from '../../../plugins/xero/sync/notePacing';
import { startSyncFixture, type SyncFixture } from './syncFixture';
import { until } from '../../support/wait';

/** More than the old batch of 10 by far, as many as the bench's quiet tenant had (96). */
const NOTES = 120;
const STEP_ASIDE_MS = 60_000;

/**
 * The waiting notes' records were created a while ago: the organisation's sales have paused (notePacing.ts),
 * so only the guard a test is about can hold a note back (history-notes-stream.test.ts tests the stream's).
 */
const recordsCreatedAWhileAgo = (db: Knex) => db('outbox').where({ type: HISTORY_NOTE }).update({ created_at: Date.now() - 2 * NOTE_QUIET_MS });

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

      const notes = (await db('outbox').whereIn('id', before[0]!.ids).select('status', 'attempts', 'max_attempts', 'available_at')) as { status: string; attempts: number | string; max_attempts: number | string; available_at: number | string }[];
      for (const note of notes) {
        assert.equal(note.status, 'pending', 'the note waits, it was not sent while the invoice waited');
        assert.equal(Number(note.attempts), 1);
        assert.equal(Number(note.max_attempts), 101, 'stepping aside used up no attempt (a note never goes dead for waiting)');
        assert.ok(Number(note.available_at) >= before[0]!.at + STEP_ASIDE_MS - 1_000, 'stepped aside for about a minute, together');
      }
      const invoice = await db('outbox').where({ type: INVOICE_PUSH, dedupe_key: `xero:invoice:${sale.id}` }).first('status', 'attempts');
      assert.deepEqual({ status: invoice.status, attempts: Number(invoice.attempts) }, { status: 'done', attempts: 1 });
    });

    it("a note gives its worker back while another organisation's push waits for one, and goes once it is taken", async () => {
      const db = f.x.host.deps.db;
      await db('outbox').where({ type: HISTORY_NOTE }).del(); // the first test's notes, stepped aside
      const other = await seedOrg(db, 'Busy Gym');
      const pushOfOther = await f.x.ctx.outbox.enqueue(db, {
        type: INVOICE_PUSH, orgId: other.orgId, payload: { saleId: 424242 }, dedupeKey: 'test:busy-gym-invoice', availableAt: Date.now() - 5 * WORKERS_BUSY_AFTER_MS,
      });
      const noteHandler = f.x.host.deps.plugins.handlers.get(HISTORY_NOTE)!;
      const historyCalls = async () => ((await request(f.emu.url).get('/_emulator/calls')).body as { url: string }[]).filter((c) => /\/History$/.test(new URL(c.url).pathname)).length;
      /** One claim of the notes alone (the other organisation's push is left waiting) and the note handler's outcomes. */
      const claimNotes = async () => {
        await recordsCreatedAWhileAgo(db);
        const batch = await claimBatch(db, { types: [HISTORY_NOTE], workerId: 'test-worker', leaseMs: 30_000, limit: 500 });
        return noteHandler.handle(batch, { workerId: 'test-worker', signal: new AbortController().signal });
      };

      await enqueueHistoryNote(f.x.ctx, f.org.orgId, { recordType: 'invoice', xeroId: randomUUID(), entityType: 'sale', entityId: 1, details: 'Created by Ledgerbridge from sale #1' });
      const callsBefore = await historyCalls();
      const yielded = await claimNotes();
      assert.equal(yielded.length, 1);
      assert.equal(yielded[0]!.status, 'deferred');
      assert.match(yielded[0]!.status === 'deferred' ? yielded[0]!.reason : '', /other organisations/);
      assert.equal(await historyCalls(), callsBefore, 'no note was sent while the other organisation waited for a worker');

      // A worker took the other organisation's push (it is leased now): the next note goes out.
      await db('outbox').where({ id: pushOfOther.id }).update({ status: 'leased', lease_owner: 'another-worker', lease_expires_at: Date.now() + 60_000 });
      await enqueueHistoryNote(f.x.ctx, f.org.orgId, { recordType: 'invoice', xeroId: randomUUID(), entityType: 'sale', entityId: 2, details: 'Created by Ledgerbridge from sale #2' });
      const sent = await claimNotes();
      assert.deepEqual(sent.map((o) => o.status), ['done'], 'sent (the emulator knows no such invoice: 404, nothing more to do)');
      assert.equal(await historyCalls(), callsBefore + 1, 'the note went to Xero');
    });

    it("a note does not wait for its own organisation's invoice scheduled for later (a service date) or one in flight", async () => {
      const db = f.x.host.deps.db;
      await db('outbox').whereIn('type', [HISTORY_NOTE, INVOICE_PUSH]).del();
      const noteHandler = f.x.host.deps.plugins.handlers.get(HISTORY_NOTE)!;
      // A booking's invoice waits for its service date next month; another invoice is being sent right now.
      await f.x.ctx.outbox.enqueue(db, { type: INVOICE_PUSH, orgId: f.org.orgId, payload: { saleId: 515151 }, dedupeKey: 'test:next-month', availableAt: Date.now() + 30 * 86_400_000 });
      const inFlight = await f.x.ctx.outbox.enqueue(db, { type: INVOICE_PUSH, orgId: f.org.orgId, payload: { saleId: 525252 }, dedupeKey: 'test:in-flight' });
      await db('outbox').where({ id: inFlight.id }).update({ status: 'leased', lease_owner: 'another-worker', lease_expires_at: Date.now() + 60_000 });
      await enqueueHistoryNote(f.x.ctx, f.org.orgId, { recordType: 'invoice', xeroId: randomUUID(), entityType: 'sale', entityId: 3, details: 'Created by Ledgerbridge from sale #3' });
      await recordsCreatedAWhileAgo(db);
      const batch = await claimBatch(db, { types: [HISTORY_NOTE], workerId: 'test-worker', leaseMs: 30_000, limit: 500 });
      const outcomes = await noteHandler.handle(batch, { workerId: 'test-worker', signal: new AbortController().signal });
      // Before: every note of the organisation stepped aside for a minute while the booking waited, for months.
      assert.deepEqual(outcomes.map((o) => o.status), ['done'], JSON.stringify(outcomes));
    });

    it("a note does not start when its own organisation's window closes within a note's call, and a batch stops once it has", async () => {
      const db = f.x.host.deps.db;
      await db('outbox').whereIn('type', [HISTORY_NOTE, INVOICE_PUSH]).del();
      const noteHandler = f.x.host.deps.plugins.handlers.get(HISTORY_NOTE)!;
      const historyCalls = async () => ((await request(f.emu.url).get('/_emulator/calls')).body as { url: string }[]).filter((c) => /\/History$/.test(new URL(c.url).pathname)).length;
      const note = (n: number) => enqueueHistoryNote(f.x.ctx, f.org.orgId, { recordType: 'invoice', xeroId: randomUUID(), entityType: 'sale', entityId: 100 + n, details: `Created by Ledgerbridge from sale #${n}` });
      const handleNotes = async () => {
        await recordsCreatedAWhileAgo(db);
        const batch = await claimBatch(db, { types: [HISTORY_NOTE], workerId: 'test-worker', leaseMs: 30_000, limit: 500 });
        return noteHandler.handle(batch, { workerId: 'test-worker', signal: new AbortController().signal });
      };

      // A window about to close: its invoice is not due yet, but would be while the note's call ran.
      const soon = await f.x.ctx.outbox.enqueue(db, { type: INVOICE_PUSH, orgId: f.org.orgId, payload: { saleId: 535353 }, dedupeKey: 'test:window-closing', availableAt: Date.now() + OWN_PUSH_LOOKAHEAD_MS / 2 });
      await note(1);
      const callsBefore = await historyCalls();
      const held = await handleNotes();
      assert.deepEqual(held.map((o) => o.status), ['deferred'], 'the note stepped aside for the window about to close');
      assert.equal(await historyCalls(), callsBefore, 'no note was sent');
      await db('outbox').whereIn('id', [soon.id]).del();
      await db('outbox').where({ type: HISTORY_NOTE }).del();

      // A batch of three, each call slow (0.9 s): the organisation's next window opens while the first is in flight.
      await request(f.emu.url).post('/_emulator/latency').send({ minMs: 900, maxMs: 900, seed: 1 }).expect(200);
      try {
        for (let n = 2; n <= 4; n++) await note(n);
        const rateCalls = async () => Number(((await db('xero_rate_calls').count({ n: '*' })) as { n: number | string }[])[0]!.n);
        const slotsBefore = await rateCalls();
        const handling = handleNotes();
        await until('the first note is in flight', async () => (await rateCalls()) > slotsBefore);
        await f.x.ctx.outbox.enqueue(db, { type: INVOICE_PUSH, orgId: f.org.orgId, payload: { saleId: 545454 }, dedupeKey: 'test:window-opened', availableAt: Date.now() + 200 });
        const outcomes = await handling;
        assert.deepEqual(outcomes.map((o) => o.status), ['done', 'deferred', 'deferred'], `the batch stopped after the note in flight: ${JSON.stringify(outcomes)}`);
        assert.equal(await historyCalls(), callsBefore + 1);
      } finally {
        await request(f.emu.url).post('/_emulator/latency').send({ minMs: 0, maxMs: 0 }).expect(200);
      }
    });
  });
}
