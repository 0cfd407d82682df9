// The per-tenant rate budget, held in the database so every worker process shares it (PostgreSQL and
// SQLite alike). Xero allows a tenant 60 calls per rolling minute, 5 in flight and 5,000 per rolling day.
//
//   acquire ─ one short transaction per call: touch the tenant's budget row FIRST (an UPDATE takes the
//             row lock on PostgreSQL and the write lock on SQLite, so concurrent acquirers queue instead of
//             reading stale counts), drop expired leases, count calls in the last minute/day and live
//             leases, and either record the call + take a lease, or say how long to wait.
//   release ─ delete the lease (a killed process's lease simply expires: the slot comes back by itself).
//   block   ─ a 429's Retry-After: nothing for this tenant goes out before then, in any process.
//
// Self-correction: Xero's X-MinLimit-Remaining / X-DayLimit-Remaining / X-AppMinLimit-Remaining headers are
// written to the connection row by the client factory (recordCallOutcome). When Xero counted more calls
// than we did (calls made outside this limiter: the connection page, another install, a restart that lost
// nothing but a lease), the larger figure wins until that report ages out of its window.
//
// Waiting: a caller waits inline only briefly (maxInlineWaitMs, and never past its abort signal); a longer
// wait becomes a RetryableError with retryAfterMs so the outbox reschedules the item instead of a handler
// sleeping on a lease.
import { randomBytes } from 'node:crypto';
import type { Db, Queryable } from '../../../server/plugins/contract';
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
  private readonly owner = `${process.pid}:${randomBytes(4).toString('hex')}`;

  constructor(opts: RateBudgetOptions) {
    this.db = opts.db;
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.maxInlineWaitMs = opts.maxInlineWaitMs ?? 3_000;
    this.now = opts.now ?? Date.now;
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new RangeError('RateBudget timeScale must be a positive number');
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
    const inFlight = await countOf(this.db('xero_rate_leases').where({ tenant_key: tenantKey }).andWhere('expires_at', '>', now));
    return { minute, day, inFlight };
  }

  private async release(leaseId: number): Promise<void> {
    await this.db('xero_rate_leases').where({ id: leaseId }).del();
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
    await this.ensureRow(tenantKey);
    // Read Xero's last report outside the transaction: it is a hint, and keeps the locked section short.
    const hint = headroom ? await headroom() : null;
    return this.db.transaction(async (trx) => {
      const now = this.now();
      // The write first: it serialises acquirers of this tenant (row lock / SQLite's write lock).
      await trx('xero_rate_budget').where({ tenant_key: tenantKey }).increment('version', 1);
      const row = await trx('xero_rate_budget').where({ tenant_key: tenantKey }).first();
      const limits: RateLimits = { perMinute: Number(row.per_minute), concurrent: Number(row.concurrent), perDay: Number(row.per_day) };
      const blockedUntil = Number(row.blocked_until);
      if (blockedUntil > now) return { ok: false, waitMs: blockedUntil - now, reason: 'Xero asked us to wait (429 Retry-After)' };

      await trx('xero_rate_leases').where({ tenant_key: tenantKey }).andWhere('expires_at', '<=', now).del();
      await trx('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '<=', now - DAY).del();

      const inFlight = await countOf(trx('xero_rate_leases').where({ tenant_key: tenantKey }));
      if (inFlight >= limits.concurrent) return { ok: false, waitMs: 50 * this.timeScale, reason: `${inFlight} calls in flight (limit ${limits.concurrent})` };

      const minuteUsed = await this.used(trx, tenantKey, now, MINUTE, limits.perMinute, hint?.minuteRemaining ?? null, hint?.reportedAt ?? null);
      if (minuteUsed.used >= limits.perMinute) {
        return { ok: false, waitMs: minuteUsed.freesAt - now, reason: `${minuteUsed.used} calls in the last minute (limit ${limits.perMinute})` };
      }
      const dayUsed = await this.used(trx, tenantKey, now, DAY, limits.perDay, hint?.dayRemaining ?? null, hint?.reportedAt ?? null);
      if (dayUsed.used >= limits.perDay) {
        return { ok: false, waitMs: dayUsed.freesAt - now, reason: `${dayUsed.used} calls in the last 24 hours (limit ${limits.perDay})` };
      }
      // The app-wide minute limit (10,000 across tenants): when Xero says it is spent, wait for its window.
      if (hint?.appMinuteRemaining !== null && hint?.appMinuteRemaining !== undefined && hint.appMinuteRemaining <= 0 && hint.reportedAt !== null && hint.reportedAt > now - MINUTE) {
        return { ok: false, waitMs: hint.reportedAt + MINUTE - now, reason: "the app's minute limit across organisations is spent" };
      }

      await trx('xero_rate_calls').insert({ tenant_key: tenantKey, at: now });
      const [lease] = (await trx('xero_rate_leases')
        .insert({ tenant_key: tenantKey, owner: this.owner, expires_at: now + Math.round(this.leaseMs * this.timeScale) })
        .returning('id')) as ({ id: number } | number)[];
      const leaseId = typeof lease === 'object' ? Number(lease.id) : Number(lease);
      return { ok: true, leaseId };
    });
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
    // Only a positive report corrects us: "0 remaining" comes with (or right before) a 429 whose Retry-After
    // says exactly when to come back (block()), whereas "0 for the rest of the window" would stall a minute.
    if (reportedRemaining !== null && reportedRemaining > 0 && reportedAt !== null && reportedAt > now - window) {
      const since = await countOf(trx('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', reportedAt));
      const xeroUsed = limit - reportedRemaining + since;
      if (xeroUsed > used) {
        used = xeroUsed;
        freesAt = Math.max(freesAt, reportedAt + window);
      }
    }
    return { used, freesAt: Math.max(freesAt, now + 20) };
  }
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
