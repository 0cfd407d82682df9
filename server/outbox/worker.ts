// The worker loop: claim a batch under a lease (organisations in turn) → run its handler → apply the
// outcomes (fenced) → repeat while there is work; otherwise sleep until woken (enqueue in this process, NOTIFY from another one),
// until the next delayed item or expiring lease comes due, or at most pollMs.
//
// Lease and handler time: there is no heartbeat. The handler's AbortSignal fires `abortMarginMs` before
// the lease ends, and handlers are expected to stop and return `retry` for what they could not finish.
// A hung handler therefore never holds items longer than one lease; size OUTBOX_LEASE_MS for the
// slowest batch (a 50-element Xero call fits easily in the 60 s default). The one exception is a request
// already on its way: the handler holds its items' lease (ctx.holdLease) for as long as that request may
// still land, right before sending it, so that no other worker sends them again meanwhile (README).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../db/knex';
import { nowMs } from '../db/knex';
import type { Logger } from '../logger';
import { AuthRevokedError, PermanentError, RetryableError } from '../errors';
import type { OutboxHandler, OutboxOutcome } from './types';
import type { OutboxNotifier } from './notifier';
import type { LeasedItem } from './rows';
import type { BackoffPolicy } from './backoff';
import { processWorkerMetrics, type OutboxWorkerMetrics } from './metrics';
import { claimBatch, nextDueAt, orgCursorAfter, reapExhaustedLeases } from './claim';
import { complete, defer, fail, holdLease, LeaseLostError, pause, retry } from './transitions';

export interface OutboxWorkersOptions {
  db: Db;
  /** Handlers by full type (`xero.invoice.push`). Workers claim only these types. */
  handlers: Map<string, OutboxHandler>;
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  logger: Logger;
  notifier: OutboxNotifier;
  /** Lease owner ids are `<prefix>:<n>`; default `<hostname>:<pid>:<random>`. */
  workerIdPrefix?: string;
  /** Default: this process's worker metrics, included in every createMetricsRegistry(db). */
  metrics?: OutboxWorkerMetrics;
  backoff?: BackoffPolicy;
  /** How long before the lease ends the handler's signal aborts. Default: 10 % of the lease, 100 ms to 5 s. */
  abortMarginMs?: number;
}

export interface OutboxWorkers {
  /** Graceful: no new claims; in-flight handlers are signalled and awaited, their outcomes applied. */
  stop(): Promise<void>;
  /** Look for work now (e.g. after an admin retry in this process). */
  wake(): void;
  /** Resolves once cross-process wake-ups (LISTEN) are in effect. */
  ready: Promise<void>;
}

const DB_ERROR_BACKOFF_MIN_MS = 200;
/** The longest a handler may hold its items' lease in one go (ctx.holdLease): a bound against a mistaken caller. */
const MAX_HOLD_MS = 3_600_000;

export function startOutboxWorkers(opts: OutboxWorkersOptions): OutboxWorkers {
  const { db, handlers, logger } = opts;
  const metrics = opts.metrics ?? processWorkerMetrics();
  const types = [...handlers.keys()];
  const prefix = opts.workerIdPrefix ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const abortMarginMs = opts.abortMarginMs ?? Math.min(5_000, Math.max(100, Math.round(opts.leaseMs * 0.1)));
  const reapEveryMs = Math.min(opts.leaseMs, 5_000);
  let lastReapAt = 0;
  let stopping = false;
  const inFlight = new Set<AbortController>();

  interface Slot { woken: boolean; interrupt: (() => void) | null }
  const slots: Slot[] = Array.from({ length: Math.max(1, opts.concurrency) }, () => ({ woken: false, interrupt: null }));

  const wakeAll = () => {
    for (const slot of slots) {
      slot.woken = true;
      slot.interrupt?.();
    }
  };
  const unsubscribe = opts.notifier.subscribe((type) => {
    if (type === null || handlers.has(type)) wakeAll();
  });

  /** Sleep that ends early on wake or stop. */
  const sleep = (slot: Slot, ms: number) =>
    new Promise<void>((resolve) => {
      if (slot.woken || stopping) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        slot.interrupt = null;
        resolve();
      }
      slot.interrupt = done;
    });

  const reapIfDue = async () => {
    const now = Date.now();
    if (now - lastReapAt < reapEveryMs) return;
    lastReapAt = now;
    const reaped = await reapExhaustedLeases(db, now);
    if (reaped > 0) logger.warn({ reaped }, 'outbox items died: lease expired during their final attempt');
  };

  async function runSlot(slot: Slot, workerId: string): Promise<void> {
    let dbFailures = 0;
    // Round robin across organisations: the key this slot served last (claim.ts, afterOrg). In memory and
    // per slot: losing it on restart only restarts the round.
    let orgCursor: number | null = null;
    while (!stopping) {
      slot.woken = false;
      let batch: LeasedItem[];
      try {
        await reapIfDue();
        batch = await claimBatch(db, { types, workerId, leaseMs: opts.leaseMs, limit: (t) => handlers.get(t)?.batchSize ?? 1, afterOrg: orgCursor });
        orgCursor = orgCursorAfter(batch, orgCursor);
        dbFailures = 0;
      } catch (err) {
        dbFailures++;
        const wait = Math.min(opts.pollMs, DB_ERROR_BACKOFF_MIN_MS * 2 ** Math.min(dbFailures, 10));
        logger.error({ err, workerId, retryInMs: wait }, 'outbox claim failed');
        await sleep(slot, wait);
        continue;
      }
      if (batch.length > 0) {
        await handleBatch(batch, workerId);
        continue; // there may be more: look again at once
      }
      if (slot.woken) continue; // a wake arrived while claiming: the claim may have missed that item
      let wait = opts.pollMs;
      try {
        const dueAt = await nextDueAt(db, types);
        if (dueAt !== null) wait = Math.min(wait, dueAt - Date.now() + 5);
      } catch (err) {
        logger.warn({ err }, 'outbox: could not read the next due time; polling');
      }
      await sleep(slot, wait);
    }
  }

  async function handleBatch(batch: LeasedItem[], workerId: string): Promise<void> {
    const first = batch[0]!;
    const type = first.type;
    const handler = handlers.get(type);
    metrics.attempts.inc({ type }, batch.length);
    if (!handler) return; // unreachable: only handled types are claimed; the lease simply expires
    const controller = new AbortController();
    inFlight.add(controller);
    if (stopping) controller.abort(new Error('outbox worker stopping'));
    const abortTimer = setTimeout(
      () => controller.abort(new Error('outbox lease about to expire')),
      Math.max(0, first.leaseExpiresAt - abortMarginMs - Date.now()),
    );
    const startedAt = performance.now();
    let outcomes: OutboxOutcome[] | undefined;
    let thrown: unknown;
    try {
      outcomes = await handler.handle(batch, { workerId, signal: controller.signal, holdLease: leaseHolder(batch, workerId) });
    } catch (err) {
      thrown = err;
    } finally {
      clearTimeout(abortTimer);
      inFlight.delete(controller);
      metrics.handlerSeconds.observe({ type }, (performance.now() - startedAt) / 1000);
    }
    try {
      if (thrown !== undefined) await applyThrown(batch, workerId, thrown);
      else await applyOutcomes(batch, workerId, outcomes ?? []);
    } catch (err) {
      // The lease will expire and the items come back: the attempt is spent, nothing is lost.
      logger.error({ err, workerId, type, ids: batch.map((i) => i.id) }, 'outbox: could not record outcomes');
    }
  }

  /** How long an item refused without spending an attempt waits when the error names no time. */
  const DEFERRED_RETRY_MS = 60_000;

  async function applyThrown(batch: LeasedItem[], workerId: string, err: unknown): Promise<void> {
    const type = batch[0]!.type;
    if (err instanceof LeaseLostError) {
      logger.warn({ workerId, type, ids: err.itemIds }, 'outbox lease lost: another worker owns these items now; nothing recorded');
      return;
    }
    if (err instanceof AuthRevokedError) {
      metrics.failures.inc({ type, outcome: 'paused' }, batch.length);
      return reportLost(await pause(db, batch, workerId, err.message), workerId, type);
    }
    if (err instanceof PermanentError) {
      metrics.failures.inc({ type, outcome: 'failed' }, batch.length);
      return reportLost(await fail(db, batch, workerId, err.help ? `${err.message} — ${err.help}` : err.message), workerId, type);
    }
    const retryAfterMs = err instanceof RetryableError ? err.retryAfterMs : undefined;
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof RetryableError && !err.spendsAttempt) {
      // Refused before anything was done, for a reason retrying cannot wear out: wait, keep the attempts.
      for (const item of batch) reportLost(await defer(db, item, workerId, { reason: message, delayMs: retryAfterMs ?? DEFERRED_RETRY_MS }), workerId, type);
      return;
    }
    if (!(err instanceof RetryableError)) logger.warn({ err, workerId, type }, 'outbox handler threw; will retry');
    metrics.failures.inc({ type, outcome: 'retry' }, batch.length);
    for (const item of batch) {
      reportLost(await retry(db, item, workerId, { error: message, retryAfterMs }, { policy: opts.backoff }), workerId, type);
    }
  }

  async function applyOutcomes(batch: LeasedItem[], workerId: string, outcomes: OutboxOutcome[]): Promise<void> {
    const type = batch[0]!.type;
    if (outcomes.length !== batch.length) {
      logger.error({ type, items: batch.length, outcomes: outcomes.length }, 'outbox handler returned the wrong number of outcomes');
    }
    const done: LeasedItem[] = [];
    for (const [index, item] of batch.entries()) {
      const outcome: OutboxOutcome = outcomes[index] ?? { status: 'retry', error: `handler returned no outcome for item ${item.id}` };
      switch (outcome.status) {
        case 'done':
          done.push(item);
          break;
        case 'retry':
          metrics.failures.inc({ type, outcome: 'retry' });
          reportLost(await retry(db, item, workerId, outcome, { policy: opts.backoff }), workerId, type);
          break;
        case 'failed':
          metrics.failures.inc({ type, outcome: 'failed' });
          reportLost(await fail(db, item, workerId, outcome.error), workerId, type);
          break;
        case 'paused':
          metrics.failures.inc({ type, outcome: 'paused' });
          reportLost(await pause(db, item, workerId, outcome.error), workerId, type);
          break;
        case 'deferred':
          // Not a failure: nothing was tried. Not counted in the failure metrics either.
          reportLost(await defer(db, item, workerId, outcome), workerId, type);
          break;
      }
    }
    if (done.length > 0) reportLost(await complete(db, done, workerId), workerId, type);
  }

  /** ctx.holdLease for one batch: only its own items, fenced, for a bounded time. */
  function leaseHolder(batch: readonly LeasedItem[], workerId: string): (itemIds: readonly number[], forMs: number) => Promise<void> {
    const own = new Set(batch.map((item) => item.id));
    return async (itemIds, forMs) => {
      if (!Number.isSafeInteger(forMs) || forMs <= 0 || forMs > MAX_HOLD_MS) {
        throw new Error(`outbox holdLease: forMs must be a whole number of ms from 1 to ${MAX_HOLD_MS}, got ${forMs}`);
      }
      const foreign = itemIds.filter((id) => !own.has(id));
      if (foreign.length > 0) throw new Error(`outbox holdLease: item(s) ${foreign.join(', ')} are not in this batch`);
      const lost = await holdLease(db, [...new Set(itemIds)].map((id) => ({ id })), workerId, nowMs() + forMs);
      if (lost.length > 0) throw new LeaseLostError(lost, workerId);
    };
  }

  function reportLost(ids: number[], workerId: string, type: string): void {
    if (ids.length > 0) logger.warn({ workerId, type, ids }, 'outbox lease lost before the outcome was recorded; another worker owns these items now');
  }

  const loops = slots.map((slot, n) =>
    runSlot(slot, `${prefix}:${n}`).catch((err) => logger.error({ err }, 'outbox worker loop crashed')),
  );

  return {
    ready: opts.notifier.ready(),
    wake: wakeAll,
    async stop() {
      if (stopping) return Promise.all(loops).then(() => undefined);
      stopping = true;
      unsubscribe();
      for (const controller of inFlight) controller.abort(new Error('outbox worker stopping'));
      for (const slot of slots) slot.interrupt?.();
      await Promise.all(loops);
    },
  };
}
