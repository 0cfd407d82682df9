import type { Queryable } from '../db/knex';

export type OutboxStatus = 'pending' | 'leased' | 'done' | 'dead' | 'paused';

export interface EnqueueInput {
  /** The type names its handler: `<pluginId>.<thing>.<verb>`, e.g. `xero.invoice.push`. */
  type: string;
  orgId: number | null;
  /** Globally unique; a second enqueue with the same key is a no-op (returns the existing item). */
  dedupeKey: string;
  payload: unknown;
  /** Items sharing a subject are handled strictly in enqueue order (a credit note waits for its invoice). */
  subject?: string | null;
  /** Do not run before this time (epoch ms). Default: now. */
  availableAt?: number;
  maxAttempts?: number;
}

export interface OutboxItem<P = unknown> {
  id: number;
  orgId: number | null;
  pluginId: string;
  type: string;
  subject: string | null;
  dedupeKey: string;
  payload: P;
  /** Attempts including this one (1 on the first run). */
  attempts: number;
  maxAttempts: number;
  createdAt: number;
}

/** What a handler says about one item. */
export type OutboxOutcome =
  | { status: 'done' }
  /** Try again later; the backoff grows per attempt unless retryAfterMs is given. */
  | { status: 'retry'; error: string; retryAfterMs?: number }
  /** Permanent failure: the item goes to dead at once, the error kept for a person to read. */
  | { status: 'failed'; error: string }
  /** Waits without spending attempts until resumed (e.g. connection needs re-authorisation). */
  | { status: 'paused'; error: string }
  /**
   * Not tried: runs again after `delayMs` WITHOUT spending the attempt it was claimed with. For an item that
   * steps aside for others (a low-priority history note while a tenant's sales stream): waiting is not a
   * failure, and counting it as one let a note that stepped aside for 100 minutes go dead, never sent.
   */
  | { status: 'deferred'; reason: string; delayMs: number };

export interface OutboxHandlerContext {
  /** Lease owner id of the worker running this batch. */
  workerId: string;
  /** Aborted when the lease is about to expire or the worker is stopping. */
  signal: AbortSignal;
  /**
   * Keep items of this batch leased for at least `forMs` more (whole ms, at most an hour), whatever the
   * lease had left: call it right before a request that may create something goes out, with as long as that
   * request may take to land, so no other worker takes the items over while it still may (README, "Lease
   * and calls in flight"). Throws, changing nothing of what it could not hold, when another worker owns one
   * of them now: the request must then not go out. Absent only when a handler is run outside a worker
   * (tests calling `handle` directly).
   */
  holdLease?(itemIds: readonly number[], forMs: number): Promise<void>;
}

export interface OutboxHandler<P = unknown> {
  /** Up to this many items of this type and one organisation are handed over together. Default 1. */
  batchSize?: number;
  /** Default: OUTBOX_MAX_ATTEMPTS. */
  maxAttempts?: number;
  /**
   * Handle the batch. Return one outcome per item (same order), or throw: a RetryableError,
   * PermanentError or AuthRevokedError applies to every item of the batch; anything else retries.
   */
  handle(items: OutboxItem<P>[], ctx: OutboxHandlerContext): Promise<OutboxOutcome[]>;
}

/** What the host lends plugins for writing outbox items. Always inside the caller's transaction. */
export interface OutboxWriter {
  enqueue(trx: Queryable, item: EnqueueInput): Promise<{ id: number; created: boolean }>;
  /**
   * Many items in as few statements as the database allows (a batch's history notes: one INSERT, not 50), as
   * `enqueue` each in order; duplicates of an existing dedupe key are skipped. Returns how many were new.
   */
  enqueueMany(trx: Queryable, items: readonly EnqueueInput[]): Promise<{ created: number }>;
  /** Move paused items back to pending (after re-authorisation). */
  resumePaused(db: Queryable, filter: { orgId: number; typePrefix: string }): Promise<number>;
}
