// What an install stops needing after a while: stored API replies whose Idempotency-Key window has
// passed, and outbox items that were delivered long ago. Left alone, both tables grow with every sale.
import { nowMs, type Queryable } from '../db/knex';
import { purgeDone } from '../outbox/admin';

export interface RetentionSettings {
  /** How long a stored API reply can be replayed for its Idempotency-Key (Stripe keeps keys 24 hours). */
  idempotencyTtlMs: number;
  /** How long delivered (done) outbox items stay for inspection and `outbox:list`. */
  outboxRetentionMs: number;
}

export interface PurgeCounts {
  idempotencyKeys: number;
  outboxItems: number;
}

/**
 * One pass. Deletes are plain range deletes, so several worker processes running it at once only
 * share the work; failed, dead and pending outbox items are never touched.
 */
export async function purgeExpired(db: Queryable, settings: RetentionSettings, now: number = nowMs()): Promise<PurgeCounts> {
  const idempotencyKeys = await db('api_idempotency').where('created_at', '<', now - settings.idempotencyTtlMs).del();
  const outboxItems = await purgeDone(db, { olderThanMs: settings.outboxRetentionMs, now });
  return { idempotencyKeys, outboxItems };
}
