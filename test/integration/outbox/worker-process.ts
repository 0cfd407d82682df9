// A worker process for the exactly-once test: `node --import tsx worker-process.ts`, configured by env.
// Its handler's effect is a row in test_effects, written in the same transaction as the completion,
// so an item handled twice would leave two rows. Prints READY once listening; SIGTERM stops it gracefully.
import { createDb } from '../../../server/db/knex';
import { databaseFromUrl } from '../../../server/config';
import { createLogger } from '../../../server/logger';
import { createOutboxNotifier } from '../../../server/outbox/notifier';
import { startOutboxWorkers } from '../../../server/outbox/worker';
import { completeInTrx } from '../../../server/outbox/transitions';
import type { OutboxItem } from '../../../server/outbox/types';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`${name} is required`);
  return v;
};

const db = createDb(databaseFromUrl(env('DATABASE_URL'), '.', 2));
const logger = createLogger({ level: env('WORKER_LOG_LEVEL', 'warn'), name: env('WORKER_ID') });
const notifier = createOutboxNotifier({ db, logger });
const handlerDelayMs = Number(env('HANDLER_DELAY_MS', '0'));

const workers = startOutboxWorkers({
  db, logger, notifier,
  concurrency: Number(env('CONCURRENCY', '1')),
  leaseMs: Number(env('LEASE_MS', '2000')),
  pollMs: Number(env('POLL_MS', '200')),
  workerIdPrefix: env('WORKER_ID'),
  handlers: new Map([[env('ITEM_TYPE'), {
    batchSize: Number(env('BATCH_SIZE', '10')),
    async handle(items: OutboxItem[], ctx: { workerId: string }) {
      // Time "on the wire": the window in which a kill -9 leaves the batch leased.
      if (handlerDelayMs > 0) await new Promise((r) => setTimeout(r, handlerDelayMs));
      await db.transaction(async (trx) => {
        await trx('test_effects').insert(items.map((i) => ({ item_id: i.id, worker_id: ctx.workerId })));
        await completeInTrx(trx, items, ctx.workerId);
      });
      return items.map(() => ({ status: 'done' as const }));
    },
  }]]),
});

await workers.ready;
process.stdout.write('READY\n');

process.on('SIGTERM', () => {
  void (async () => {
    await workers.stop();
    await notifier.close();
    await db.destroy();
    process.exit(0);
  })();
});
