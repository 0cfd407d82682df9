// Real time that stays real within Xero's 60 calls a minute. A sale's item that arrives on an IDLE queue
// waits a short window (XERO_SYNC_COALESCE_MS, default 200 ms) so that the sales of a burst share one call;
// items arriving inside an open window join it (same available_at, so one claim takes them all). Under a
// backlog (items of this kind already due) nothing is held: the new item queues behind them at once.
//
// The window also paces: at a steady 2 sales a second, windows of 200 ms still cost one call per sale,
// 120 a minute, and once the rolling minute is spent every sale waits for the window to free (tens of
// seconds, since the early calls fill Xero's rolling minute before a late reaction can help). So the window
// grows with the tenant's calls in the last minute (our rate budget's own count):
//   window = max(base, 1.2 × (60 s / limit) × min(1, used / (limit / 3)))
// 0.2 s when quiet, 1.2 s once a third of the minute is used: a steady 2 sales/s settles at three sales
// per call, ~40 calls a minute, with room left for contacts, and a sale waits at most 1.2 s for its call.
//
// Everything here runs in the host's sale transaction: a few indexed reads on small sets (the live outbox
// items of one organisation and type, through ctx.outbox.queueState; one tenant's rate budget and calls of
// the last minute), whatever other organisations have queued.
import type { PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { XERO_LIMITS } from '../engine/rateBudget';

const MINUTE = 60_000;
/** The paced window, in per-call spacings of the limit (1.2 × 1 s at 60 calls a minute). */
const PACE_FACTOR = 1.2;
/** The share of the minute's calls at which the window reaches its full length. */
const FULL_PACE_AT = 1 / 3;

export interface CoalesceInput {
  orgId: number;
  type: string;
  /** The rate budget's key for the organisation's live connection. */
  tenantKey: string;
  /** The configured base window; 0 turns coalescing (and pacing) off. */
  baseMs: number;
  now: number;
}

/** The longest window the pacing can ask for with this per-minute limit. */
export function maxWindowMs(baseMs: number, perMinute: number): number {
  return Math.max(baseMs, Math.ceil((PACE_FACTOR * MINUTE) / Math.max(1, perMinute)));
}

/** The window a new idle-queue item opens, from the tenant's calls in the last minute. Pure. */
export function windowMs(baseMs: number, usedLastMinute: number, perMinute: number): number {
  if (baseMs <= 0) return 0;
  const limit = Math.max(1, perMinute);
  const paced = Math.ceil(((PACE_FACTOR * MINUTE) / limit) * Math.min(1, usedLastMinute / (limit * FULL_PACE_AT)));
  return Math.max(baseMs, paced);
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

  const used = (await trx('xero_rate_calls').where({ tenant_key: input.tenantKey }).andWhere('at', '>', now - MINUTE).count({ n: '*' })) as { n: number | string }[];
  return now + windowMs(input.baseMs, Number(used[0]?.n ?? 0), perMinute);
}
