// Prometheus metrics for the outbox. Queue gauges are computed from the database when scraped, so any
// process (web or worker) reports the same, exact numbers for the whole queue. Counters and the handler
// histogram are per process (Prometheus sums them across instances).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/knex';
import { nowMs } from '../db/knex';
import { OUTBOX_TABLE } from './rows';

export interface OutboxWorkerMetrics {
  attempts: Counter<'type'>;
  failures: Counter<'type' | 'outcome'>;
  handlerSeconds: Histogram<'type'>;
}

interface QueueSnapshot {
  byStatusAndType: { status: string; type: string; count: number }[];
  oldestPendingAt: { type: string; at: number }[];
  dead: number;
}

const STATUSES = ['pending', 'leased', 'done', 'dead', 'paused'] as const;

// Worker counters of this process live in one registry that every /metrics registry includes, so the
// host needs no extra wiring: workers record into processWorkerMetrics() unless given other metrics.
const processRegistry = new Registry();
let processMetrics: OutboxWorkerMetrics | undefined;
export function processWorkerMetrics(): OutboxWorkerMetrics {
  processMetrics ??= registerOutboxWorkerMetrics(processRegistry);
  return processMetrics;
}

/**
 * A registry with the queue gauges (computed from the database on each scrape) and this process's worker
 * counters; the host serves `registry.metrics()` at /metrics.
 */
export function createMetricsRegistry(db: Db, opts: { includeWorkerMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  // One query set per scrape, shared by every gauge (the registry collects them concurrently).
  let inflight: Promise<QueueSnapshot> | null = null;
  const snapshot = (): Promise<QueueSnapshot> => {
    inflight ??= readQueue(db).finally(() => {
      inflight = null;
    });
    return inflight;
  };

  new Gauge({
    name: 'ledgerbridge_outbox_items',
    help: 'Outbox items by status and type (queue depth).',
    labelNames: ['status', 'type'],
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      this.reset();
      for (const row of snap.byStatusAndType) this.set({ status: row.status, type: row.type }, row.count);
    },
  });
  new Gauge({
    name: 'ledgerbridge_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest due pending item, by type (0 when none is waiting).',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      const snap = await snapshot();
      const now = nowMs();
      this.reset();
      for (const row of snap.oldestPendingAt) this.set({ type: row.type }, Math.max(0, (now - row.at) / 1000));
    },
  });
  new Gauge({
    name: 'ledgerbridge_outbox_dead_items',
    help: 'Items that failed for good and wait for a person (retry with `outbox:retry --dead`).',
    registers: [registry],
    async collect() {
      this.set((await snapshot()).dead);
    },
  });
  if (opts.includeWorkerMetrics === false) return registry;
  processWorkerMetrics();
  return Registry.merge([registry, processRegistry]);
}

/** Counters and the handler histogram that workers record into (pass as `metrics` to startOutboxWorkers). */
export function registerOutboxWorkerMetrics(registry: Registry): OutboxWorkerMetrics {
  const existing = registry.getSingleMetric('ledgerbridge_outbox_attempts_total');
  if (existing) {
    return {
      attempts: existing as Counter<'type'>,
      failures: registry.getSingleMetric('ledgerbridge_outbox_failures_total') as Counter<'type' | 'outcome'>,
      handlerSeconds: registry.getSingleMetric('ledgerbridge_outbox_handler_duration_seconds') as Histogram<'type'>,
    };
  }
  return {
    attempts: new Counter({ name: 'ledgerbridge_outbox_attempts_total', help: 'Items handed to a handler (one per attempt).', labelNames: ['type'], registers: [registry] }),
    failures: new Counter({
      name: 'ledgerbridge_outbox_failures_total',
      help: 'Attempts that did not end in done, by what happened next (retry, failed, paused).',
      labelNames: ['type', 'outcome'],
      registers: [registry],
    }),
    handlerSeconds: new Histogram({
      name: 'ledgerbridge_outbox_handler_duration_seconds',
      help: 'Time a handler took for one batch.',
      labelNames: ['type'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}

async function readQueue(db: Db): Promise<QueueSnapshot> {
  const now = nowMs();
  const byStatusAndType = (await db(OUTBOX_TABLE).select('status', 'type').count({ count: '*' }).groupBy('status', 'type')) as {
    status: string; type: string; count: number | string;
  }[];
  const oldest = (await db(OUTBOX_TABLE)
    .where('status', 'pending')
    .andWhere('available_at', '<=', now)
    .select('type')
    .min({ at: 'available_at' })
    .groupBy('type')) as { type: string; at: number | string }[];
  const rows = byStatusAndType
    .filter((r) => (STATUSES as readonly string[]).includes(r.status))
    .map((r) => ({ status: r.status, type: r.type, count: Number(r.count) }));
  return {
    byStatusAndType: rows,
    oldestPendingAt: oldest.map((r) => ({ type: r.type, at: Number(r.at) })),
    dead: rows.filter((r) => r.status === 'dead').reduce((sum, r) => sum + r.count, 0),
  };
}
