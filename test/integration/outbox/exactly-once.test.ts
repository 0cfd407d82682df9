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
 * Kill a worker while it holds a lease: freeze it (SIGSTOP), look at what it holds, and SIGKILL it only
 * if that is not nothing (else let it run on and try again). Returns the items it left leased.
 */
async function killMidLease(tdb: TestDatabase, worker: Worker): Promise<number[]> {
  const leasedBy = async () =>
    (await tdb.db('outbox').where('status', 'leased').andWhere('lease_owner', 'like', `${worker.id}:%`).select('id')).map((r) => Number(r.id));
  for (let tries = 0; tries < 200; tries++) {
    worker.proc.kill('SIGSTOP');
    await sleep(30); // let statements already on the wire (a COMMIT) land
    if ((await leasedBy()).length > 0) {
      worker.proc.kill('SIGKILL');
      await once(worker.proc, 'exit');
      await sleep(200); // PostgreSQL aborts the dead connection's open transaction
      return leasedBy();
    }
    worker.proc.kill('SIGCONT');
    await sleep(5 + Math.random() * 20);
  }
  throw new Error(`worker ${worker.id} never held a lease`);
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
        workers.push(...(await Promise.all(Array.from({ length: WORKERS }, (_, n) => spawnWorker(tdb, `${kind}-w${n}`)))));
        const startedAt = Date.now();

        // Three tenants; every 10 consecutive-by-subject items share a subject, so order is tested under load.
        for (let chunk = 0; chunk < ITEMS; chunk += 500) {
          await tdb.db.transaction(async (trx) => {
            for (let i = chunk; i < chunk + 500; i++) {
              await writer.enqueue(trx, { type: TYPE, orgId: (i % 3) + 1, dedupeKey: `effect-${i}`, subject: `s${i % 500}`, payload: { i } });
            }
          });
        }
        const enqueuedAt = Date.now();

        const doneCount = () => count(tdb, (db) => db('outbox').where('status', 'done').count({ n: '*' }));
        const orphans: number[] = [];
        const victims: string[] = [];
        for (const fraction of [0.15 + Math.random() * 0.2, 0.45 + Math.random() * 0.2]) {
          await waitFor(async () => (await doneCount()) >= ITEMS * fraction, 60_000, `${Math.round(fraction * 100)} % done`);
          const alive = workers.filter((w) => w.alive);
          const victim = alive[Math.floor(Math.random() * alive.length)]!;
          victims.push(victim.id);
          orphans.push(...(await killMidLease(tdb, victim)));
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
          assert.ok(!victims.some((v) => String(row.lease_owner).startsWith(`${v}:`)), `orphan ${row.id} completed by a survivor`);
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
          `    ${kind}: spawn ${startedAt - t0} ms, enqueue ${enqueuedAt - startedAt} ms, drained ${drainedAt - startedAt} ms after the first enqueue; ` +
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
