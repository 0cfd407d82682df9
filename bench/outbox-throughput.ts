// Outbox throughput: items per second drained by 1, 2 and 4 in-process workers, batch sizes 1 and 10,
// on SQLite and (when TEST_PG_URL or BENCH_PG_URL is set) PostgreSQL. The handler does nothing, so this
// is the queue's own cost: claim + lease + complete. Prints a table; no pass/fail.
//   npx tsx bench/outbox-throughput.ts            BENCH_ITEMS=5000 by default
import { createTestDatabase, type DbKind } from '../test/support/db';
import { createLogger } from '../server/logger';
import { createOutboxNotifier } from '../server/outbox/notifier';
import { createOutboxWriter } from '../server/outbox/writer';
import { startOutboxWorkers } from '../server/outbox/worker';
import type { OutboxItem } from '../server/outbox/types';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 5_000);
const TYPE = 'bench.item.push';
const logger = createLogger({ level: 'warn' });
if (!process.env.TEST_PG_URL && process.env.BENCH_PG_URL) process.env.TEST_PG_URL = process.env.BENCH_PG_URL;
const kinds: DbKind[] = process.env.TEST_PG_URL ? ['sqlite', 'pg'] : ['sqlite'];

interface Row { db: DbKind; workers: number; batch: number; seconds: number; perSecond: number }

async function drain(kind: DbKind, workers: number, batch: number): Promise<Row> {
  const tdb = await createTestDatabase(kind);
  const notifier = createOutboxNotifier({ db: tdb.db, logger });
  const writer = createOutboxWriter({ notifier, defaultMaxAttempts: 5 });
  try {
    for (let chunk = 0; chunk < ITEMS; chunk += 1_000) {
      await tdb.db.transaction(async (trx) => {
        for (let i = chunk; i < Math.min(ITEMS, chunk + 1_000); i++) {
          await writer.enqueue(trx, { type: TYPE, orgId: (i % 3) + 1, dedupeKey: `bench-${i}`, payload: { i } });
        }
      });
    }
    let handled = 0;
    let finished!: () => void;
    const allDone = new Promise<void>((r) => (finished = r));
    const startedAt = performance.now();
    const running = startOutboxWorkers({
      db: tdb.db, logger, notifier, concurrency: workers, leaseMs: 60_000, pollMs: 1_000,
      handlers: new Map([[TYPE, {
        batchSize: batch,
        async handle(items: OutboxItem[]) {
          handled += items.length;
          if (handled >= ITEMS) setImmediate(finished);
          return items.map(() => ({ status: 'done' as const }));
        },
      }]]),
    });
    await allDone;
    await running.stop(); // records the last outcomes before the clock stops
    const seconds = (performance.now() - startedAt) / 1000;
    return { db: kind, workers, batch, seconds, perSecond: ITEMS / seconds };
  } finally {
    await notifier.close();
    await tdb.destroy();
  }
}

const rows: Row[] = [];
for (const kind of kinds) {
  for (const batch of [1, 10]) {
    for (const workers of [1, 2, 4]) {
      rows.push(await drain(kind, workers, batch));
      const r = rows.at(-1)!;
      process.stderr.write(`  ${r.db} workers=${r.workers} batch=${r.batch}: ${Math.round(r.perSecond)} items/s\n`);
    }
  }
}

console.log(`\nOutbox throughput, ${ITEMS} items, no-op handler (node ${process.version})\n`);
console.log('| db     | workers | batch | seconds | items/s |');
console.log('| ------ | ------- | ----- | ------- | ------- |');
for (const r of rows) {
  console.log(`| ${r.db.padEnd(6)} | ${String(r.workers).padStart(7)} | ${String(r.batch).padStart(5)} | ${r.seconds.toFixed(2).padStart(7)} | ${String(Math.round(r.perSecond)).padStart(7)} |`);
}
const best = rows.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
console.log(`\nBest: ${Math.round(best.perSecond)} items/s (${best.db}, ${best.workers} workers, batch ${best.batch}).`);
