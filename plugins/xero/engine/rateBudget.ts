// The per-tenant rate budget, held in the database so every worker process shares it (PostgreSQL and
// SQLite alike). Xero allows a tenant 60 calls per rolling minute, 5 in flight and 5,000 per rolling day.
//
//   acquire ─ ONE conditional statement per call: insert the call's row into xero_rate_calls only if the
//             tenant is not blocked, fewer than `concurrent` rows hold a live lease, fewer than `per_minute`
//             calls are in the last minute and `per_day` in the last day (limits read from the tenant's
//             budget row in the same statement, the two windows counted in one scan). The row is the call
//             (for the windows) and its lease (lease_until: for "in flight"). On SQLite a writing statement
//             takes the database's write lock before it reads, so concurrent acquirers in any process queue
//             and each sees the others' rows. On PostgreSQL a statement reads the snapshot it started with,
//             so there the insert runs in a short transaction after an UPDATE of the budget row, whose row
//             lock makes acquirers queue; the insert, a new statement, then sees what the one before committed.
//             Only a refusal reads more, to say why and for how long.
//   release ─ one UPDATE: the lease ends (a killed process's lease simply expires: the slot comes back by itself).
//   block   ─ a 429's Retry-After: nothing for this tenant goes out before then, in any process.
//   prune   ─ calls older than a day are deleted by the acquirer at most once a minute per tenant and process:
//             every count reads `at` within its window, so a day-old row left a while longer changes nothing.
//
// Measured (test/integration/xero/rate-budget.test.ts): 13 statements per call before (15 with Xero's report),
// now 2 on SQLite and 5 on PostgreSQL (its BEGIN, lock and COMMIT), plus the caller's read of the report.
//
// Self-correction: Xero's X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining headers are
// written to the connection row by the client factory (recordCallOutcome). When Xero counted more calls
// than we did (calls made outside this limiter: the connection page, another install, a restart that lost
// nothing but a lease), the larger figure wins until that report ages out of its window: "Xero saw
// limit − remaining calls at reportedAt" is over the limit once our calls since reportedAt reach `remaining`.
//
// Waiting: a caller waits inline only briefly (maxInlineWaitMs, and never past its abort signal); a longer
// wait becomes a RetryableError with retryAfterMs so the outbox reschedules the item instead of a handler
// sleeping on a lease.
import { isPostgres, type Db, type Queryable } from '../../../server/plugins/contract';
import { RetryableError } from '../../../server/errors';

export interface RateLimits {
  perMinute: number;
  concurrent: number;
  perDay: number;
}

export const XERO_LIMITS: Readonly<RateLimits> = Object.freeze({ perMinute: 60, concurrent: 5, perDay: 5000 });

const MINUTE = 60_000;
const DAY = 86_400_000;
/** How long a lease is kept when its holder vanished (kill -9) before the slot is reused. */
const DEFAULT_LEASE_MS = 30_000;
/** How often one process deletes a tenant's calls that left the day window (they are harmless meanwhile). */
const PRUNE_EVERY_MS = MINUTE;

export interface Headroom {
  minuteRemaining: number | null;
  dayRemaining: number | null;
  appMinuteRemaining: number | null;
  reportedAt: number | null;
}

export interface RateBudgetOptions {
  db: Db;
  /** Lease lifetime: longer than one HTTP call can take (the client's timeout plus a margin). */
  leaseMs?: number;
  /** Longest a caller sleeps inside a handler before handing the wait to the outbox. */
  maxInlineWaitMs?: number;
  /** The budget's clock (epoch ms); windows, leases and Retry-After blocks are kept on it. Default Date.now. */
  now?: () => number;
  /**
   * Budget-clock ms per real ms: 1 unless `now` runs fast (a benchmark against the emulator with a sped-up
   * clock). Waits are slept and handed to the outbox in real ms (budget ms ÷ timeScale), leaseMs is real.
   */
  timeScale?: number;
}

export interface Permit {
  tenantKey: string;
  release(): Promise<void>;
}

type Decision = { ok: true; leaseId: number } | { ok: false; waitMs: number; reason: string };

export class RateBudget {
  private readonly db: Db;
  private readonly leaseMs: number;
  private readonly maxInlineWaitMs: number;
  private readonly now: () => number;
  private readonly timeScale: number;
  private readonly onPostgres: boolean;
  /** Budget time this process last deleted each tenant's day-old calls. */
  private readonly prunedAt = new Map<string, number>();

  constructor(opts: RateBudgetOptions) {
    this.db = opts.db;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxInlineWaitMs = opts.maxInlineWaitMs ?? 3_000;
    this.now = opts.now ?? Date.now;
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError('RateBudget timeScale must be a positive number');
    this.onPostgres = isPostgres(this.db);
  }

  /**
   * Take a slot for one call, waiting briefly if needed; throws RetryableError when the wait is long.
   * `headroom` reads what Xero last reported for this tenant (the connection row's rate_* columns).
   */
  async acquire(tenantKey: string, opts: { signal?: AbortSignal; headroom?: () => Promise<Headroom | null> } = {}): Promise<Permit> {
    const { signal } = opts;
    // Waiting happens in real time (sleeps, the outbox's available_at); decisions in budget time.
    const deadline = Date.now() + this.maxInlineWaitMs;
    for (;;) {
      const decision = await this.tryAcquire(tenantKey, opts.headroom);
      if (decision.ok) {
        const leaseId = decision.leaseId;
        return { tenantKey, release: () => this.release(leaseId) };
      }
      const waitMs = Math.ceil(decision.waitMs / this.timeScale);
      if (signal?.aborted || Date.now() + waitMs > deadline) {
        throw new RetryableError(`Xero rate budget for this organisation: ${decision.reason}; next slot in ${Math.ceil(decision.waitMs / 1000)} s`, {
          retryAfterMs: Math.max(250, waitMs),
        });
      }
      await sleep(Math.max(20, Math.min(waitMs, 1_000)), signal);
    }
  }

  /** Xero said 429: nobody sends for this tenant before `now + ms`. */
  async block(tenantKey: string, ms: number): Promise<void> {
    const until = this.now() + Math.max(0, ms);
    await this.ensureRow(tenantKey);
    await this.db('xero_rate_budget')
      .where({ tenant_key: tenantKey })
      .andWhere('blocked_until', '<', until)
      .update({ blocked_until: until, updated_at: this.now() });
  }

  /** The limits in force for a tenant (an operator can change them in the table). */
  async limits(tenantKey: string): Promise<RateLimits> {
    await this.ensureRow(tenantKey);
    const row = await this.db('xero_rate_budget').where({ tenant_key: tenantKey }).first();
    return { perMinute: Number(row.per_minute), concurrent: Number(row.concurrent), perDay: Number(row.per_day) };
  }

  async setLimits(tenantKey: string, limits: Partial<RateLimits>): Promise<void> {
    await this.ensureRow(tenantKey);
    const patch: Record<string, number> = { updated_at: this.now() };
    if (limits.perMinute !== undefined) patch.per_minute = limits.perMinute;
    if (limits.concurrent !== undefined) patch.concurrent = limits.concurrent;
    if (limits.perDay !== undefined) patch.per_day = limits.perDay;
    await this.db('xero_rate_budget').where({ tenant_key: tenantKey }).update(patch);
  }

  /** Calls recorded in the last minute and live leases: for the sync pages and tests. */
  async usage(tenantKey: string): Promise<{ minute: number; day: number; inFlight: number }> {
    const now = this.now();
    const minute = await countOf(this.db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - MINUTE));
    const day = await countOf(this.db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - DAY));
    const inFlight = await countOf(this.db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('lease_until', '>', now));
    return { minute, day, inFlight };
  }

  private async release(leaseId: number): Promise<void> {
    // The call stays counted in its windows (`at`); only its concurrency slot comes back.
    await this.db('xero_rate_calls').where({ id: leaseId }).update({ lease_until: 0 });
  }

  private async ensureRow(tenantKey: string): Promise<void> {
    await this.db('xero_rate_budget')
      .insert({
        tenant_key: tenantKey, per_minute: XERO_LIMITS.perMinute, concurrent: XERO_LIMITS.concurrent, per_day: XERO_LIMITS.perDay,
        blocked_until: 0, version: 0, updated_at: this.now(),
      })
      .onConflict('tenant_key')
      .ignore();
  }

  private async tryAcquire(tenantKey: string, headroom?: () => Promise<Headroom | null>): Promise<Decision> {
    // Read Xero's last report before the statement: it is a hint, and keeps the locked section short.
    const hint = headroom ? await headroom() : null;
    // Three tries: a refusal whose reason is gone by the time it is read (a lease was released meanwhile), or
    // a tenant without its budget row yet (created, then tried again), is tried again at once.
    for (let attempt = 0; attempt < 3; attempt++) {
      const now = this.now();
      // The app-wide minute limit (10,000 across tenants): when Xero says it is spent, wait for its window.
      if (hint?.appMinuteRemaining !== null && hint?.appMinuteRemaining !== undefined && hint.appMinuteRemaining <= 0 && hint.reportedAt !== null && hint.reportedAt > now - MINUTE) {
        return { ok: false, waitMs: hint.reportedAt + MINUTE - now, reason: "the app's minute limit across organisations is spent" };
      }
      await this.pruneNowAndThen(tenantKey, now);
      const leaseId = this.onPostgres
        ? await this.db.transaction(async (trx) => {
            // The write first: the budget row's lock queues this tenant's acquirers until this one commits.
            const locked = Number(await trx('xero_rate_budget').where({ tenant_key: tenantKey }).increment('version', 1));
            return locked > 0 ? this.insertCall(trx, tenantKey, now, hint) : null;
          })
        : await this.insertCall(this.db, tenantKey, now, hint);
      if (leaseId !== null) return { ok: true, leaseId };
      const refusal = await this.whyRefused(tenantKey, now, hint);
      if (refusal) return refusal;
    }
    return { ok: false, waitMs: 50 * this.timeScale, reason: 'other calls for this organisation are being counted' };
  }

  /**
   * Record the call and take its lease if the budget allows it, in one statement (see the top of the file);
   * the new row's id (the lease), or null when refused or the tenant has no budget row.
   */
  private async insertCall(q: Queryable, tenantKey: string, now: number, hint: Headroom | null): Promise<number | null> {
    const reported = reportedLimit(hint, now);
    const result = (await q.raw(
      `INSERT INTO xero_rate_calls (tenant_key, at, lease_until)
       SELECT b.tenant_key, CAST(? AS BIGINT), CAST(? AS BIGINT)
       FROM xero_rate_budget b, (
         SELECT COUNT(*) AS day,
                COALESCE(SUM(CASE WHEN at > ? THEN 1 ELSE 0 END), 0) AS minute,
                COALESCE(SUM(CASE WHEN at > ? THEN 1 ELSE 0 END), 0) AS since_report
         FROM xero_rate_calls WHERE tenant_key = ? AND at > ?
       ) c
       WHERE b.tenant_key = ? AND b.blocked_until <= ?
         AND c.minute < b.per_minute AND c.day < b.per_day AND c.since_report < ?
         AND (SELECT COUNT(*) FROM xero_rate_calls l WHERE l.tenant_key = ? AND l.lease_until > ?) < b.concurrent
       RETURNING id`,
      [
        now, now + Math.round(this.leaseMs * this.timeScale),
        now - MINUTE, reported?.at ?? now, tenantKey, now - DAY,
        tenantKey, now, reported?.remaining ?? Number.MAX_SAFE_INTEGER,
        tenantKey, now,
      ],
    )) as { id: number | string }[] | { rows: { id: number | string }[] };
    const rows = Array.isArray(result) ? result : result.rows;
    return rows.length ? Number(rows[0]!.id) : null;
  }

  /** Why the budget refused a call just now, and how long to wait; null when nothing refuses it any more. */
  private async whyRefused(tenantKey: string, now: number, hint: Headroom | null): Promise<Decision | null> {
    const row = await this.db('xero_rate_budget').where({ tenant_key: tenantKey }).first();
    if (!row) {
      await this.ensureRow(tenantKey);
      return null;
    }
    const limits: RateLimits = { perMinute: Number(row.per_minute), concurrent: Number(row.concurrent), perDay: Number(row.per_day) };
    const blockedUntil = Number(row.blocked_until);
    if (blockedUntil > now) return { ok: false, waitMs: blockedUntil - now, reason: 'Xero asked us to wait (429 Retry-After)' };
    const inFlight = await countOf(this.db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('lease_until', '>', now));
    if (inFlight >= limits.concurrent) return { ok: false, waitMs: 50 * this.timeScale, reason: `${inFlight} calls in flight (limit ${limits.concurrent})` };
    const minuteUsed = await this.used(this.db, tenantKey, now, MINUTE, limits.perMinute, hint?.minuteRemaining ?? null, hint?.reportedAt ?? null);
    if (minuteUsed.used >= limits.perMinute) {
      return { ok: false, waitMs: minuteUsed.freesAt - now, reason: `${minuteUsed.used} calls in the last minute (limit ${limits.perMinute})` };
    }
    const dayUsed = await this.used(this.db, tenantKey, now, DAY, limits.perDay, hint?.dayRemaining ?? null, hint?.reportedAt ?? null);
    if (dayUsed.used >= limits.perDay) {
      return { ok: false, waitMs: dayUsed.freesAt - now, reason: `${dayUsed.used} calls in the last 24 hours (limit ${limits.perDay})` };
    }
    return null;
  }

  /** Delete the tenant's calls that left the day window, at most once a minute per tenant and process. */
  private async pruneNowAndThen(tenantKey: string, now: number): Promise<void> {
    const last = this.prunedAt.get(tenantKey);
    if (last !== undefined && last <= now && now - last < PRUNE_EVERY_MS) return;
    this.prunedAt.set(tenantKey, now);
    await this.db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '<=', now - DAY).andWhere('lease_until', '<=', now).del();
  }

  /** Calls used in a rolling window: ours, or Xero's own count when it reported more; and when a slot frees. */
  private async used(
    trx: Queryable, tenantKey: string, now: number, window: number, limit: number, reportedRemaining: number | null, reportedAt: number | null,
  ): Promise<{ used: number; freesAt: number }> {
    const ours = await countOf(trx('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - window));
    let used = ours;
    let freesAt = now + 50;
    if (ours >= limit) {
      // The oldest call that must leave the window before one more fits.
      const oldest = await trx('xero_rate_calls')
        .where({ tenant_key: tenantKey }).andWhere('at', '>', now - window)
        .orderBy('at', 'asc').offset(ours - limit).first('at');
      freesAt = Number(oldest?.at ?? now) + window;
    }
    if (reportCounts(reportedRemaining, reportedAt, now, window)) {
      const since = await countOf(trx('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', reportedAt!));
      const xeroUsed = limit - reportedRemaining! + since;
      if (xeroUsed > used) {
        used = xeroUsed;
        freesAt = Math.max(freesAt, reportedAt! + window);
      }
    }
    return { used, freesAt: Math.max(freesAt, now + 20) };
  }
}

/**
 * Whether Xero's report for a window corrects our count. Only a positive report does: "0 remaining" comes with
 * (or right before) a 429 whose Retry-After says exactly when to come back (block()), whereas "0 for the rest
 * of the window" would stall a minute.
 */
function reportCounts(remaining: number | null, reportedAt: number | null, now: number, window: number): boolean {
  return remaining !== null && remaining > 0 && reportedAt !== null && reportedAt > now - window;
}

/**
 * Xero's report as one bound for the insert: our calls since it was made must stay below the fewest calls it
 * said remain (minute or day, whichever still counts). Null when no report counts.
 */
function reportedLimit(hint: Headroom | null, now: number): { at: number; remaining: number } | null {
  if (!hint || hint.reportedAt === null) return null;
  const remaining = [
    reportCounts(hint.minuteRemaining, hint.reportedAt, now, MINUTE) ? hint.minuteRemaining! : Infinity,
    reportCounts(hint.dayRemaining, hint.reportedAt, now, DAY) ? hint.dayRemaining! : Infinity,
  ];
  const fewest = Math.min(...remaining);
  return Number.isFinite(fewest) ? { at: hint.reportedAt, remaining: fewest } : null;
}

async function countOf(query: ReturnType<Queryable>): Promise<number> {
  const rows = (await query.count({ n: '*' })) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The rate budget's key for a connection: Xero limits per app + tenant. */
export function tenantKeyOf(orgId: number, tenantId: string | null): string {
  return tenantId ? `tenant:${tenantId}` : `org:${orgId}`;
}

/** What Xero last reported for the organisation's live connection (written by the client factory). */
export async function connectionHeadroom(db: Queryable, orgId: number): Promise<Headroom | null> {
  const row = await db('xero_connections').where({ org_id: orgId }).whereNull('ended_at')
    .first('rate_min_remaining', 'rate_day_remaining', 'rate_app_min_remaining', 'rate_reported_at');
  if (!row || row.rate_reported_at === null || row.rate_reported_at === undefined) return null;
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return {
    minuteRemaining: n(row.rate_min_remaining),
    dayRemaining: n(row.rate_day_remaining),
    appMinuteRemaining: n(row.rate_app_min_remaining),
    reportedAt: n(row.rate_reported_at),
  };
}
