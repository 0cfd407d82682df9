// Events and their delivery to webhook endpoints, as Stripe does it: each event is POSTed as JSON to
// every enabled endpoint of its account, signed `Stripe-Signature: t=<unix>,v1=<hex HMAC-SHA256 of
// "<t>.<body>" under the endpoint's whsec_ secret>`; a non-2xx answer (or no answer) is retried with
// back-off on the emulator clock until Stripe would give up (3 days). On demand (control API):
// hold deliveries and release them in any order, delay them, deliver twice, redeliver an event later
// with a fresh signature, or replay the exact bytes and header of an earlier attempt (a replay attack).
import { createHmac, randomBytes } from 'node:crypto';
import type { Clock } from '../xero/contracts';
import type { Account } from './accounts';
import type { RequestInfo, StripeObject } from './book';
import { stripeId } from './ids';

export interface WebhookEndpoint {
  id: string;
  object: 'webhook_endpoint';
  api_version: string | null;
  application: null;
  created: number;
  description: string | null;
  enabled_events: string[];
  livemode: false;
  metadata: Record<string, string>;
  secret?: string;
  status: 'enabled' | 'disabled';
  url: string;
}

export interface Attempt {
  at: number;
  signatureTimestamp: number;
  status: number | null;
  error: string | null;
  header: string;
  body: string;
}

export interface Delivery {
  id: string;
  seq: number;
  accountId: string;
  eventId: string;
  eventType: string;
  endpointId: string;
  state: 'held' | 'pending' | 'delivered' | 'gave_up';
  /** Emulated ms at which the next attempt is due. */
  dueAt: number;
  kind: 'original' | 'duplicate' | 'redelivery' | 'replay';
  /** A fixed signature timestamp (seconds) to sign with instead of the clock (stale redelivery). */
  signAt?: number;
  /** replay: the exact body and header to send again. */
  replay?: { body: string; header: string };
  attempts: Attempt[];
}

export interface DeliverySettings {
  hold: boolean;
  delayMs: number;
  duplicate: boolean;
}

/** Stripe's retry schedule, roughly: minutes, then hours, giving up after about three days. */
export const RETRY_DELAYS_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 3_600_000, 5 * 3_600_000, 10 * 3_600_000, 12 * 3_600_000, 12 * 3_600_000, 12 * 3_600_000, 12 * 3_600_000];

export function signPayload(body: string, secret: string, timestamp: number): string {
  const v1 = createHmac('sha256', secret).update(`${timestamp}.${body}`, 'utf8').digest('hex');
  return `t=${timestamp},v1=${v1}`;
}

export class WebhookDispatcher {
  #endpoints = new Map<string, WebhookEndpoint & { accountId: string; secret: string }>();
  #events = new Map<string, { accountId: string; event: StripeObject; seq: number }>();
  #deliveries: Delivery[] = [];
  #settings = new Map<string, DeliverySettings>();
  #seq = 0;
  #running: Promise<void> | null = null;
  #again = false;
  #timer: NodeJS.Timeout | null = null;
  #closed = false;

  constructor(
    private readonly clock: Clock,
    private readonly apiVersion: string,
    private readonly opts: { pollMs: number; timeoutMs: number },
  ) {
    if (opts.pollMs > 0) {
      this.#timer = setInterval(() => this.pump(), opts.pollMs);
      this.#timer.unref();
    }
  }

  // ---- endpoints ---------------------------------------------------------------------------------

  addEndpoint(accountId: string, input: { url: string; enabledEvents?: string[]; description?: string; secret?: string; metadata?: Record<string, string>; apiVersion?: string }): WebhookEndpoint & { secret: string } {
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new TypeError(`Invalid URL: ${input.url}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('Invalid URL: must be http or https');
    const secret = input.secret ?? `whsec_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
    if (!/^whsec_\w{8,}$/.test(secret)) throw new TypeError('secret must look like whsec_ followed by at least 8 letters, digits or _');
    const endpoint = {
      id: stripeId('we'), object: 'webhook_endpoint' as const, api_version: input.apiVersion ?? null, application: null, created: Math.floor(this.clock.now() / 1000),
      description: input.description ?? null, enabled_events: input.enabledEvents?.length ? input.enabledEvents : ['*'], livemode: false as const,
      metadata: input.metadata ?? {}, secret, status: 'enabled' as const, url: input.url, accountId,
    };
    this.#endpoints.set(endpoint.id, endpoint);
    return this.#public(endpoint, true) as WebhookEndpoint & { secret: string };
  }

  endpoints(accountId: string): WebhookEndpoint[] {
    return [...this.#endpoints.values()].filter((e) => e.accountId === accountId).reverse().map((e) => this.#public(e, false));
  }

  endpoint(accountId: string, id: string): WebhookEndpoint | undefined {
    const e = this.#endpoints.get(id);
    return e && e.accountId === accountId ? this.#public(e, false) : undefined;
  }

  removeEndpoint(accountId: string, id: string): boolean {
    const e = this.#endpoints.get(id);
    if (!e || e.accountId !== accountId) return false;
    this.#endpoints.delete(id);
    return true;
  }

  #public(e: WebhookEndpoint & { accountId: string }, withSecret: boolean): WebhookEndpoint {
    const { accountId: _accountId, secret, ...rest } = e;
    return withSecret ? { ...rest, secret } : rest;
  }

  // ---- events ------------------------------------------------------------------------------------

  emit(account: Account, type: string, object: StripeObject, request: RequestInfo | null): StripeObject {
    const now = this.clock.now();
    const targets = [...this.#endpoints.values()].filter((e) => e.accountId === account.id && e.status === 'enabled' && (e.enabled_events.includes('*') || e.enabled_events.includes(type)));
    const event: StripeObject = {
      id: stripeId('evt'), object: 'event', api_version: this.apiVersion, created: Math.floor(now / 1000), data: { object }, livemode: false,
      pending_webhooks: targets.length, request: { id: request?.id ?? null, idempotency_key: request?.idempotencyKey ?? null }, type,
    };
    this.#events.set(event.id, { accountId: account.id, event, seq: (this.#seq += 1) });
    const settings = this.settings(account.id);
    for (const endpoint of targets) {
      this.#queue(account.id, event, endpoint.id, 'original', settings);
      if (settings.duplicate) this.#queue(account.id, event, endpoint.id, 'duplicate', settings);
    }
    return event;
  }

  events(accountId: string): StripeObject[] {
    return [...this.#events.values()].filter((e) => e.accountId === accountId).sort((a, b) => b.seq - a.seq).map((e) => e.event);
  }

  event(accountId: string, id: string): StripeObject | undefined {
    const e = this.#events.get(id);
    return e && e.accountId === accountId ? e.event : undefined;
  }

  #queue(accountId: string, event: StripeObject, endpointId: string, kind: Delivery['kind'], settings: DeliverySettings, extra: Partial<Delivery> = {}): Delivery {
    const delivery: Delivery = {
      id: stripeId('whd'), seq: (this.#seq += 1), accountId, eventId: event.id, eventType: event.type as string, endpointId,
      state: settings.hold ? 'held' : 'pending', dueAt: this.clock.now() + settings.delayMs, kind, attempts: [], ...extra,
    };
    this.#deliveries.push(delivery);
    return delivery;
  }

  // ---- control -----------------------------------------------------------------------------------

  settings(accountId: string): DeliverySettings {
    return { ...(this.#settings.get(accountId) ?? { hold: false, delayMs: 0, duplicate: false }) };
  }

  setSettings(accountId: string, input: Partial<DeliverySettings>): DeliverySettings {
    const next = { ...this.settings(accountId) };
    if (input.hold !== undefined) {
      if (typeof input.hold !== 'boolean') throw new TypeError('hold must be true or false');
      next.hold = input.hold;
    }
    if (input.duplicate !== undefined) {
      if (typeof input.duplicate !== 'boolean') throw new TypeError('duplicate must be true or false');
      next.duplicate = input.duplicate;
    }
    if (input.delayMs !== undefined) {
      if (!Number.isInteger(input.delayMs) || input.delayMs < 0) throw new TypeError('delayMs must be an integer ≥ 0');
      next.delayMs = input.delayMs;
    }
    this.#settings.set(accountId, next);
    return next;
  }

  /** Held deliveries become due now, in the order asked for: fifo, reverse (newest first) or shuffle. */
  release(accountId: string | undefined, order: 'fifo' | 'reverse' | 'shuffle', random: () => number = Math.random): Delivery[] {
    const held = this.#deliveries.filter((d) => d.state === 'held' && (!accountId || d.accountId === accountId));
    const ordered = order === 'reverse' ? [...held].sort((a, b) => b.seq - a.seq) : order === 'shuffle' ? shuffle(held, random) : [...held].sort((a, b) => a.seq - b.seq);
    const now = this.clock.now();
    for (const d of ordered) {
      d.state = 'pending';
      d.dueAt = now;
      d.seq = this.#seq += 1;
    }
    this.pump();
    return ordered;
  }

  /** Sends an event again: `replay` repeats the first attempt's exact body and header (its old timestamp). */
  redeliver(accountId: string, eventId: string, opts: { endpointId?: string; signatureTimestamp?: number; replay?: boolean; delayMs?: number }): Delivery[] {
    const stored = this.#events.get(eventId);
    if (!stored || stored.accountId !== accountId) throw new TypeError(`no such event: ${eventId}`);
    const endpoints = opts.endpointId ? [opts.endpointId] : [...new Set(this.#deliveries.filter((d) => d.eventId === eventId).map((d) => d.endpointId))];
    if (endpoints.length === 0) throw new TypeError(`event ${eventId} was never sent to an endpoint; name one with endpoint`);
    const out: Delivery[] = [];
    for (const endpointId of endpoints) {
      if (!this.#endpoints.has(endpointId)) throw new TypeError(`no such webhook endpoint: ${endpointId}`);
      const settings = { hold: false, delayMs: opts.delayMs ?? 0, duplicate: false };
      if (opts.replay) {
        const first = this.#deliveries.find((d) => d.eventId === eventId && d.endpointId === endpointId && d.attempts.length > 0)?.attempts[0];
        if (!first) throw new TypeError(`event ${eventId} has no earlier attempt to replay`);
        out.push(this.#queue(accountId, stored.event, endpointId, 'replay', settings, { replay: { body: first.body, header: first.header } }));
      } else {
        out.push(this.#queue(accountId, stored.event, endpointId, 'redelivery', settings, opts.signatureTimestamp !== undefined ? { signAt: opts.signatureTimestamp } : {}));
      }
    }
    this.pump();
    return out;
  }

  deliveries(filter: { accountId?: string; eventId?: string; state?: string } = {}): Delivery[] {
    return this.#deliveries
      .filter((d) => (!filter.accountId || d.accountId === filter.accountId) && (!filter.eventId || d.eventId === filter.eventId) && (!filter.state || d.state === filter.state))
      .map((d) => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) }));
  }

  clear(): void {
    this.#endpoints.clear();
    this.#events.clear();
    this.#deliveries = [];
    this.#settings.clear();
  }

  // ---- sending -----------------------------------------------------------------------------------

  /** Sends every due delivery, one at a time in order. Concurrent calls share one run. */
  pump(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        for (;;) {
          const now = this.clock.now();
          const due = this.#deliveries.filter((d) => d.state === 'pending' && d.dueAt <= now).sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq)[0];
          if (!due || this.#closed) break;
          await this.#attempt(due);
        }
      } while (this.#again && !this.#closed);
    })().finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  /** Waits until nothing is due (deliveries due later on the clock stay pending). */
  async flush(): Promise<void> {
    await this.pump();
    while (this.#running) await this.#running;
  }

  async #attempt(d: Delivery): Promise<void> {
    const endpoint = this.#endpoints.get(d.endpointId);
    const stored = this.#events.get(d.eventId);
    if (!endpoint || !stored) {
      d.state = 'gave_up';
      return;
    }
    const timestamp = d.signAt ?? Math.floor(this.clock.now() / 1000);
    const pending = this.#deliveries.filter((x) => x.eventId === d.eventId && x.state === 'pending').length;
    const body = d.replay?.body ?? JSON.stringify({ ...stored.event, pending_webhooks: pending }, null, 2);
    const header = d.replay?.header ?? signPayload(body, endpoint.secret, timestamp);
    const attempt: Attempt = { at: this.clock.now(), signatureTimestamp: timestamp, status: null, error: null, header, body };
    d.attempts.push(attempt);
    try {
      const res = await fetch(endpoint.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=utf-8', 'User-Agent': 'Stripe/1.0 (+https://stripe.com/docs/webhooks)', 'Stripe-Signature': header, 'Cache-Control': 'no-cache', Accept: '*/*; q=0.5, application/xml' },
        body,
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
      attempt.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      attempt.error = err instanceof Error ? err.message : String(err);
    }
    if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) {
      d.state = 'delivered';
      return;
    }
    // Replays and stale redeliveries are one-shot probes; real deliveries are retried with back-off.
    const delay = d.kind === 'replay' || d.signAt !== undefined ? undefined : RETRY_DELAYS_MS[d.attempts.length - 1];
    if (delay === undefined) d.state = 'gave_up';
    else d.dueAt = this.clock.now() + delay;
  }

  close(): void {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
  }
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
