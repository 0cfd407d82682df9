// The outbox's "done when": 4 worker PROCESSES drain 5,000 items, each handled exactly once, even when
// one or two workers are killed with SIGKILL while holding a lease. The handler's effect (a test_effects
// row, no unique constraint) commits with the completion, so a double delivery would show as two rows.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { once } from 'node:events';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { createOutboxNotifier } from '../../../server/outbox/notifier';
import { createOutboxWriter } from '../../../server/outbox/writer';
import { silentLogger, sleep, waitFor } from './helpers';

const ITEMS = 5_000;
const WORKERS = 4;
const LEASE_MS = 2_000;
const TYPE = 'test.effect.write';
const here = dirname(fileURLToPath(import.meta.url));

interface Worker { id: string; proc: ChildProcess; alive: boolean }

function spawnWorker(tdb: TestDatabase, id: string): Promise<Worker> {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(here, 'worker-process.ts')], {
    env: {
      ...process.env, DATABASE_URL: tdb.url, WORKER_ID: id, ITEM_TYPE: TYPE, LEASE_MS: String(LEASE_MS),
      POLL_MS: '100', BATCH_SIZE: '10', HANDLER_DELAY_MS: '3', WORKER_LOG_LEVEL: process.env.OUTBOX_TEST_LOG ?? 'error',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const worker: Worker = { id, proc, alive: true };
  proc.once('exit', () => (worker.alive = false));
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('READY')) resolve(worker);
    });
    proc.once('exit', (code) => reject(new Error(`worker ${id} exited (${code}) before it was ready`)));
  });
}

const count = async (tdb: TestDatabase, q: (db: TestDatabase['db']) => ReturnType<TestDatabase['db']['count']>) =>
  Number(((await q(tdb.db)) as unknown as { n: number | string }[])[0]?.n ?? 0);

/**
 * Kill one worker while it holds a lease: pick one of the workers holding a lease right now, freeze it
 * (SIGSTOP), confirm what it holds, and SIGKILL it (else let it run on and pick again). Returns the victim
 * and the items it left leased.
 */
async function killMidLease(tdb: TestDatabase, workers: Worker[]): Promise<{ victim: Worker; orphans: number[] }> {
  const leasedBy = async (worker: Worker) =>
    (await tdb.db('outbox').where('status', 'leased').andWhere('lease_owner', 'like', `${worker.id}:%`).select('id')).map((r) => Number(r.id));
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const owners = new Set(
      (await tdb.db('outbox').where('status', 'leased').andWhere('lease_expires_at', '>', Date.now()).distinct('lease_owner')).map((r) => String(r.lease_owner)),
    );
    const holders = workers.filter((w) => w.alive && [...owners].some((o) => o.startsWith(`${w.id}:`)));
    const victim = holders[Math.floor(Math.random() * holders.length)];
    if (!victim) {
      await sleep(5);
      continue;
    }
    victim.proc.kill('SIGSTOP');
    await sleep(30); // let statements already on the wire (a COMMIT) land
    if ((await leasedBy(victim)).length > 0) {
      victim.proc.kill('SIGKILL');
      await once(victim.proc, 'exit');
      await sleep(200); // PostgreSQL aborts the dead connection's open transaction
      return { victim, orphans: await leasedBy(victim) };
    }
    victim.proc.kill('SIGCONT');
  }
  throw new Error('no worker held a lease to be killed in 20 s');
}

for (const kind of dbKinds()) {
  describe(`outbox exactly-once across processes (${kind})`, () => {
    it(`4 worker processes, ${ITEMS} items, kill -9 twice mid-lease: every item handled exactly once, in subject order`, { timeout: 120_000 }, async () => {
      const tdb = await createTestDatabase(kind);
      const notifier = createOutboxNotifier({ db: tdb.db, logger: silentLogger });
      const writer = createOutboxWriter({ notifier, defaultMaxAttempts: 10 });
      const workers: Worker[] = [];
      const t0 = Date.now();
      try {
        await tdb.db.schema.createTable('test_effects', (t) => {
          t.increments('id');
          t.integer('item_id').notNullable(); // deliberately not unique: a duplicate must be visible
          t.string('worker_id', 128).notNullable();
        });

        // Three tenants; every 10 consecutive-by-subject items share a subject, so order is tested under load.
        for (let chunk = 0; chunk < ITEMS; chunk += 500) {
          await tdb.db.transaction(async (trx) => {
            for (let i = chunk; i < chunk + 500; i++) {
              await writer.enqueue(trx, { type: TYPE, orgId: (i % 3) + 1, dedupeKey: `effect-${i}`, subject: `s${i % 500}`, payload: { i } });
            }
          });
        }
        const enqueuedAt = Date.now();
        // Workers start on a full queue, so "x % done" below is a moment in the middle of their run.
        workers.push(...(await Promise.all(Array.from({ length: WORKERS }, (_, n) => spawnWorker(tdb, `${kind}-w${n}`)))));
        const startedAt = Date.now();

        const doneCount = () => count(tdb, (db) => db('outbox').where('status', 'done').count({ n: '*' }));
        const orphans: number[] = [];
        const leftBy = new Map<number, string>(); // orphan id → the worker that died holding it
        const victims: string[] = [];
        // Early enough that plenty of work remains for the survivors to pick the orphans up afterwards.
        for (const fraction of [0.1 + Math.random() * 0.2, 0.4 + Math.random() * 0.2]) {
          await waitFor(async () => (await doneCount()) >= ITEMS * fraction, 60_000, `${Math.round(fraction * 100)} % done`);
          const { victim, orphans: left } = await killMidLease(tdb, workers);
          victims.push(victim.id);
          for (const id of left) {
            orphans.push(id);
            leftBy.set(id, victim.id);
          }
        }
        await waitFor(async () => (await doneCount()) === ITEMS, 60_000, 'all items done');
        const drainedAt = Date.now();

        const effects = await count(tdb, (db) => db('test_effects').count({ n: '*' }));
        const distinct = await count(tdb, (db) => db('test_effects').countDistinct({ n: 'item_id' }));
        const notDone = await count(tdb, (db) => db('outbox').whereNot('status', 'done').count({ n: '*' }));
        assert.equal(effects, ITEMS, 'one effect per item, no duplicates');
        assert.equal(distinct, ITEMS);
        assert.equal(notDone, 0);

        // The dead workers' leased items came back after the lease and were handled once, by someone else.
        assert.ok(orphans.length > 0, 'the kills happened mid-lease');
        const orphanRows = await tdb.db('outbox').whereIn('id', orphans).select('id', 'attempts', 'lease_owner');
        for (const row of orphanRows) {
          assert.ok(Number(row.attempts) >= 2, `orphan ${row.id} was attempted again`);
          // (by another worker; that may be the second victim, before it died)
          assert.ok(!String(row.lease_owner).startsWith(`${leftBy.get(Number(row.id))}:`), `orphan ${row.id} completed by another worker`);
        }
        // The effect was written by the worker that completed the item (fencing held).
        const mismatched = await count(tdb, (db) =>
          db('test_effects as e').join('outbox as o', 'o.id', 'e.item_id').whereRaw('o.lease_owner <> e.worker_id').count({ n: '*' }));
        assert.equal(mismatched, 0);
        // Within a subject, effects happened in enqueue order.
        const sequence = await tdb.db('test_effects as e').join('outbox as o', 'o.id', 'e.item_id').select('o.subject', 'o.id').orderBy('e.id');
        const lastBySubject = new Map<string, number>();
        for (const row of sequence) {
          const previous = lastBySubject.get(row.subject) ?? 0;
          assert.ok(Number(row.id) > previous, `subject ${row.subject}: item ${row.id} ran after ${previous}`);
          lastBySubject.set(row.subject, Number(row.id));
        }
        const perWorker = (await tdb.db('test_effects').select('worker_id').count({ n: '*' }).groupBy('worker_id').orderBy('worker_id')) as { worker_id: string; n: number | string }[];
        console.log(
          `    ${kind}: enqueue ${enqueuedAt - t0} ms, spawn ${startedAt - enqueuedAt} ms, drained in ${drainedAt - startedAt} ms (from the first READY, incl. 2 lease expiries); ` +
            `killed ${victims.join(', ')} holding ${orphans.length} items; effects per worker ${perWorker.map((r) => `${r.worker_id}=${r.n}`).join(' ')}`,
        );
      } finally {
        for (const w of workers.filter((x) => x.alive)) w.proc.kill('SIGTERM');
        await Promise.all(workers.filter((x) => x.alive).map((w) => once(w.proc, 'exit')));
        await notifier.close();
        await tdb.destroy();
      }
    });
  });
}
