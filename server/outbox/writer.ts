// enqueue(trx, item): the outbox row commits or rolls back with the caller's change. Workers are
// woken only once that COMMIT has happened — in this process at once, in others by PostgreSQL NOTIFY
// (which PostgreSQL itself delivers only on commit, and drops on rollback).
import type { Knex } from 'knex';
import type { Queryable } from '../db/knex';
import { isPostgres, nowMs } from '../db/knex';
import type { EnqueueInput, OutboxWriter } from './types';
import type { OutboxNotifier } from './notifier';
import { OUTBOX_TABLE } from './rows';
import { resumePaused } from './admin';

export interface OutboxWriterOptions {
  notifier: OutboxNotifier;
  defaultMaxAttempts: number;
  /** A handler's own maxAttempts, when it declares one (the registry knows the handlers). */
  maxAttemptsFor?: (type: string) => number | undefined;
}

export function createOutboxWriter(opts: OutboxWriterOptions): OutboxWriter {
  // One NOTIFY and one after-commit hook per transaction and type, however many items it enqueues.
  const announced = new WeakMap<object, Set<string>>();

  const rowOf = (item: EnqueueInput, now: number): Record<string, unknown> => ({
    org_id: item.orgId,
    plugin_id: pluginIdOf(item.type),
    type: item.type,
    subject: item.subject ?? null,
    dedupe_key: item.dedupeKey,
    payload: JSON.stringify(item.payload ?? null),
    status: 'pending',
    attempts: 0,
    max_attempts: item.maxAttempts ?? opts.maxAttemptsFor?.(item.type) ?? opts.defaultMaxAttempts,
    available_at: item.availableAt ?? now,
    created_at: now,
    updated_at: now,
  });

  return {
    async enqueue(trx, item) {
      validate(item);
      const inserted: { id: number }[] = await trx(OUTBOX_TABLE)
        .insert(rowOf(item, nowMs()))
        // ON CONFLICT DO NOTHING: a duplicate is skipped without raising, so a PostgreSQL transaction
        // is not aborted by it (a caught unique violation would poison the rest of the transaction).
        .onConflict('dedupe_key')
        .ignore()
        .returning('id');
      const first = inserted[0];
      if (!first) {
        const existing: { id: number } | undefined = await trx(OUTBOX_TABLE).where({ dedupe_key: item.dedupeKey }).first('id');
        if (!existing) throw new Error(`outbox: dedupe key ${item.dedupeKey} conflicted but no row is visible`);
        return { id: Number(existing.id), created: false };
      }
      await announce(trx, item.type);
      return { id: Number(first.id), created: true };
    },

    async enqueueMany(trx, items) {
      items.forEach(validate);
      const now = nowMs();
      let created = 0;
      // One INSERT a chunk (SQLite binds at most 999 values a statement; a row takes 12), duplicates skipped as above.
      for (let i = 0; i < items.length; i += ENQUEUE_CHUNK) {
        const chunk = items.slice(i, i + ENQUEUE_CHUNK);
        const inserted: { id: number }[] = await trx(OUTBOX_TABLE).insert(chunk.map((item) => rowOf(item, now))).onConflict('dedupe_key').ignore().returning('id');
        created += inserted.length;
        if (inserted.length > 0) for (const type of new Set(chunk.map((item) => item.type))) await announce(trx, type);
      }
      return { created };
    },
    resumePaused: (db, filter) => resumePaused(db, filter),
  };

  async function announce(trx: Queryable, type: string): Promise<void> {
    // Outside a transaction every enqueue is its own commit, so each one announces itself.
    if (trx.isTransaction) {
      let types = announced.get(trx);
      if (types?.has(type)) return;
      if (!types) announced.set(trx, (types = new Set()));
      types.add(type);
    }
    if (isPostgres(trx) && opts.notifier.channel) {
      await trx.raw('SELECT pg_notify(?, ?)', [opts.notifier.channel, type]);
    }
    afterCommit(trx, () => opts.notifier.notifyLocal(type));
  }
}

const ENQUEUE_CHUNK = 50;

/** The plugin id is the type's first segment: `xero.invoice.push` belongs to `xero`. */
export function pluginIdOf(type: string): string {
  const dot = type.indexOf('.');
  if (dot <= 0) throw new Error(`outbox type "${type}" must be "<pluginId>.<thing>.<verb>"`);
  return type.slice(0, dot);
}

function validate(item: EnqueueInput): void {
  pluginIdOf(item.type);
  if (!item.dedupeKey) throw new Error(`outbox ${item.type}: dedupeKey is required`);
  if (item.maxAttempts !== undefined && (!Number.isInteger(item.maxAttempts) || item.maxAttempts < 1)) {
    throw new Error(`outbox ${item.type}: maxAttempts must be a positive whole number`);
  }
}

const committed = new WeakSet<object>();

/**
 * Run `fn` once the outermost transaction has really COMMITTED. knex resolves executionPromise on
 * commit but also on a plain `trx.rollback()` (doNotRejectOnRollback), so commit is recorded by wrapping
 * each transaction's commit(); a savepoint counts only if it and every enclosing transaction committed.
 * Outside a transaction the row is already committed (autocommit).
 */
export function afterCommit(trx: Queryable, fn: () => void): void {
  const chain: Knex.Transaction[] = [];
  for (let t: Knex.Transaction | undefined = trx.isTransaction ? (trx as Knex.Transaction) : undefined; t; t = t.parentTransaction) {
    chain.push(t);
  }
  if (chain.length === 0) {
    queueMicrotask(fn);
    return;
  }
  for (const t of chain) recordCommit(t);
  Promise.all(chain.map((t) => t.executionPromise))
    .then(() => {
      if (chain.every((t) => committed.has(t))) fn();
    })
    .catch(() => undefined); // rolled back (the caller sees that error itself): nothing to wake
}

const wrapped = new WeakSet<object>();
function recordCommit(trx: Knex.Transaction): void {
  if (wrapped.has(trx)) return;
  wrapped.add(trx);
  const commit = trx.commit.bind(trx);
  trx.commit = ((value?: unknown) => {
    committed.add(trx);
    return commit(value);
  }) as Knex.Transaction['commit'];
}
