// The retry policy of every Xero handler (the sync's pushes, History notes, payout posting), declared here
// rather than left to the host default (which grows to an hour): Xero's transient failures are short, and
// the reconcile-before-retry lookup makes retrying safe, so a failed call comes back within a minute at
// most; 50 attempts cover roughly 45 minutes of Xero outage before an item is shown to the admin as
// failed. A wait Xero or the rate budget named (Retry-After) wins.
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome } from '../../../server/plugins/contract';
import { RetryableError } from '../../../server/errors';

/** Transient failures (5xx, timeouts, network) back off 0.5 s, 1 s, 2 s … up to a minute, jittered. */
export const RETRY_BASE_MS = 500;
export const RETRY_CAP_MS = 60_000;

export function retryDelayMs(attempts: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, Math.min(attempts - 1, 20)));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** A handler's `handle` with the policy applied: retries get their delay, and anything unexpected is retried too. */
export function withRetryPolicy<P>(handle: (items: OutboxItem<P>[], h: OutboxHandlerContext) => Promise<OutboxOutcome[]>) {
  return async (items: OutboxItem<P>[], h: OutboxHandlerContext): Promise<OutboxOutcome[]> => {
    const attempts = Math.max(...items.map((i) => i.attempts));
    try {
      const outcomes = await handle(items, h);
      return outcomes.map((o, i) => (o.status === 'retry' && o.retryAfterMs === undefined ? { ...o, retryAfterMs: retryDelayMs(items[i]!.attempts) } : o));
    } catch (err) {
      if (err instanceof RetryableError && err.retryAfterMs === undefined) throw new RetryableError(err.message, { retryAfterMs: retryDelayMs(attempts), cause: err });
      if (!(err instanceof Error) || err.name === 'Error' || err.name === 'TypeError') {
        // Anything unexpected is retried too, on the same schedule (and logged by the worker).
        throw new RetryableError(err instanceof Error ? err.message : String(err), { retryAfterMs: retryDelayMs(attempts), cause: err });
      }
      throw err;
    }
  };
}
