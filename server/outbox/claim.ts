// Claiming work with a lease. One statement picks the oldest eligible item the worker can handle, then
// up to its handler's batch size of the same type and organisation, and leases them all:
//   - eligible: pending and due, or leased with an EXPIRED lease (its worker died or hung) and attempts left;
//   - not blocked: no earlier item (lower id) with the same subject that is not done yet.
// PostgreSQL: FOR UPDATE SKIP LOCKED in both selects, so concurrent workers never take the same row and
// never wait on each other. SQLite: a single UPDATE … RETURNING statement is atomic under SQLite's one
// writer, across connections and processes (WAL + busy_timeout make the others wait their turn).
import type { Queryable } from '../db/knex';
import { isPostgres, nowMs } from '../db/knex';
import { OUTBOX_TABLE, placeholders, rawRows, toItem, type LeasedItem, type OutboxRow } from './rows';

export interface ClaimOptions {
  /** Types this worker has handlers for. */
  types: readonly string[];
  workerId: string;
  leaseMs: number;
  /** Batch size: one number for every type, or per type (a handler's batchSize). */
  limit: number | ((type: string) => number);
  now?: number;
}

// The leading `status IN (…)` repeats what the OR implies so both databases match it to the partial index
// outbox_claimable_idx (0002): claims then walk only live items in id order, however much history is kept.
const ELIGIBLE = (x: string, now: number) =>
  `${x}.status IN ('pending', 'leased') AND ((${x}.status = 'pending' AND ${x}.available_at <= ${now})` +
  ` OR (${x}.status = 'leased' AND ${x}.lease_expires_at <= ${now} AND ${x}.attempts < ${x}.max_attempts))`;

// Items sharing a subject run strictly in id order: anything earlier that is not done holds the rest back
// (dead and paused included — see README, "Ordering").
const UNBLOCKED = (x: string) =>
  `(${x}.subject IS NULL OR NOT EXISTS (SELECT 1 FROM ${OUTBOX_TABLE} p WHERE p.subject = ${x}.subject AND p.id < ${x}.id AND p.status <> 'done'))`;

export async function claimBatch(db: Queryable, opts: ClaimOptions): Promise<LeasedItem[]> {
  if (opts.types.length === 0) return [];
  const now = wholeMs(opts.now ?? nowMs(), 'now');
  const leaseExpiresAt = wholeMs(now + opts.leaseMs, 'lease');
  const pg = isPostgres(db);
  const lock = (alias: string) => (pg ? `FOR UPDATE OF ${alias} SKIP LOCKED` : '');
  const sameOrg = pg ? 'o.org_id IS NOT DISTINCT FROM head.org_id' : 'o.org_id IS head.org_id';

  // Bindings in the order their placeholders appear: head's type list, SET's owner, LIMIT's CASE pairs.
  const bindings: unknown[] = [...opts.types, opts.workerId];
  let limitSql: string;
  if (typeof opts.limit === 'number') {
    limitSql = String(batchSize(opts.limit));
  } else {
    const limitOf = opts.limit;
    // The batch size depends on the head's type, known only inside the statement.
    // COALESCE: with no head the subquery is NULL, which SQLite rejects as a LIMIT (and PostgreSQL reads as none).
    limitSql = `COALESCE((SELECT CASE head.type ${opts.types.map(() => 'WHEN ? THEN ?').join(' ')} ELSE 1 END FROM head), 0)`;
    for (const type of opts.types) bindings.push(type, batchSize(limitOf(type)));
  }

  const sql = `
    WITH head AS (
      SELECT h.id, h.type, h.org_id FROM ${OUTBOX_TABLE} h
      WHERE h.type IN (${placeholders(opts.types.length)}) AND ${ELIGIBLE('h', now)} AND ${UNBLOCKED('h')}
      ORDER BY h.id LIMIT 1 ${lock('h')}
    )
    UPDATE ${OUTBOX_TABLE}
    SET status = 'leased', lease_owner = ?, lease_expires_at = ${leaseExpiresAt}, attempts = attempts + 1, updated_at = ${now}
    WHERE id IN (
      SELECT o.id FROM ${OUTBOX_TABLE} o, head
      WHERE o.type = head.type AND ${sameOrg} AND ${ELIGIBLE('o', now)} AND ${UNBLOCKED('o')}
      ORDER BY o.id LIMIT ${limitSql} ${lock('o')}
    )
    RETURNING *`;
  const rows = await rawRows<OutboxRow>(db, sql, bindings);
  return rows.map((r) => toItem(r)).sort((a, b) => a.id - b.id);
}

/**
 * Leased items whose lease ran out on their LAST attempt: the worker died (or hung) while handling them.
 * They are not claimable again (no attempts left), so they go to dead with the reason kept, instead of
 * sitting "leased" forever. A handler that crashes its process every time ends here too (poison item).
 */
export async function reapExhaustedLeases(db: Queryable, now: number = nowMs()): Promise<number> {
  const at = wholeMs(now, 'now');
  return db(OUTBOX_TABLE)
    .where('status', 'leased')
    .andWhere('lease_expires_at', '<=', at)
    .andWhereRaw('attempts >= max_attempts')
    .update({
      status: 'dead',
      updated_at: at,
      last_error: db.raw(
        `'lease expired during the final attempt (' || attempts || ' of ' || max_attempts || ') held by ' || COALESCE(lease_owner, 'unknown') || '; the worker stopped or timed out' || COALESCE(' — previous error: ' || last_error, '')`,
      ),
    });
}

/** When the next item of these types becomes claimable (a delayed item comes due or a lease runs out). */
export async function nextDueAt(db: Queryable, types: readonly string[], now: number = nowMs()): Promise<number | null> {
  if (types.length === 0) return null;
  const at = wholeMs(now, 'now');
  const inTypes = placeholders(types.length);
  const rows = await rawRows<{ pending_at: number | null; lease_at: number | null }>(
    db,
    `SELECT
       (SELECT MIN(available_at) FROM ${OUTBOX_TABLE} WHERE status = 'pending' AND available_at > ${at} AND type IN (${inTypes})) AS pending_at,
       (SELECT MIN(lease_expires_at) FROM ${OUTBOX_TABLE} WHERE status = 'leased' AND lease_expires_at > ${at} AND type IN (${inTypes})) AS lease_at`,
    [...types, ...types],
  );
  const candidates = [rows[0]?.pending_at, rows[0]?.lease_at].filter((v): v is number => v !== null && v !== undefined).map(Number);
  return candidates.length ? Math.min(...candidates) : null;
}

function wholeMs(v: number, what: string): number {
  // Numbers are written into the SQL text (they repeat); only whole, finite ones get there.
  if (!Number.isSafeInteger(v)) throw new Error(`outbox: ${what} must be whole milliseconds, got ${v}`);
  return v;
}

function batchSize(n: number): number {
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : 1;
}
