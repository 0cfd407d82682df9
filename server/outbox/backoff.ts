// How long an item waits before its next attempt. Exponential with "full jitter" (a random delay in
// [0, min(cap, base·2^(n-1))]) so that items failing together do not come back together. When the far
// side said when to come back (Retry-After), that wins: never earlier than it asked, with a little
// jitter only above it.

export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /** The shortest wait, even for a jitter draw near 0 or a Retry-After of 0. */
  floorMs: number;
  /** Extra spread added above a Retry-After, as a fraction of it (bounded by maxRetryAfterJitterMs). */
  retryAfterJitter: number;
  maxRetryAfterJitterMs: number;
}

export const DEFAULT_BACKOFF: Readonly<BackoffPolicy> = Object.freeze({
  baseMs: 1_000,
  capMs: 60 * 60_000,
  floorMs: 250,
  retryAfterJitter: 0.1,
  maxRetryAfterJitterMs: 5_000,
});

/**
 * Delay before the attempt after `attempt` (1 = the first attempt just failed).
 * `random` returns [0, 1) and is a parameter so tests can pin the jitter.
 */
export function retryDelayMs(
  attempt: number,
  opts: { retryAfterMs?: number; policy?: BackoffPolicy; random?: () => number } = {},
): number {
  const policy = opts.policy ?? DEFAULT_BACKOFF;
  const random = opts.random ?? Math.random;
  if (opts.retryAfterMs !== undefined && Number.isFinite(opts.retryAfterMs) && opts.retryAfterMs >= 0) {
    const wait = Math.max(opts.retryAfterMs, policy.floorMs);
    return Math.round(wait + random() * Math.min(wait * policy.retryAfterJitter, policy.maxRetryAfterJitterMs));
  }
  const exponent = Math.max(0, Math.min(attempt - 1, 52)); // 2^52·base overflows any cap: stop growing there
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** exponent);
  return Math.round(Math.max(policy.floorMs, random() * ceiling));
}
