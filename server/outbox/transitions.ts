// State changes after a claim, all FENCED: `WHERE id = ? AND lease_owner = <me> AND status = 'leased'`.
// A worker whose lease expired and whose items were claimed again by another worker changes nothing:
// its update matches 0 rows. Each function reports which items it could not change so the caller can log.
import type { Knex } from 'knex';
import type { Queryable } from '../db/knex';
import { nowMs } from '../db/knex';
import type { OutboxItem } from './types';
import { OUTBOX_TABLE } from './rows';
import { retryDelayMs, type BackoffPolicy } from './backoff';

/** Thrown by completeInTrx when the lease is no longer ours: the caller's transaction must roll back. */
export class LeaseLostError extends Error {
  readonly itemIds: number[];
  constructor(itemIds: number[], workerId: string) {
    super(`outbox lease lost by ${workerId} for item(s) ${itemIds.join(', ')}: another worker owns them now`);
    this.name = 'LeaseLostError';
    this.itemIds = itemIds;
  }
}

type ItemRef = Pick<OutboxItem, 'id'>;
const MAX_ERROR_LENGTH = 4000;
const clip = (error: string) => (error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1)}…` : error);

/** Items of `ids` this update did not reach: their lease is someone else's now. */
async function unchanged(db: Queryable, ids: number[], workerId: string, statuses: string[]): Promise<number[]> {
  const ours: { id: number }[] = await db(OUTBOX_TABLE).whereIn('id', ids).andWhere('lease_owner', workerId).whereIn('status', statuses).select('id');
  const reached = new Set(ours.map((r) => Number(r.id)));
  return ids.filter((id) => !reached.has(id));
}

/**
 * Mark items done. Also accepts items this same worker already completed (completeInTrx inside the
 * handler), so applying a "done" outcome afterwards is harmless. Returns the ids it could NOT complete.
 */
export async function complete(db: Queryable, items: ItemRef | ItemRef[], workerId: string, now: number = nowMs()): Promise<number[]> {
  const ids = (Array.isArray(items) ? items : [items]).map((i) => i.id);
  if (ids.length === 0) return [];
  const changed = await db(OUTBOX_TABLE)
    .whereIn('id', ids)
    .andWhere('lease_owner', workerId)
    .whereIn('status', ['leased', 'done'])
    .update({ status: 'done', done_at: db.raw('COALESCE(done_at, ?)', [now]), lease_expires_at: null, updated_at: now });
  return changed === ids.length ? [] : unchanged(db, ids, workerId, ['done']);
}

/**
 * Complete inside the handler's own transaction, so its effect (a DB write) and the completion commit
 * together — or not at all. Throws LeaseLostError (rolling the effect back) if another worker owns an item.
 */
export async function completeInTrx(trx: Knex.Transaction, items: ItemRef | ItemRef[], workerId: string, now: number = nowMs()): Promise<void> {
  const lost = await complete(trx, items, workerId, now);
  if (lost.length > 0) throw new LeaseLostError(lost, workerId);
}

/**
 * Try again later, or dead once attempts are spent (last error kept). The delay is exponential backoff
 * with jitter, or at least `retryAfterMs` when the far side said so. Returns ids it could not change.
 */
export async function retry(
  db: Queryable,
  item: OutboxItem,
  workerId: string,
  outcome: { error: string; retryAfterMs?: number },
  opts: { now?: number; policy?: BackoffPolicy; random?: () => number } = {},
): Promise<number[]> {
  const now = opts.now ?? nowMs();
  const availableAt = now + retryDelayMs(item.attempts, { retryAfterMs: outcome.retryAfterMs, policy: opts.policy, random: opts.random });
  const changed = await fenced(db, [item.id], workerId).update({
    // The row's own counters decide (not the in-memory copy): attempts were counted at claim time.
    status: db.raw(`CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'pending' END`),
    available_at: db.raw(`CASE WHEN attempts >= max_attempts THEN available_at ELSE ? END`, [availableAt]),
    last_error: clip(outcome.error),
    lease_expires_at: null,
    updated_at: now,
  });
  return changed === 1 ? [] : [item.id];
}

/**
 * Keep these items leased to this worker until at least `until` (epoch ms): taken right before a request that
 * may create something in the far system goes out, for as long as that request may still land there, so no
 * other worker claims the items (and looks them up, finds nothing yet and sends them again) meanwhile. Fenced
 * like every other change: an item another worker owns now is not held (an expired lease nobody claimed yet
 * is, atomically: the claim and this update cannot both win the row). A lease already longer stays as it is.
 * Returns the ids it could not hold.
 */
export async function holdLease(db: Queryable, items: ItemRef | ItemRef[], workerId: string, until: number, now: number = nowMs()): Promise<number[]> {
  const ids = (Array.isArray(items) ? items : [items]).map((i) => i.id);
  if (ids.length === 0) return [];
  const changed = await fenced(db, ids, workerId).update({
    lease_expires_at: db.raw('CASE WHEN lease_expires_at IS NULL OR lease_expires_at < ? THEN ? ELSE lease_expires_at END', [until, until]),
    updated_at: now,
  });
  return changed === ids.length ? [] : unchanged(db, ids, workerId, ['leased']);
}

/** Permanent failure: dead at once, the error kept for a person to read. */
export async function fail(db: Queryable, items: ItemRef | ItemRef[], workerId: string, error: string, now: number = nowMs()): Promise<number[]> {
  const ids = (Array.isArray(items) ? items : [items]).map((i) => i.id);
  const changed = await fenced(db, ids, workerId).update({ status: 'dead', last_error: clip(error), lease_expires_at: null, updated_at: now });
  return changed === ids.length ? [] : unchanged(db, ids, workerId, ['dead']);
}

/** Wait without spending the attempt (e.g. the connection needs re-authorisation) until resumed. */
export async function pause(db: Queryable, items: ItemRef | ItemRef[], workerId: string, error: string, now: number = nowMs()): Promise<number[]> {
  const ids = (Array.isArray(items) ? items : [items]).map((i) => i.id);
  const changed = await fenced(db, ids, workerId).update({
    status: 'paused',
    attempts: db.raw('CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END'),
    last_error: clip(error),
    lease_expires_at: null,
    updated_at: now,
  });
  return changed === ids.length ? [] : unchanged(db, ids, workerId, ['paused']);
}

/**
 * Step aside: pending again after `delayMs`, without using up the item's attempts: nothing was tried. The
 * claim's count stays (attempts counts claims, and `attempts = 0` keeps meaning "never claimed" to the
 * coalescing window and the daily schedule), and the allowance grows by one instead. The reason stays
 * readable as the item's last error. Returns the ids it could not change.
 */
export async function defer(db: Queryable, items: ItemRef | ItemRef[], workerId: string, outcome: { reason: string; delayMs: number }, now: number = nowMs()): Promise<number[]> {
  const ids = (Array.isArray(items) ? items : [items]).map((i) => i.id);
  if (!Number.isFinite(outcome.delayMs) || outcome.delayMs < 0) throw new Error(`outbox defer: delayMs must be a finite number of ms ≥ 0, got ${outcome.delayMs}`);
  const changed = await fenced(db, ids, workerId).update({
    status: 'pending',
    max_attempts: db.raw('max_attempts + 1'),
    available_at: now + Math.ceil(outcome.delayMs),
    last_error: clip(outcome.reason),
    lease_expires_at: null,
    updated_at: now,
  });
  return changed === ids.length ? [] : unchanged(db, ids, workerId, ['pending']);
}

function fenced(db: Queryable, ids: number[], workerId: string) {
  return db(OUTBOX_TABLE).whereIn('id', ids).andWhere('lease_owner', workerId).andWhere('status', 'leased');
}
