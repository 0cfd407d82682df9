// The transport under the gateway (gateway.ts, the only code that names xero-node's Accounting API
// methods): one client for both connection modes. The caller hands in an authentication (OAuth2 bearer,
// or the private app's OAuth 1.0a RSA-SHA1 signer), and every call takes the same code path: timeouts,
// rate headroom, a one-shot re-authentication on 401. Failures come back as our errors:
//   XeroHttpError (status, Xero's body and problem) for callers that branch on it (404, validation), and
//   toWorkerError() → RetryableError | PermanentError | AuthRevokedError for the outbox.
import { AccountingApi, type Authentication } from 'xero-node';
import { AuthRevokedError, PermanentError, RetryableError } from '../../../server/errors';
import { accountingBasePath, type XeroConfig } from '../config';
import { isSigningTimeRefusal, signingTimeRefusalMessage } from './clockRefusal';

type RequestOptions = Parameters<Authentication['applyToRequest']>[0];

/** One Accounting API call, as the gateway writes it: `(api, tenant) => api.getOrganisations(tenant)`. */
export type XeroOperation<T> = (api: AccountingApi, tenantId: string) => Promise<{ response: { status?: number; headers?: unknown }; body: T }>;

export interface CallOptions {
  /**
   * Runs right before the request goes out (after the rate budget granted it, in a session): the send marks.
   * The window it may return bounds when the request may still go out (engine/sendMarks.ts).
   */
  beforeSend?: () => Promise<SendWindow | void>;
}

/**
 * The request goes out by `sendBy` (performance.now() ms) or not at all: the outbox lease held for it covers
 * that long plus the time the request may take to land, no more. A process frozen after the hold (SIGSTOP,
 * a long GC pause) and resumed later finds the window closed and sends nothing; the next attempt looks up.
 */
export interface SendWindow {
  sendBy: number;
}

/** What Xero said about the rate budget on the last response (headers X-*-Remaining). */
export interface RateHeadroom {
  minuteRemaining: number | null;
  dayRemaining: number | null;
  appMinuteRemaining: number | null;
}

export interface XeroClientOptions {
  config: Pick<XeroConfig, 'apiUrl' | 'httpTimeoutMs'>;
  /** Signs or authorises each request. */
  authentication: Authentication;
  tenantId: string;
  /** Told about the rate budget after every response, successful or not. */
  onRateHeadroom?: (headroom: RateHeadroom) => void;
  /**
   * OAuth2: a 401 can mean the access token died early (revoked, clock drift). Called once per call to
   * get fresh credentials before the call is retried; throws AuthRevokedError when the grant is dead.
   */
  reauthenticate?: () => Promise<Authentication>;
  /**
   * OAuth 1.0a: Xero refused the request's oauth_timestamp (timestamp_refused). Told with Xero's answer
   * (its Date header, the window it accepts) so the connection can say how far this server's clock is off.
   */
  onTimestampRefused?: (failure: XeroHttpError) => void;
  /** Xero answered a call successfully (its signature and timestamp accepted). */
  onAnswered?: () => void;
}

/** OAuth2: the bearer access token. */
export class BearerAuthentication implements Authentication {
  constructor(private readonly accessToken: string) {}
  applyToRequest(options: RequestOptions): void {
    options.headers = { ...(options.headers ?? {}), Authorization: `Bearer ${this.accessToken}` };
  }
}

/** Runs after the real authentication: bounds every call in time (xero-node sets no timeout of its own). */
class TimeoutAuthentication implements Authentication {
  constructor(private readonly inner: Authentication, private readonly timeoutMs: number) {}
  async applyToRequest(options: RequestOptions): Promise<void> {
    await this.inner.applyToRequest(options);
    (options as RequestOptions & { timeout?: number }).timeout = this.timeoutMs;
  }
}

/** A failed call to Xero, with what Xero said. Never carries request headers (they hold credentials). */
export class XeroHttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfterMs?: number;
  /** `X-Rate-Limit-Problem` on a 429 (minute | day | concurrent | appminute), or the OAuth 1.0a `oauth_problem`. */
  readonly problem?: string;
  readonly validationMessages: string[];
  /** Xero's clock when it answered (its `Date` header, epoch ms), when it sent one. */
  readonly serverDate?: number;

  constructor(opts: { status: number; body: unknown; retryAfterMs?: number; problem?: string; message?: string; serverDate?: number }) {
    const messages = validationMessagesOf(opts.body);
    super(opts.message ?? describe(opts.status, opts.body, opts.problem, messages));
    this.name = 'XeroHttpError';
    this.status = opts.status;
    this.body = opts.body;
    this.retryAfterMs = opts.retryAfterMs;
    this.problem = opts.problem;
    this.validationMessages = messages;
    if (opts.serverDate !== undefined) this.serverDate = opts.serverDate;
  }

  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

export class XeroClient {
  readonly accounting: AccountingApi;
  readonly tenantId: string;
  private readonly onRateHeadroom?: (h: RateHeadroom) => void;
  private readonly reauthenticate?: () => Promise<Authentication>;
  private readonly onTimestampRefused?: (failure: XeroHttpError) => void;
  private readonly onAnswered?: () => void;
  private readonly timeoutMs: number;

  constructor(opts: XeroClientOptions) {
    this.tenantId = opts.tenantId;
    this.onRateHeadroom = opts.onRateHeadroom;
    this.reauthenticate = opts.reauthenticate;
    this.onTimestampRefused = opts.onTimestampRefused;
    this.onAnswered = opts.onAnswered;
    this.timeoutMs = opts.config.httpTimeoutMs;
    this.accounting = new AccountingApi();
    this.accounting.basePath = accountingBasePath(opts.config as XeroConfig);
    this.accounting.setDefaultAuthentication(new TimeoutAuthentication(opts.authentication, this.timeoutMs));
  }

  /** Run one Accounting API call. Resolves with Xero's (deserialised) body; rejects with XeroHttpError. */
  async call<T>(operation: XeroOperation<T>, opts: CallOptions & { window?: SendWindow } = {}): Promise<T> {
    const window = (await opts.beforeSend?.()) ?? opts.window;
    try {
      return await this.attempt(operation, window);
    } catch (err) {
      if (!(err instanceof XeroHttpError) || err.status !== 401 || !this.reauthenticate) throw err;
      this.accounting.setDefaultAuthentication(new TimeoutAuthentication(await this.reauthenticate(), this.timeoutMs));
      return this.attempt(operation, window);
    }
  }

  private async attempt<T>(operation: XeroOperation<T>, window?: SendWindow): Promise<T> {
    // Checked as late as this code can: the last step before xero-node signs and writes the request.
    if (window && performance.now() > window.sendBy) {
      throw new RetryableError(`not sent to Xero: the outbox lease held for this request allowed it to start within its window, which had passed (the process was paused or too slow); the next attempt looks it up first`);
    }
    try {
      const { response, body } = await operation(this.accounting, this.tenantId);
      this.report(response.headers);
      this.onAnswered?.();
      return body;
    } catch (err) {
      // Thrown before anything was sent (the client could not encode what it was given): no retry can
      // help, so it fails for a person with its reason instead of looping as "Could not reach Xero".
      if (err instanceof RangeError || err instanceof URIError) {
        throw new PermanentError(`The request to Xero could not be made from this record: ${err.message}`, { cause: err });
      }
      const failure = parseXeroFailure(err);
      this.report(failure.headers);
      if (failure.error.status === 401 && failure.error.problem === 'timestamp_refused') this.onTimestampRefused?.(failure.error);
      throw failure.error;
    }
  }

  private report(headers: unknown): void {
    if (!this.onRateHeadroom || !headers || typeof headers !== 'object') return;
    const h = lowerCaseKeys(headers as Record<string, unknown>);
    const headroom: RateHeadroom = {
      minuteRemaining: intOrNull(h['x-minlimit-remaining']),
      dayRemaining: intOrNull(h['x-daylimit-remaining']),
      appMinuteRemaining: intOrNull(h['x-appminlimit-remaining']),
    };
    if (headroom.minuteRemaining !== null || headroom.dayRemaining !== null || headroom.appMinuteRemaining !== null) {
      this.onRateHeadroom(headroom);
    }
  }
}

/**
 * xero-node rejects with a JSON *string* `{"response":{"statusCode","body","headers"}}` for HTTP errors
 * and network failures alike (statusCode 0 when nothing came back), or with an Error thrown before sending.
 */
export function parseXeroFailure(err: unknown): { error: XeroHttpError; headers: unknown } {
  let parsed: { response?: { statusCode?: number; body?: unknown; headers?: Record<string, unknown> } } | undefined;
  if (typeof err === 'string') {
    try {
      parsed = JSON.parse(err);
    } catch {
      parsed = undefined;
    }
  } else if (err && typeof err === 'object' && 'response' in err) {
    const r = (err as { response: { status?: number; data?: unknown; headers?: Record<string, unknown> } }).response;
    parsed = { response: { statusCode: r?.status, body: r?.data, headers: r?.headers } };
  }
  if (!parsed?.response) {
    const message = err instanceof Error ? err.message : typeof err === 'string' ? err : 'unknown failure';
    return { error: new XeroHttpError({ status: 0, body: null, message: `Could not reach Xero: ${message}` }), headers: undefined };
  }
  const status = Number(parsed.response.statusCode ?? 0);
  const headers = lowerCaseKeys(parsed.response.headers ?? {});
  let body = parsed.response.body;
  let problem: string | undefined;
  if (typeof body === 'string' && body.includes('oauth_problem=')) {
    const form = new URLSearchParams(body);
    problem = form.get('oauth_problem') ?? undefined;
    const acceptable = form.get('oauth_acceptable_timestamps');
    body = { oauth_problem: problem, oauth_problem_advice: form.get('oauth_problem_advice') ?? undefined, ...(acceptable ? { oauth_acceptable_timestamps: acceptable } : {}) };
  }
  if (status === 429) problem = String(headers['x-rate-limit-problem'] ?? 'minute');
  const retryAfterSeconds = Number(headers['retry-after']);
  const retryAfterMs = Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0 ? retryAfterSeconds * 1000 : undefined;
  if (status === 0) {
    const reason = typeof body === 'string' ? body : 'no response';
    return { error: new XeroHttpError({ status, body: null, message: `Could not reach Xero: ${reason}` }), headers };
  }
  const serverDate = typeof headers.date === 'string' ? Date.parse(headers.date) : NaN;
  return { error: new XeroHttpError({ status, body, retryAfterMs, problem, ...(Number.isFinite(serverDate) ? { serverDate } : {}) }), headers };
}

/** How the outbox should treat a Xero failure: retry later, stop for a person, or pause the connection. */
export function toWorkerError(err: unknown): RetryableError | PermanentError | AuthRevokedError {
  if (err instanceof RetryableError || err instanceof PermanentError || err instanceof AuthRevokedError) return err;
  const failure = err instanceof XeroHttpError ? err : parseXeroFailure(err).error;
  const { status } = failure;
  if (status === 0 || status === 408 || status >= 500) return new RetryableError(failure.message, { cause: failure });
  if (status === 429) return new RetryableError(failure.message, { retryAfterMs: failure.retryAfterMs ?? 60_000, cause: failure });
  // The signature's time or nonce was refused, not the credentials: Xero processed nothing, and the next
  // attempt signs afresh. Pausing for re-authorisation could not fix a server clock.
  if (status === 401 && isSigningTimeRefusal(failure.problem)) return new RetryableError(signingTimeRefusalMessage(failure), { cause: failure, retryAfterMs: 60_000, spendsAttempt: false });
  if (status === 401 || status === 403) return new AuthRevokedError(failure.message, { cause: failure });
  return new PermanentError(failure.message, { cause: failure });
}

/** Xero's validation messages from any of its error shapes (ValidationException, per-element errors). */
export function validationMessagesOf(body: unknown): string[] {
  const out: string[] = [];
  const visit = (node: unknown, depth: number) => {
    if (!node || typeof node !== 'object' || depth > 6) return;
    if (Array.isArray(node)) return node.forEach((n) => visit(n, depth + 1));
    const rec = node as Record<string, unknown>;
    const errors = rec.ValidationErrors ?? rec.validationErrors;
    if (Array.isArray(errors)) {
      for (const e of errors) {
        const m = (e as Record<string, unknown>)?.Message ?? (e as Record<string, unknown>)?.message;
        if (typeof m === 'string' && !out.includes(m)) out.push(m);
      }
    }
    for (const key of ['Elements', 'elements', 'Invoices', 'invoices', 'CreditNotes', 'creditNotes', 'Payments', 'payments', 'Contacts', 'contacts']) {
      if (key in rec) visit(rec[key], depth + 1);
    }
  };
  visit(body, 0);
  return out;
}

function describe(status: number, body: unknown, problem: string | undefined, messages: string[]): string {
  if (messages.length) return `Xero rejected the request (${status}): ${messages.join('; ')}`;
  if (body && typeof body === 'object') {
    const rec = body as Record<string, unknown>;
    if (typeof rec.oauth_problem === 'string') {
      const advice = typeof rec.oauth_problem_advice === 'string' ? ` (${rec.oauth_problem_advice})` : '';
      return `Xero refused the signature: ${rec.oauth_problem}${advice}`;
    }
    const detail = rec.Detail ?? rec.Message ?? rec.detail ?? rec.message ?? rec.Title ?? rec.title;
    if (typeof detail === 'string' && detail) return `Xero answered ${status}: ${detail}`;
  }
  if (typeof body === 'string' && body.trim()) return `Xero answered ${status}: ${body.trim().slice(0, 300)}`;
  if (status === 429) return `Xero's rate limit was reached (${problem ?? 'minute'})`;
  return `Xero answered ${status}`;
}

function lowerCaseKeys(rec: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(rec).map(([k, v]) => [k.toLowerCase(), v]));
}

function intOrNull(v: unknown): number | null {
  const n = Number(v);
  return v === undefined || v === null || v === '' || !Number.isFinite(n) ? null : Math.trunc(n);
}
