// OAuth 1.0a refusals about when a request was signed, not who signed it. Xero (the private app's RSA-SHA1)
// answers 401 with oauth_problem=timestamp_refused when oauth_timestamp is too far from its clock, and
// nonce_used when it has seen the (timestamp, nonce) before. Neither means the authorisation is gone: Xero
// processed nothing, and the next attempt signs afresh. An admin re-authorising cannot fix a server clock,
// so these retry with the normal backoff and the clock's offset is shown on the connection's health.
// Pure functions; the client and the connection store do the I/O.

/** The oauth_problem values that refuse the signing time or nonce rather than the credentials. */
const SIGNING_TIME_PROBLEMS = new Set(['timestamp_refused', 'nonce_used']);

export const isSigningTimeRefusal = (problem: string | undefined): boolean => problem !== undefined && SIGNING_TIME_PROBLEMS.has(problem);

/** How far either way Xero accepts oauth_timestamp when its answer does not say: 5 minutes (Xero's developer documentation). */
export const XERO_TIMESTAMP_WINDOW_S = 300;

/** The start of every clock alert saved on the connection (health.ts shows it, a successful call clears it). */
export const CLOCK_ALERT_PREFIX = 'Xero refused our signed calls: ';

export const isClockAlert = (lastError: string | null | undefined): boolean => typeof lastError === 'string' && lastError.startsWith(CLOCK_ALERT_PREFIX);

/**
 * The half-width of the window from `oauth_acceptable_timestamps=<from>-<to>` (seconds since the epoch),
 * which an OAuth 1.0a server may send with timestamp_refused; null when absent or unreadable.
 */
export function acceptedWindowSeconds(acceptable: unknown): number | null {
  if (typeof acceptable !== 'string') return null;
  const match = /^(\d+)-(\d+)$/.exec(acceptable.trim());
  if (!match) return null;
  const from = Number(match[1]);
  const to = Number(match[2]);
  return to >= from ? Math.round((to - from) / 2) : null;
}

/** What the outbox item records when a call was refused for its signing time or nonce. */
export function signingTimeRefusalMessage(failure: { problem?: string }): string {
  return failure.problem === 'nonce_used'
    ? 'Xero refused the request as a replay (nonce_used): it processed nothing, and the request is sent again later with a fresh nonce'
    : "Xero refused the request's timestamp (timestamp_refused): it processed nothing, and the request is sent again later. This server's clock differs from Xero's: see the Xero panel on the dashboard";
}

/**
 * The admin's alert. `ourNowMs` is this server's clock when the refusal came back, `xeroDateMs` Xero's (its
 * `Date` header, whole seconds: the figure is good to a second or two, plus the call's time on the wire).
 */
export function clockAlertMessage(opts: { ourNowMs: number; xeroDateMs?: number; acceptable?: unknown }): string {
  const window = acceptedWindowSeconds(opts.acceptable) ?? XERO_TIMESTAMP_WINDOW_S;
  const allows = `Xero allows ${window} s either way`;
  if (opts.xeroDateMs === undefined || !Number.isFinite(opts.xeroDateMs)) {
    return `${CLOCK_ALERT_PREFIX}this server's clock differs from Xero's by more than Xero allows (${allows}; Xero's answer carried no Date, so the difference is not known). Fix the server clock (NTP).`;
  }
  const skew = Math.round((opts.ourNowMs - opts.xeroDateMs) / 1000);
  const side = skew >= 0 ? 'ahead of' : 'behind';
  return `${CLOCK_ALERT_PREFIX}this server's clock differs from Xero's by about ${Math.abs(skew)} s (${side} Xero; ${allows}). Fix the server clock (NTP).`;
}
