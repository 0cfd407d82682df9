// Claiming work with a lease. One statement picks a head item the worker can handle, then up to its
// handler's batch size of the same type and organisation, and leases them all. The head is, fairly, the
// oldest eligible item of the next organisation after the one this worker served last (round robin, see
// `afterOrg`), or, without a cursor, simply the oldest eligible item:
//   - eligible: pending and due, or leased with an EXPIRED lease (its worker died or hung) and attempts left;
//   - not blocked: no earlier item (lower id) with the same subject that is not done yet.
// PostgreSQL: FOR UPDATE SKIP LOCKED in both selects, so concurrent workers never take the same row and
// never wait on each other. SQLite: a single UPDATE … RETURNING statement is atomic under SQLite's one
// writer, across connections and processes (WAL + busy_timeout make the others wait their turn).
import type { Knex } from 'knex';
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
  /**
   * Round robin across organisations (what workers use). The organisation key (org_id, -1 for the host's own
   * items) this worker served last, or null to start a round: the head is then the oldest eligible item of
   * the first organisation with a key above it, wrapping round to the lowest key when there is none. One
   * tenant's backlog then delays another's item by one batch per worker, not by the backlog. Omitted: the
   * oldest eligible item across all organisations (tools and tests that want strict age order).
   */
  afterOrg?: number | null;
}

/** The round-robin cursor a claim leaves behind: the organisation key of what it leased (unchanged if nothing). */
export function orgCursorAfter(batch: readonly LeasedItem[], previous: number | null): number | null {
  const head = batch[0];
  return head ? (head.orgId ?? -1) : previous;
}

// The leading `status IN (…)` repeats what the OR implies so both databases match it to the partial indexes
// outbox_claimable_idx (0002) and outbox_claim_batch_idx (0006): claims walk only live items in id order.
const ELIGIBLE = (x: string, now: number) =>
  `${x}.status IN ('pending', 'leased') AND ((${x}.status = 'pending' AND ${x}.available_at <= ${now})` +
  ` OR (${x}.status = 'leased' AND ${x}.lease_expires_at <= ${now} AND ${x}.attempts < ${x}.max_attempts))`;

// Items sharing a subject run strictly in id order: anything earlier that is not done holds the rest back
// (dead and paused included — see README, "Ordering").
const UNBLOCKED = (x: string) =>
  `(${x}.subject IS NULL OR NOT EXISTS (SELECT 1 FROM ${OUTBOX_TABLE} p WHERE p.subject = ${x}.subject AND p.id < ${x}.id AND p.status <> 'done'))`;

// The organisation as outbox_claim_batch_idx (0006) keys it: the host's own items (NULL) are one value too.
const ORG_KEY = (x: string) => `COALESCE(${x}.org_id, -1)`;

/*
 * Why the plan is pinned. Both steps must WALK an id-ordered index and stop at the first (or the batch's
 * last) match, checking the subject's order only for the rows they pass. The planners, left alone, often
 * chose otherwise: SQLite (which never has statistics here) and PostgreSQL before its first ANALYZE of a
 * freshly filled table fetched every due row through the status index, ran the NOT EXISTS on each, and
 * sorted them all — 53 ms (SQLite) and 260–770 ms (PostgreSQL) per claim with 100,000 items waiting,
 * EXPLAIN'd with bench/xero-memory.ts's backlog. So:
 *   - SQLite: INDEXED BY names the partial indexes (an error, not a slow plan, if one is ever missing);
 *   - PostgreSQL: the claim runs with bitmap scans and sorts priced out (SET LOCAL, this transaction only),
 *     which leaves the ordered index walks; and the leased rows are updated through `id = ANY(ARRAY(…))`,
 *     primary-key look-ups, where `id IN (…)` got a hash join over the whole table once statistics existed.
 *   - head is MATERIALIZED and the batch reads its type, organisation and id as scalars: PostgreSQL then
 *     seeks the batch with them as index bounds. Joined to head instead, it walked live items in id order
 *     from the START of the queue to the head — harmless while the head was the oldest item, but a fair head
 *     can be the newest, behind 5,000 others (EXPLAIN'd: 5,000 rows read for a batch of 1).
 */
export async function claimBatch(db: Queryable, opts: ClaimOptions): Promise<LeasedItem[]> {
  if (opts.types.length === 0) return [];
  // `now` is read once the connection is ours, not before waiting for it: on SQLite (one connection) a
  // claim built first waited behind sales committing items due "now", then left out those committed while
  // it waited — the next claim took them as a second batch, one more Xero call (bench/xero-latency.ts saw
  // a straggler call of one sale beside most windows' call at 10 sales a second).
  const rows = await runClaimStatement(db, (q) => {
    const { sql, bindings } = claimStatement(isPostgres(db), { ...opts, now: opts.now ?? nowMs() });
    return rawRows<OutboxRow>(q, sql, bindings);
  });
  return rows.map((r) => toItem(r)).sort((a, b) => a.id - b.id);
}

/** The claim's one statement for this database (exported so a test can EXPLAIN exactly what runs). */
export function claimStatement(pg: boolean, opts: ClaimOptions): { sql: string; bindings: unknown[] } {
  const now = wholeMs(opts.now ?? nowMs(), 'now');
  const leaseExpiresAt = wholeMs(now + opts.leaseMs, 'lease');
  const lock = (alias: string) => (pg ? `FOR UPDATE OF ${alias} SKIP LOCKED` : '');
  const indexed = (name: string) => (pg ? '' : `INDEXED BY ${name}`);

  const inTypes = placeholders(opts.types.length);
  // Oldest-first head: walk live items in id order (0002) to the first eligible one.
  const oldestHead = `
      SELECT h.id, h.type, h.org_id FROM ${OUTBOX_TABLE} h ${indexed('outbox_claimable_idx')}
      WHERE h.type IN (${inTypes}) AND ${ELIGIBLE('h', now)} AND ${UNBLOCKED('h')}
      ORDER BY h.id LIMIT 1 ${lock('h')}`;
  // Fair head: walk live items in (organisation, id) order (0008) from just past the cursor, so the search
  // seeks over the organisation served last (and its backlog) instead of reading it; the first eligible row
  // is the next organisation's oldest. `bound` limits the walk to one side of the cursor.
  const fairPick = (x: string, bound: string) => `
      SELECT ${x}.id FROM ${OUTBOX_TABLE} ${x} ${indexed('outbox_claim_fair_idx')}
      WHERE ${x}.type IN (${inTypes}) AND ${bound} AND ${ELIGIBLE(x, now)} AND ${UNBLOCKED(x)}
      ORDER BY ${ORG_KEY(x)}, ${x}.id LIMIT 1 ${lock(x)}`;
  // After the cursor first; only if no organisation after it has work, wrap round to the start (up to and
  // including the cursor's own organisation, which may be the only one with work). COALESCE evaluates its
  // second argument only when the first is NULL, on both databases, so the wrap costs nothing when unused.
  // Both picks lock their row (SKIP LOCKED); the outer select reads it back by primary key.
  let headSql = oldestHead;
  let typeLists = 1;
  if (opts.afterOrg !== undefined) {
    const picks = opts.afterOrg === null
      ? fairPick('f', 'TRUE')
      : `COALESCE((${fairPick('f', `${ORG_KEY('f')} > ${orgKey(opts.afterOrg)}`)}), (${fairPick('w', `${ORG_KEY('w')} <= ${orgKey(opts.afterOrg)}`)}))`;
    typeLists = opts.afterOrg === null ? 1 : 2;
    headSql = `
      SELECT h.id, h.type, h.org_id FROM ${OUTBOX_TABLE} h WHERE h.id = ${opts.afterOrg === null ? `(${picks})` : picks}`;
  }

  // Bindings in the order their placeholders appear: head's type list(s), SET's owner, LIMIT's CASE pairs.
  const bindings: unknown[] = [];
  for (let n = 0; n < typeLists; n++) bindings.push(...opts.types);
  bindings.push(opts.workerId);
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

  // The batch: the head's type and organisation, from the head on. Either head is its organisation's oldest
  // eligible item of the worker's types, so anything of that type and organisation before it is ineligible.
  const batch = `
      SELECT o.id FROM ${OUTBOX_TABLE} o ${indexed('outbox_claim_batch_idx')}
      WHERE o.type = (SELECT head.type FROM head) AND ${ORG_KEY('o')} = (SELECT ${ORG_KEY('head')} FROM head)
        AND o.id >= (SELECT head.id FROM head)
        AND ${ELIGIBLE('o', now)} AND ${UNBLOCKED('o')}
      ORDER BY o.id LIMIT ${limitSql} ${lock('o')}`;
  const sql = `
    WITH head AS MATERIALIZED (${headSql}
    )
    UPDATE ${OUTBOX_TABLE}
    SET status = 'leased', lease_owner = ?, lease_expires_at = ${leaseExpiresAt}, attempts = attempts + 1, updated_at = ${now}
    WHERE ${pg ? `id = ANY(ARRAY(${batch}))` : `id IN (${batch})`}
    RETURNING *`;
  return { sql, bindings };
}

/**
 * Run the claim statement (`work`) as it must run. SQLite: in a transaction of its own (or the caller's). PostgreSQL: with bitmap scans and sorts
 * priced out, in a transaction of its own — or inside the caller's, where the settings are put back
 * afterwards so the rest of that transaction plans as usual.
 */
export async function runClaimStatement<T>(db: Queryable, work: (q: Queryable) => Promise<T>): Promise<T> {
  // SQLite: a transaction only so that `work` starts once the connection is acquired (see claimBatch).
  if (!isPostgres(db)) return db.isTransaction ? work(db) : (db as Knex).transaction((trx) => work(trx));
  const pin = 'SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off';
  if (!db.isTransaction) {
    return (db as Knex).transaction(async (trx) => {
      await trx.raw(pin);
      return work(trx);
    });
  }
  await db.raw(pin);
  try {
    return await work(db);
  } finally {
    // A failed statement aborted the caller's transaction, which then rolls back (settings included).
    await db.raw('RESET enable_bitmapscan; RESET enable_sort').catch(() => undefined);
  }
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

function orgKey(v: number): number {
  // Written into the SQL text like the times: a whole number or nothing.
  if (!Number.isSafeInteger(v)) throw new Error(`outbox: afterOrg must be a whole organisation key, got ${v}`);
  return v;
}

function wholeMs(v: number, what: string): number {
  // Numbers are written into the SQL text (they repeat); only whole, finite ones get there.
  if (!Number.isSafeInteger(v)) throw new Error(`outbox: ${what} must be whole milliseconds, got ${v}`);
  return v;
}

function batchSize(n: number): number {
  return Number.isInteger(n) && n >= 1 ? Math.min(n, 1000) : 1;
}
