// History notes wait while the organisation's sales stream and go once it pauses (plugins/xero/sync/
// notePacing.ts). The pacing bucket (coalesce.ts) replays every call of the last minute, so a note sent while
// invoices stream is a token their windows lack for a minute: at 2 sales/s the notes that went at a burst's
// start took ~10 of its minute's calls (bench/xero-latency.ts, p99 1,563 ms on a quiet machine). The real
// app and emulator: the pushes run on workers, the notes are handed to their handler by the test at the
// moments it names (as a worker would claim them). SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { claimBatch, complete, defer, retry, type OutboxOutcome } from '../../../server/outbox';
import { dbKinds } from '../../support/db';
import { until } from '../../support/wait';
import { bucketLevel, bucketShape, callTimesOfLastMinute } from '../../../plugins/xero/sync/coalesce';
import { NOTE_BUCKET_SLACK, NOTE_QUIET_MS } from '../../../plugins/xero/sync/notePacing';
import { tenantKeyOf } from '../../../plugins/xero/engine/rateBudget';
import { HISTORY_NOTE } from '../../../plugins/xero/sync/types';
import { startSyncFixture, type SyncFixture } from './syncFixture';

/** Sales of the stream, each invoiced in its own call: 6 calls in a few seconds, under a quarter of the minute. */
const SALES = 6;

for (const kind of dbKinds()) {
  describe(`Xero history notes beside a stream of sales (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    const sale = (n: number) => ({
      currency: 'GBP', customer: { name: 'Stream Customer', email: 'stream@example.com' },
      lines: [{ description: `Class ${n}`, quantity: 1, unitPrice: `${10 + n}.00`, taxCode: 'OUTPUT2' }],
    });
    const historyCalls = async () => ((await request(f.emu.url).get('/_emulator/calls')).body as { url: string }[]).filter((c) => /\/History$/.test(new URL(c.url).pathname)).length;
    /** One claim of the organisation's due notes, handed to their handler, and its outcomes recorded, as a worker would. */
    const handleNotes = async (): Promise<OutboxOutcome[]> => {
      const db = f.x.host.deps.db;
      const batch = await claimBatch(db, { types: [HISTORY_NOTE], workerId: 'test-worker', leaseMs: 30_000, limit: 500 });
      assert.ok(batch.length > 0, 'a note was due');
      const outcomes = await f.x.host.deps.plugins.handlers.get(HISTORY_NOTE)!.handle(batch, { workerId: 'test-worker', signal: new AbortController().signal });
      for (const [i, item] of batch.entries()) {
        const o = outcomes[i]!;
        if (o.status === 'done') await complete(db, [item], 'test-worker');
        else if (o.status === 'retry') await retry(db, item, 'test-worker', o);
        else if (o.status === 'deferred') await defer(db, item, 'test-worker', o);
      }
      return outcomes;
    };
    /** The stream's invoices, each its own call: workers run the pushes only, the notes wait for the test. */
    const stream = async (sales: number) => {
      f.startWorkers({ handlers: new Map([...f.x.host.deps.plugins.handlers].filter(([type]) => type !== HISTORY_NOTE)) });
      try {
        for (let n = 0; n < sales; n++) {
          await f.sell(sale(n));
          await f.drained();
        }
      } finally {
        await f.stopWorkers();
      }
    };
    const level = async () => {
      const now = Date.now();
      return bucketLevel(await callTimesOfLastMinute(f.x.host.deps.db, tenantKeyOf(f.org.orgId, f.tenantId), now), now, 60);
    };

    it('no note goes while the sales keep the bucket in use; every one goes once they pause', async () => {
      const db = f.x.host.deps.db;
      await stream(SALES);
      const notes = (await db('outbox').where({ type: HISTORY_NOTE, status: 'pending' }).select('created_at')) as { created_at: number | string }[];
      assert.equal(notes.length, SALES, 'one note per invoice, waiting');
      const newest = Math.max(...notes.map((n) => Number(n.created_at)));
      assert.ok(Date.now() - newest < NOTE_QUIET_MS, 'the stream is still busy (its last record is recent)');
      assert.ok(await level() < bucketShape(60).size - NOTE_BUCKET_SLACK, `the stream used the bucket: ${await level()} of 10`);

      const callsBefore = await historyCalls();
      const held = await handleNotes();
      assert.equal(held.length, SALES);
      for (const o of held) {
        assert.equal(o.status, 'deferred', 'stepping aside spends no attempt');
        assert.match(o.status === 'deferred' ? o.reason : '', /organisation's sales/);
      }
      assert.equal(await historyCalls(), callsBefore, 'no note was sent while the stream was busy (the quarter rule alone sent them)');
      const aside = (await db('outbox').where({ type: HISTORY_NOTE }).select('status', 'available_at')) as { status: string; available_at: number | string }[];
      assert.ok(aside.every((n) => n.status === 'pending' && Number(n.available_at) > Date.now() + 50_000), 'stepped aside for about a minute');

      // The stream pauses: no record for NOTE_QUIET_MS, and the notes' minute aside is over.
      await until('the stream has paused', async () => Date.now() - newest >= NOTE_QUIET_MS, NOTE_QUIET_MS + 5_000);
      await db('outbox').where({ type: HISTORY_NOTE, status: 'pending' }).update({ available_at: Date.now() });
      const sent = await handleNotes();
      assert.deepEqual(sent.map((o) => o.status), Array.from({ length: SALES }, () => 'done'), JSON.stringify(sent));
      assert.equal(await historyCalls(), callsBefore + SALES, 'every note went to Xero');
      const history = (await f.books('history')) as { Details: string }[];
      assert.equal(history.filter((h) => /Ledgerbridge/.test(h.Details)).length, SALES, 'one note on each invoice');
    });

    it('a note goes while records keep coming if the bucket is full: its capacity would be lost anyway', async () => {
      const db = f.x.host.deps.db;
      // A quiet minute went by, then a single sale: one call, the bucket within a token of full.
      await db('xero_rate_calls').update({ at: db.raw('at - 61000') });
      const callsBefore = await historyCalls();
      await stream(1);
      assert.ok(await level() >= bucketShape(60).size - NOTE_BUCKET_SLACK, `the bucket is about full: ${await level()}`);
      const outcomes = await handleNotes();
      assert.deepEqual(outcomes.map((o) => o.status), ['done'], JSON.stringify(outcomes));
      assert.equal(await historyCalls(), callsBefore + 1);
    });
  });
}
