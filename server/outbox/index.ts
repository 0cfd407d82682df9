// The outbox's public surface for the host (boot, main, CLI, ops routes, tests).
export * from './types';
export { createOutboxNotifier, type OutboxNotifier, type WakeListener } from './notifier';
export { createOutboxWriter, afterCommit, pluginIdOf, type OutboxWriterOptions } from './writer';
export { claimBatch, orgCursorAfter, reapExhaustedLeases, nextDueAt, type ClaimOptions } from './claim';
export { complete, completeInTrx, retry, fail, pause, defer, holdLease, LeaseLostError } from './transitions';
export { listOutbox, retryItems, resumePaused, purgeDone, type OutboxListEntry } from './admin';
export { startOutboxWorkers, type OutboxWorkers, type OutboxWorkersOptions } from './worker';
export { createMetricsRegistry, registerOutboxWorkerMetrics, type OutboxWorkerMetrics } from './metrics';
export { retryDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff';
export { outboxChannelName } from './channel';
export type { LeasedItem } from './rows';
