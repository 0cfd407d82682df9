// The only module that talks HTTP to GoCardless. A thin typed fetch client rather than gocardless-nodejs's
// GoCardlessClient: that client hard-codes its base URL (api.gocardless.com or the sandbox, a private
// `_baseUrl` with no option to change it), so it cannot reach a GoCardless-compatible endpoint or our
// emulator without patching its internals. What we send is what it sends: Bearer token,
// `GoCardless-Version: 2015-07-06`, JSON envelopes, an Idempotency-Key on every POST, and a 409
// idempotent_creation_conflict answered by fetching the resource it names. Webhook signatures are checked
// with the library's own verifier (webhook.ts).
//
// Errors become the host's integration errors: 401/403 → AuthRevokedError, 429/5xx/network/timeout →
// RetryableError (honouring Retry-After / RateLimit-Reset), anything else → PermanentError with
// GoCardless's message and the fields it names.
import { randomUUID } from 'node:crypto';
import { AuthRevokedError, PermanentError, RetryableError } from '../../server/errors';

export const GOCARDLESS_VERSION = '2015-07-06';

export interface GcCreditor { id: string; name: string; country_code: string | null; created_at: string }
export interface GcPayment {
  id: string; created_at: string; charge_date: string; amount: number; amount_refunded: number; currency: string;
  status: string; description: string | null; reference: string | null; metadata: Record<string, string>;
  links: { mandate: string; creditor: string; payout?: string };
}
export interface GcRefund {
  id: string; created_at: string; amount: number; currency: string; status: string; reference: string | null;
  metadata: Record<string, string>; links: { payment?: string; mandate?: string };
}
export interface GcPayout {
  id: string; amount: number; deducted_fees: number; currency: string; created_at: string; arrival_date: string | null;
  status: 'pending' | 'paid' | 'bounced'; reference: string; payout_type: string;
  links: { creditor: string; creditor_bank_account: string };
}
export interface GcPayoutItemTax { amount: string; currency: string; tax_rate_id: string }
export interface GcPayoutItem {
  type: string; amount: string; taxes?: GcPayoutItemTax[];
  links: { payment?: string; refund?: string; mandate?: string };
}
export interface GcCustomer { id: string; email: string | null; given_name: string | null; family_name: string | null; company_name: string | null }
export interface GcMandate { id: string; links: { customer: string; creditor: string } }
export interface GcEvent {
  id: string; created_at: string; resource_type: string; action: string;
  links: Record<string, string | undefined>; details?: { cause?: string; description?: string };
  resource_metadata?: Record<string, string>;
}
export interface GcPage<T> { items: T[]; after: string | null }

/** A refusal from GoCardless with its envelope (kept so callers can say exactly what GoCardless said). */
export class GoCardlessApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly errors: { field?: string; reason?: string; message: string; links?: Record<string, string> }[],
    readonly requestId: string | null,
  ) {
    super(message);
    this.name = 'GoCardlessApiError';
  }
}

export interface GoCardlessClientOptions {
  baseUrl: string;
  accessToken: string;
  timeoutMs?: number;
}

type Query = Record<string, string | number | undefined>;

export class GoCardlessClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(opts: GoCardlessClientOptions) {
    this.#baseUrl = opts.baseUrl.replace(/\/+$/, '');
    this.#token = opts.accessToken;
    this.#timeoutMs = opts.timeoutMs ?? 20_000;
  }

  /** The creditor this token belongs to (an access token sees exactly one). */
  async creditor(): Promise<GcCreditor> {
    const res = await this.#get<{ creditors: GcCreditor[] }>('/creditors', { limit: 1 });
    const first = res.creditors[0];
    if (!first) throw new PermanentError('GoCardless returned no creditor for this access token');
    return first;
  }

  async payout(id: string): Promise<GcPayout> {
    return (await this.#get<{ payouts: GcPayout }>(`/payouts/${encodeURIComponent(id)}`)).payouts;
  }

  async payoutsPage(query: Query = {}): Promise<GcPage<GcPayout>> {
    const res = await this.#get<{ payouts: GcPayout[]; meta: { cursors: { after: string | null } } }>('/payouts', query);
    return { items: res.payouts, after: res.meta.cursors.after };
  }

  /** Every payout matching the filters (follows `after` cursors). */
  async allPayouts(query: Query = {}): Promise<GcPayout[]> {
    return this.#all((after) => this.payoutsPage({ ...query, limit: 500, after }));
  }

  /** Every item of a payout, in GoCardless's order. */
  async allPayoutItems(payoutId: string): Promise<GcPayoutItem[]> {
    return this.#all(async (after) => {
      const res = await this.#get<{ payout_items: GcPayoutItem[]; meta: { cursors: { after: string | null } } }>('/payout_items', { payout: payoutId, limit: 500, after });
      return { items: res.payout_items, after: res.meta.cursors.after };
    });
  }

  async payment(id: string): Promise<GcPayment> {
    return (await this.#get<{ payments: GcPayment }>(`/payments/${encodeURIComponent(id)}`)).payments;
  }

  async refund(id: string): Promise<GcRefund> {
    return (await this.#get<{ refunds: GcRefund }>(`/refunds/${encodeURIComponent(id)}`)).refunds;
  }

  async mandate(id: string): Promise<GcMandate> {
    return (await this.#get<{ mandates: GcMandate }>(`/mandates/${encodeURIComponent(id)}`)).mandates;
  }

  async customer(id: string): Promise<GcCustomer> {
    return (await this.#get<{ customers: GcCustomer }>(`/customers/${encodeURIComponent(id)}`)).customers;
  }

  async eventsPage(query: Query = {}): Promise<GcPage<GcEvent>> {
    const res = await this.#get<{ events: GcEvent[]; meta: { cursors: { after: string | null } } }>('/events', query);
    return { items: res.events, after: res.meta.cursors.after };
  }

  async createPayment(input: { amount: number; currency: string; mandate: string; chargeDate?: string; description?: string; reference?: string; metadata?: Record<string, string> }, idempotencyKey?: string): Promise<GcPayment> {
    const body = {
      amount: input.amount, currency: input.currency, links: { mandate: input.mandate },
      ...(input.chargeDate ? { charge_date: input.chargeDate } : {}),
      ...(input.description ? { description: input.description } : {}),
      ...(input.reference ? { reference: input.reference } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
    };
    return this.#create('payments', body, idempotencyKey, (id) => this.payment(id));
  }

  async createRefund(input: { payment: string; amount: number; totalAmountConfirmation: number; reference?: string; metadata?: Record<string, string> }, idempotencyKey?: string): Promise<GcRefund> {
    const body = {
      amount: input.amount, total_amount_confirmation: input.totalAmountConfirmation, links: { payment: input.payment },
      ...(input.reference ? { reference: input.reference } : {}),
      ...(input.metadata ? { metadata: input.metadata } : {}),
    };
    return this.#create('refunds', body, idempotencyKey, (id) => this.refund(id));
  }

  async #all<T>(page: (after: string | undefined) => Promise<GcPage<T>>): Promise<T[]> {
    const out: T[] = [];
    let after: string | undefined;
    for (let guard = 0; guard < 10_000; guard += 1) {
      const p = await page(after);
      out.push(...p.items);
      if (!p.after) return out;
      after = p.after;
    }
    throw new PermanentError('GoCardless pagination did not end after 10,000 pages');
  }

  async #create<T>(resource: string, body: unknown, idempotencyKey: string | undefined, fetchExisting: (id: string) => Promise<T>): Promise<T> {
    try {
      const res = await this.#request<Record<string, T>>('POST', `/${resource}`, undefined, { [resource]: body }, idempotencyKey ?? randomUUID());
      return res[resource] as T;
    } catch (err) {
      // The first attempt landed: GoCardless names the resource it created; fetch it instead of failing.
      const conflict = err instanceof PermanentError && err.cause instanceof GoCardlessApiError
        ? err.cause.errors.find((e) => e.reason === 'idempotent_creation_conflict')?.links?.conflicting_resource_id : undefined;
      if (conflict) return fetchExisting(conflict);
      throw err;
    }
  }

  #get<T>(path: string, query?: Query): Promise<T> {
    return this.#request<T>('GET', path, query);
  }

  async #request<T>(method: 'GET' | 'POST', path: string, query?: Query, body?: unknown, idempotencyKey?: string): Promise<T> {
    const url = new URL(`${this.#baseUrl}${path}`);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.#token}`,
      'GoCardless-Version': GOCARDLESS_VERSION,
      'User-Agent': 'ledgerbridge-gocardless',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let res: Response;
    try {
      res = await fetch(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (err) {
      throw new RetryableError(`GoCardless ${method} ${path} did not answer: ${(err as Error).message}`, { cause: err });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      if (res.status >= 500 || res.status === 429) throw new RetryableError(`GoCardless ${method} ${path}: HTTP ${res.status}`);
      throw new PermanentError(`GoCardless ${method} ${path} answered HTTP ${res.status} with a body that is not JSON`);
    }
    if (res.ok) return json as T;
    throw toIntegrationError(method, path, res, json);
  }
}

function toIntegrationError(method: string, path: string, res: Response, json: unknown): Error {
  const e = (json as { error?: { type?: string; message?: string; errors?: GoCardlessApiError['errors']; request_id?: string } }).error ?? {};
  const details = (e.errors ?? []).map((x) => (x.field ? `${x.field} ${x.message}` : x.message)).filter((m) => m && m !== e.message);
  const message = `GoCardless ${method} ${path}: ${e.message ?? `HTTP ${res.status}`}${details.length ? ` (${details.join('; ')})` : ''}`;
  const apiError = new GoCardlessApiError(res.status, e.type ?? 'gocardless', message, e.errors ?? [], e.request_id ?? res.headers.get('x-request-id'));
  if (res.status === 401 || res.status === 403) return new AuthRevokedError(message, { cause: apiError });
  if (res.status === 429 || res.status >= 500) {
    const retryAfterMs = retryAfter(res);
    return new RetryableError(message, { cause: apiError, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) });
  }
  return new PermanentError(message, { cause: apiError });
}

function retryAfter(res: Response): number | undefined {
  const seconds = Number(res.headers.get('retry-after'));
  if (Number.isFinite(seconds) && seconds > 0) return seconds * 1000;
  const reset = Date.parse(res.headers.get('ratelimit-reset') ?? '');
  if (!Number.isNaN(reset)) return Math.max(1000, reset - Date.now());
  return undefined;
}
