// The worker loop on each database: outcomes and thrown errors, wake-ups (in-process, delayed items,
// LISTEN/NOTIFY from another knex instance), graceful stop, metrics.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { createDb } from '../../../server/db/knex';
import { AuthRevokedError, PermanentError, RetryableError } from '../../../server/errors';
import { createOutboxNotifier } from '../../../server/outbox/notifier';
import { startOutboxWorkers, type OutboxWorkers } from '../../../server/outbox/worker';
import { createMetricsRegistry, registerOutboxWorkerMetrics } from '../../../server/outbox/metrics';
import type { OutboxHandler, OutboxItem, OutboxOutcome } from '../../../server/outbox/types';
import { enqueueAll, item, outboxFixture, silentLogger, sleep, statusOf, waitFor, type OutboxFixture } from './helpers';

for (const kind of dbKinds()) {
  describe(`outbox workers (${kind})`, () => {
    let fx: OutboxFixture;
    let typeSeq = 0;
    const freshType = () => `test.${kind}w${++typeSeq}.push`; // per database: metrics counters are process-wide
    before(async () => {
      fx = await outboxFixture(kind);
    });
    after(async () => {
      await fx.close();
    });

    async function withWorkers<T>(handlers: Record<string, OutboxHandler>, run: (w: OutboxWorkers) => Promise<T>, pollMs = 60_000): Promise<T> {
      const workers = startOutboxWorkers({
        db: fx.tdb.db, handlers: new Map(Object.entries(handlers)), concurrency: 2, leaseMs: 10_000, pollMs,
        logger: silentLogger, notifier: fx.notifier,
      });
      await workers.ready;
      try {
        return await run(workers);
      } finally {
        await workers.stop();
      }
    }

    it('applies what handlers return and what they throw', async () => {
      const [outcomes, retryable, permanent, revoked, crash, refused] = [freshType(), freshType(), freshType(), freshType(), freshType(), freshType()];
      const ids: Record<string, number[]> = {};
      let handled = 0;
      const count = <T>(n: number, value: T): T => ((handled += n), value);
      await withWorkers(
        {
          [outcomes]: {
            batchSize: 5,
            async handle(items) {
              handled += items.length;
              return items.map((i): OutboxOutcome => {
                const want = (i.payload as { want: string }).want;
                if (want === 'done') return { status: 'done' };
                if (want === 'retry') return { status: 'retry', error: 'HTTP 503', retryAfterMs: 60_000 };
                if (want === 'failed') return { status: 'failed', error: 'InvoiceNumber must be unique' };
                if (want === 'deferred') return { status: 'deferred', reason: 'steps aside for the stream', delayMs: 60_000 };
                return { status: 'paused', error: 'token revoked' };
              });
            },
          },
          [retryable]: { handle: async () => { throw count(1, new RetryableError('rate limited', { retryAfterMs: 30_000 })); } },
          [permanent]: { handle: async () => { throw count(1, new PermanentError('Account code 999 is not valid', { help: 'Fix the mapping' })); } },
          [revoked]: { handle: async () => { throw count(1, new AuthRevokedError('connection revoked')); } },
          [crash]: { handle: async () => { throw count(1, new TypeError('cannot read x of undefined')); } },
          [refused]: { handle: async () => { throw count(1, new RetryableError('clock off by 600 s', { retryAfterMs: 45_000, spendsAttempt: false })); } },
        },
        async () => {
          const startedAt = Date.now();
          await fx.tdb.db.transaction(async (trx) => {
            ids.outcomes = [];
            for (const want of ['done', 'retry', 'failed', 'paused', 'deferred']) {
              ids.outcomes.push((await fx.writer.enqueue(trx, item({ type: outcomes, payload: { want } }))).id);
            }
            for (const t of [retryable, permanent, revoked, crash, refused]) ids[t] = [(await fx.writer.enqueue(trx, item({ type: t }))).id];
          });
          const all = Object.values(ids).flat();
          await waitFor(async () => handled === all.length, 5_000, 'every item handed to its handler');
          await waitFor(async () => Number((await fx.tdb.db('outbox').whereIn('id', all).where('status', 'leased').count({ n: '*' }).first())?.n) === 0, 2_000, 'outcomes recorded');
          const [done, retried, failed, paused, deferred] = await Promise.all(ids.outcomes!.map((id) => statusOf(fx.tdb.db, id)));
          assert.equal(done!.status, 'done');
          assert.equal(retried!.status, 'pending');
          assert.ok(retried!.available_at >= startedAt + 60_000, 'retryAfterMs honoured');
          assert.deepEqual([failed!.status, failed!.last_error], ['dead', 'InvoiceNumber must be unique']);
          assert.deepEqual([paused!.status, paused!.attempts], ['paused', 0]);
          assert.deepEqual([deferred!.status, deferred!.last_error], ['pending', 'steps aside for the stream']);
          assert.equal(Number((await fx.tdb.db('outbox').where({ id: ids.outcomes![4] }).first('max_attempts')).max_attempts) - deferred!.attempts, Number((await fx.tdb.db('outbox').where({ id: ids.outcomes![0] }).first('max_attempts')).max_attempts), 'deferred: no attempt used up');
          assert.ok(deferred!.available_at >= startedAt + 60_000, 'deferred for its delay');

          const r = await statusOf(fx.tdb.db, ids[retryable]![0]!);
          assert.deepEqual([r.status, r.last_error], ['pending', 'rate limited']);
          assert.ok(r.available_at >= startedAt + 30_000);
          const p = await statusOf(fx.tdb.db, ids[permanent]![0]!);
          assert.deepEqual([p.status, p.last_error], ['dead', 'Account code 999 is not valid — Fix the mapping']);
          const a = await statusOf(fx.tdb.db, ids[revoked]![0]!);
          assert.deepEqual([a.status, a.attempts, a.last_error], ['paused', 0, 'connection revoked']);
          const c = await statusOf(fx.tdb.db, ids[crash]![0]!);
          assert.deepEqual([c.status, c.attempts, c.last_error], ['pending', 1, 'cannot read x of undefined']);
          const k = await statusOf(fx.tdb.db, ids[refused]![0]!);
          assert.deepEqual([k.status, k.last_error], ['pending', 'clock off by 600 s']);
          assert.equal(Number((await fx.tdb.db('outbox').where({ id: ids[refused]![0] }).first('max_attempts')).max_attempts) - k.attempts, Number((await fx.tdb.db('outbox').where({ id: ids.outcomes![0] }).first('max_attempts')).max_attempts), 'refused before anything was done: no attempt used up');
          assert.ok(k.available_at >= startedAt + 45_000);
        },
      );
    });

    it('wakes at once on enqueue in this process, and at the due time of a delayed item (poll is 60 s)', async () => {
      const type = freshType();
      const handledAt = new Map<number, number>();
      await withWorkers({ [type]: { handle: async (items) => items.map((i) => (handledAt.set(i.id, Date.now()), { status: 'done' as const })) } }, async () => {
        await sleep(100); // workers are asleep now
        const t0 = Date.now();
        const { id } = await fx.writer.enqueue(fx.tdb.db, item({ type }));
        await waitFor(() => handledAt.has(id), 2_000, 'immediate item');
        assert.ok(handledAt.get(id)! - t0 < 500, `woke in ${handledAt.get(id)! - t0} ms`);

        const due = Date.now() + 400;
        const delayed = await fx.writer.enqueue(fx.tdb.db, item({ type, availableAt: due }));
        await waitFor(() => handledAt.has(delayed.id), 3_000, 'delayed item');
        const at = handledAt.get(delayed.id)!;
        assert.ok(at >= due, 'not before it is due');
        assert.ok(at - due < 500, `ran ${at - due} ms after due`);
      });
    });

    it('stops gracefully: the in-flight batch is signalled, finishes, and its outcome is recorded', async () => {
      const type = freshType();
      let sawAbort = false;
      let entered!: () => void;
      const inHandler = new Promise<void>((r) => (entered = r));
      const workers = startOutboxWorkers({
        db: fx.tdb.db, concurrency: 1, leaseMs: 10_000, pollMs: 60_000, logger: silentLogger, notifier: fx.notifier,
        handlers: new Map([[type, {
          async handle(items: OutboxItem[], ctx: { signal: AbortSignal }) {
            entered();
            await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
            sawAbort = true;
            await sleep(50); // e.g. finishing the HTTP call already on the wire
            return items.map(() => ({ status: 'retry' as const, error: 'stopped before finishing' }));
          },
        }]]),
      });
      const { id } = await fx.writer.enqueue(fx.tdb.db, item({ type }));
      await inHandler;
      await workers.stop();
      assert.equal(sawAbort, true);
      const row = await statusOf(fx.tdb.db, id);
      assert.deepEqual([row.status, row.last_error], ['pending', 'stopped before finishing']);
    });

    it('ctx.holdLease keeps the batch\'s own items leased, refuses others and bad lengths, and throws once another worker owns one', async () => {
      const type = freshType();
      const seen: string[] = [];
      await withWorkers({
        [type]: {
          batchSize: 2,
          async handle(items, ctx) {
            const ids = items.map((i) => i.id);
            await ctx.holdLease!(ids, 30_000);
            const row = await statusOf(fx.tdb.db, ids[0]!);
            seen.push(`held ${Number(row.lease_expires_at) - Date.now() > 25_000}`);
            await assert.rejects(ctx.holdLease!([ids[0]! + 1000], 1_000), /not in this batch/);
            await assert.rejects(ctx.holdLease!(ids, 0), /forMs must be a whole number/);
            // Another worker takes the second item over (as after an expired lease): the hold now fails for it.
            await fx.tdb.db('outbox').where({ id: ids[1]! }).update({ lease_owner: 'someone-else' });
            await assert.rejects(ctx.holdLease!(ids, 30_000), (err: Error) => err.name === 'LeaseLostError' && err.message.includes(String(ids[1])));
            seen.push('refused');
            return items.map(() => ({ status: 'done' as const }));
          },
        },
      }, async () => {
        // One transaction: the workers wake once both are there, and one claim takes both.
        const [first] = await fx.tdb.db.transaction((trx) => enqueueAll(trx, fx.writer, [item({ type }), item({ type })]));
        await waitFor(async () => (await statusOf(fx.tdb.db, first!)).status === 'done', 5_000, 'done');
      });
      assert.deepEqual(seen, ['held true', 'refused']);
    });

    it('aborts the handler shortly before the lease would expire', async () => {
      const type = freshType();
      let abortedAfter = -1;
      const workers = startOutboxWorkers({
        db: fx.tdb.db, concurrency: 1, leaseMs: 1_000, pollMs: 60_000, logger: silentLogger, notifier: fx.notifier,
        handlers: new Map([[type, {
          async handle(items: OutboxItem[], ctx: { signal: AbortSignal }) {
            const t0 = Date.now();
            await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r(), { once: true }));
            abortedAfter = Date.now() - t0;
            return items.map(() => ({ status: 'done' as const }));
          },
        }]]),
      });
      try {
        const { id } = await fx.writer.enqueue(fx.tdb.db, item({ type }));
        await waitFor(async () => (await statusOf(fx.tdb.db, id)).status === 'done', 3_000, 'done');
        assert.ok(abortedAfter >= 700 && abortedAfter < 1_000, `aborted after ${abortedAfter} ms`);
      } finally {
        await workers.stop();
      }
    });

    it('reports queue depth, oldest pending age, dead count and worker counters in Prometheus text', async () => {
      const type = freshType();
      const registry = createMetricsRegistry(fx.tdb.db);
      const metrics = registerOutboxWorkerMetrics(registry); // the process's own counters, already included
      await fx.tdb.db.transaction(async (trx) => {
        for (let i = 0; i < 3; i++) await fx.writer.enqueue(trx, item({ type, availableAt: Date.now() - 5_000 }));
      });
      metrics.attempts.inc({ type }, 2);
      const text = await registry.metrics();
      assert.match(text, new RegExp(`ledgerbridge_outbox_items\\{status="pending",type="${type.replace(/\./g, '\\.')}"\\} 3`));
      const age = new RegExp(`ledgerbridge_outbox_oldest_pending_age_seconds\\{type="${type.replace(/\./g, '\\.')}"\\} ([0-9.]+)`).exec(text);
      assert.ok(age && Number(age[1]) >= 5 && Number(age[1]) < 60, `age: ${age?.[1]}`);
      assert.match(text, /ledgerbridge_outbox_dead_items \d+/);
      assert.match(text, new RegExp(`ledgerbridge_outbox_attempts_total\\{type="${type.replace(/\./g, '\\.')}"\\} 2`));
      // Workers started without explicit metrics count into the same, process-wide counters.
      await withWorkers({ [type]: { handle: async (items) => items.map(() => ({ status: 'done' as const })) } }, async () => {
        await waitFor(async () => Number((await fx.tdb.db('outbox').where({ type, status: 'done' }).count({ n: '*' }).first())?.n) === 3, 3_000, 'handled');
      });
      assert.match(await registry.metrics(), new RegExp(`ledgerbridge_outbox_attempts_total\\{type="${type.replace(/\./g, '\\.')}"\\} 5`));
      assert.match(await registry.metrics(), new RegExp(`ledgerbridge_outbox_handler_duration_seconds_count\\{type="${type.replace(/\./g, '\\.')}"\\} [1-3]`));
      await fx.tdb.db('outbox').where({ type }).del();
      const after = await registry.metrics();
      assert.doesNotMatch(after, new RegExp(`ledgerbridge_outbox_items\\{status="pending",type="${type.replace(/\./g, '\\.')}"\\}`), 'recomputed on each scrape');
    });

    if (kind === 'pg') {
      it('LISTEN/NOTIFY wakes a worker on another knex instance well within the poll interval, also after the listener reconnects', async () => {
        const type = freshType();
        const pollMs = 10_000;
        const otherDb = createDb(fx.tdb.config);
        const otherNotifier = createOutboxNotifier({ db: otherDb, logger: silentLogger });
        assert.equal(otherNotifier.channel, fx.notifier.channel, 'same schema, same channel');
        assert.match(otherNotifier.channel ?? '', new RegExp(`_${fx.tdb.schema}$`), 'channel carries the schema');
        const handledAt = new Map<number, number>();
        const workers = startOutboxWorkers({
          db: otherDb, concurrency: 1, leaseMs: 10_000, pollMs, logger: silentLogger, notifier: otherNotifier,
          handlers: new Map([[type, { handle: async (items: OutboxItem[]) => items.map((i) => (handledAt.set(i.id, Date.now()), { status: 'done' as const })) }]]),
        });
        try {
          await workers.ready;
          await sleep(200); // asleep on its poll timer
          const latencies: number[] = [];
          for (let i = 0; i < 5; i++) {
            const t0 = Date.now();
            const { id } = await fx.writer.enqueue(fx.tdb.db, item({ type }));
            await waitFor(() => handledAt.has(id), pollMs - 1_000, 'the other instance to handle it');
            latencies.push(handledAt.get(id)! - t0);
            await sleep(50);
          }
          console.log(`    NOTIFY wake latency (ms): ${latencies.join(', ')} (poll ${pollMs} ms)`);
          assert.ok(Math.max(...latencies) < 1_000, `latencies ${latencies.join(', ')}`);

          // The LISTEN connection dies (server restart, failover, idle kill): it reconnects and wakes still work.
          const killed = await fx.tdb.db.raw(
            `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE query = ? AND pid <> pg_backend_pid()`,
            [`LISTEN "${otherNotifier.channel}"`],
          );
          assert.ok(killed.rows.length >= 1, 'found the listener connections (this file\'s own one too)');
          await sleep(1_000); // first reconnect attempt is after 250 ms
          const t0 = Date.now();
          const { id } = await fx.writer.enqueue(fx.tdb.db, item({ type }));
          await waitFor(() => handledAt.has(id), pollMs - 1_000, 'a wake after reconnecting');
          assert.ok(handledAt.get(id)! - t0 < 1_000, `woke ${handledAt.get(id)! - t0} ms after enqueue`);
        } finally {
          await workers.stop();
          await otherNotifier.close();
          await otherDb.destroy();
        }
      });
    }
  });
}
