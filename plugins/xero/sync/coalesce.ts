// Real time that stays real within Xero's 60 calls a minute. A sale's item that arrives on an IDLE queue
// waits a short window (XERO_SYNC_COALESCE_MS, default 200 ms) so that the sales of a burst share one call;
// items arriving inside an open window join it (same available_at, so one claim takes them all). Under a
// backlog (items of this kind already due) nothing is held: the new item queues behind them at once.
//
// The window also paces. Xero allows a tenant 60 calls in any rolling minute, and a minute spent early
// stalls every sale until its first calls age out (tens of seconds), so the windows must keep the tenant's
// calls at a pace it can hold. They follow a token bucket replayed over the tenant's calls of the last
// minute (our rate budget's own rows, every kind of call): full a minute ago, refilled at 5/6 of the limit
// (50 a minute), holding at most 1/6 of it (10). Replayed from a minute ago, it holds at most 60 − the
// calls of that minute, so a window that waits for a token never makes a 61st. The window is
//   base (0.2 s)                                while the bucket is full,
//   growing to 1.2 × the call spacing (1.2 s)   as it empties,
//   and never closing before the bucket holds a token.
// A window opens at its first sale and the next one only at the next sale after the call, so at 2 sales/s
// (Poisson) a window of w costs one call per w + 0.5 s on average: it settles at w ≈ 0.6 s and 55–58 calls
// a minute (bench/xero-pacing-model.ts). Contacts and payments drain the same bucket, so windows lengthen to
// make room for them; history notes take only what the invoices leave (notePacing.ts). (Before, the window was 1.2 s once a third of the minute was used:
// 35–42 calls a minute at 2/s and a p99 of 1.2 s + Xero's 0.6 s, with a third of the minute unused.)
//
// Everything here runs in the host's sale transaction: a few indexed reads on small sets (the live outbox
// items of one organisation and type, through ctx.outbox.queueState; one tenant's rate budget and calls of
// the last minute), whatever other organisations have queued.
import type { PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { XERO_LIMITS } from '../engine/rateBudget';

const MINUTE = 60_000;
/** The paced window at its longest, in per-call spacings of the limit (1.2 × 1 s at 60 calls a minute). */
const PACE_FACTOR = 1.2;
/** The bucket's refill, as a share of the per-minute limit: what the tenant's calls settle at. */
const SUSTAINED_SHARE = 5 / 6;
/** The bucket's size, as a share of the limit: the burst a quiet tenant may spend at once. Sustained + burst = the limit. */
const BURST_SHARE = 1 / 6;

export interface CoalesceInput {
  orgId: number;
  type: string;
  /** The rate budget's key for the organisation's live connection. */
  tenantKey: string;
  /** The configured base window; 0 turns coalescing (and pacing) off. */
  baseMs: number;
  now: number;
}

/** The pacing bucket's shape for a per-minute limit: its size in calls and ms between two refills. */
export function bucketShape(perMinute: number): { size: number; refillMs: number } {
  const limit = Math.max(1, perMinute);
  return { size: Math.max(1, limit * BURST_SHARE), refillMs: MINUTE / (limit * SUSTAINED_SHARE) };
}

/**
 * The pacing bucket's tokens at `now`, replayed over the tenant's calls of the last minute (`callTimes`,
 * any order): full a minute ago, +1 every refill, −1 a call. Can go below 0 when calls the windows did
 * not pace (contacts, payments, notes) took more than it held. Pure.
 */
export function bucketLevel(callTimes: readonly number[], now: number, perMinute: number): number {
  const { size, refillMs } = bucketShape(perMinute);
  let level = size;
  let at = now - MINUTE;
  for (const t of [...callTimes].filter((c) => c > now - MINUTE && c <= now).sort((a, b) => a - b)) {
    level = Math.min(size, level + (t - at) / refillMs) - 1;
    at = t;
  }
  return Math.min(size, level + (now - at) / refillMs);
}

/** The longest window the pacing can ask for with this per-minute limit (the bucket two calls short). */
export function maxWindowMs(baseMs: number, perMinute: number): number {
  return Math.max(baseMs, Math.ceil(2 * bucketShape(perMinute).refillMs), Math.ceil((PACE_FACTOR * MINUTE) / Math.max(1, perMinute)));
}

/** The window a new idle-queue item opens, from the pacing bucket's level (bucketLevel). Pure. */
export function windowMs(baseMs: number, level: number, perMinute: number): number {
  if (baseMs <= 0) return 0;
  const { size, refillMs } = bucketShape(perMinute);
  const paced = ((PACE_FACTOR * MINUTE) / Math.max(1, perMinute)) * Math.min(1, Math.max(0, 1 - level / size));
  const untilToken = level >= 1 ? 0 : (1 - level) * refillMs;
  return Math.min(maxWindowMs(baseMs, perMinute), Math.ceil(Math.max(baseMs, paced, untilToken)));
}

/**
 * When a new first-push item may run: undefined (at once: coalescing off, or a backlog it simply joins the
 * end of), or the end of the open window it joins or opens.
 */
export async function coalescedAvailableAt(ctx: Pick<PluginContext<XeroConfig>, 'outbox'>, trx: Queryable, input: CoalesceInput): Promise<number | undefined> {
  if (input.baseMs <= 0) return undefined;
  const { now } = input;
  const budget = await trx('xero_rate_budget').where({ tenant_key: input.tenantKey }).first('per_minute');
  const perMinute = budget ? Number(budget.per_minute) : XERO_LIMITS.perMinute;
  // A backlog (items of this kind already due): holding the new one would only delay it. Else an open
  // window: a never-attempted item held for a moment (not a retry's backoff, not a daily schedule).
  const queue = await ctx.outbox.queueState(trx, { orgId: input.orgId, type: input.type, now, heldUntil: now + maxWindowMs(input.baseMs, perMinute) });
  if (queue.due) return undefined;
  if (queue.earliestHeld !== null) return queue.earliestHeld;

  return now + windowMs(input.baseMs, bucketLevel(await callTimesOfLastMinute(trx, input.tenantKey, now), now, perMinute), perMinute);
}

/** The tenant's calls of the minute before `now` (the rate budget's rows), as bucketLevel replays them. */
export async function callTimesOfLastMinute(db: Queryable, tenantKey: string, now: number): Promise<number[]> {
  const calls = (await db('xero_rate_calls').where({ tenant_key: tenantKey }).andWhere('at', '>', now - MINUTE).select('at')) as { at: number | string }[];
  return calls.map((c) => Number(c.at));
}
