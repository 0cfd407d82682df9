// Webhook subscriptions and deliveries, as Xero runs them for an OAuth2 app:
//  - an app has at most one webhook: a delivery URL and a signing key (the developer portal or the
//    control API sets them; the key is generated, never chosen);
//  - nothing is delivered until the intent-to-receive check passes: one correctly signed and one wrongly
//    signed empty payload, answered 200 and 401 with an empty body within 5 s;
//  - events of the organisations connected to the app are batched per delivery with
//    firstEventSequence/lastEventSequence (per app, increasing) and a fresh entropy;
//  - a failed delivery (not 200 in 5 s) is retried with back-off, and after `disableAfterFailures`
//    consecutive failures the subscription is disabled and its queue dropped (Xero then sends nothing
//    until the developer re-enables it; an integration catches up by polling).
// Timers run on real time (the delays are options; tests make them short). See README.md here.
import type { Clock } from '../contracts';
import type { Identity } from '../identity/index';
import type { ChangeEvent } from './changes';
import { newEntropy, newWebhookKey, signWebhookBody } from './signature';

export type WebhookStatus = 'awaiting_intent' | 'ok' | 'intent_failed' | 'disabled';

export interface WebhookOptions {
  /** How long events wait to share a delivery (default 200 ms). */
  batchDelayMs: number;
  /** Most events in one delivery (default 500). */
  maxBatch: number;
  /** Wait before each retry of a failed delivery; the last repeats (default 5 s, 30 s, 2 min, 10 min). */
  retryDelaysMs: number[];
  /** Consecutive failed deliveries that disable the subscription (default 5). */
  disableAfterFailures: number;
  /** Xero waits 5 s for an answer. */
  timeoutMs: number;
}

export const DEFAULT_WEBHOOK_OPTIONS: WebhookOptions = {
  batchDelayMs: 200, maxBatch: 500, retryDelaysMs: [5_000, 30_000, 120_000, 600_000], disableAfterFailures: 5, timeoutMs: 5_000,
};

export interface WebhookEventBody {
  resourceUrl: string;
  resourceId: string;
  eventDateUtc: string;
  eventType: 'CREATE' | 'UPDATE';
  eventCategory: ChangeEvent['category'];
  tenantId: string;
  tenantType: 'ORGANISATION';
  data?: { Type: string; Status: string };
}

export interface QueuedEvent { sequence: number; body: WebhookEventBody }

export interface DeliveryLogEntry {
  at: number;
  kind: 'intent' | 'events';
  firstEventSequence: number;
  lastEventSequence: number;
  events: number;
  status: number | null;
  ok: boolean;
  error: string | null;
}

/** A live subscription: what the state file keeps, and the delivery log, timer and request in flight. */
interface Subscription extends PersistedSubscription {
  log: DeliveryLogEntry[];
  timer: NodeJS.Timeout | null;
  inFlight: Promise<void> | null;
}

export interface WebhookView {
  appId: string;
  url: string;
  key: string;
  status: WebhookStatus;
  queued: number;
  consecutiveFailures: number;
  lastError: string | null;
  deliveries: DeliveryLogEntry[];
}

export class WebhookError extends Error {}

/** What the state file keeps of a subscription: everything but timers, in-flight requests and the log. */
export interface PersistedSubscription {
  appId: string;
  url: string;
  key: string;
  status: WebhookStatus;
  nextSequence: number;
  queue: QueuedEvent[];
  consecutiveFailures: number;
  lastError: string | null;
}

const STATUSES: readonly WebhookStatus[] = ['awaiting_intent', 'ok', 'intent_failed', 'disabled'];

const LOG_LIMIT = 200;

export class WebhookDispatcher {
  private subs = new Map<string, Subscription>();
  private options: WebhookOptions;

  /** Called whenever a subscription changes outside a request (a delivery answered, a webhook disabled): the state file saves. */
  onChange: () => void = () => undefined;

  constructor(private readonly deps: { identity: Identity; clock: Clock }, options: Partial<WebhookOptions> = {}) {
    this.options = { ...DEFAULT_WEBHOOK_OPTIONS, ...options };
  }

  /** The subscriptions as the state file keeps them (URL, key, status, sequence, events still to deliver). */
  snapshot(): PersistedSubscription[] {
    return [...this.subs.values()].map((s) => ({
      appId: s.appId, url: s.url, key: s.key, status: s.status, nextSequence: s.nextSequence,
      queue: s.queue.map((q) => ({ sequence: q.sequence, body: q.body })), consecutiveFailures: s.consecutiveFailures, lastError: s.lastError,
    }));
  }

  /**
   * Take the subscriptions back from a state file (replacing any): a restarted emulator keeps delivering to
   * the same URL with the same key and carries on the sequence; events queued before the restart are
   * delivered (a verified subscription's) or retried as they would have been.
   */
  restore(saved: unknown): void {
    this.clear();
    if (!Array.isArray(saved)) return;
    for (const raw of saved as Partial<PersistedSubscription>[]) {
      if (!raw || typeof raw.appId !== 'string' || typeof raw.url !== 'string' || typeof raw.key !== 'string') continue;
      const sub: Subscription = {
        appId: raw.appId, url: raw.url, key: raw.key,
        status: STATUSES.includes(raw.status as WebhookStatus) ? (raw.status as WebhookStatus) : 'awaiting_intent',
        nextSequence: Number.isInteger(raw.nextSequence) && raw.nextSequence! > 0 ? raw.nextSequence! : 1,
        queue: Array.isArray(raw.queue) ? raw.queue : [], consecutiveFailures: Number(raw.consecutiveFailures) || 0,
        lastError: raw.lastError ?? null, log: [], timer: null, inFlight: null,
      };
      this.subs.set(sub.appId, sub);
      if (sub.status === 'ok' && sub.queue.length) this.schedule(sub, this.options.batchDelayMs);
    }
  }

  setOptions(update: Partial<WebhookOptions>): WebhookOptions {
    this.options = { ...this.options, ...update };
    return this.options;
  }

  /** Set (or change) an app's delivery URL. A new subscription gets a key; changing the URL asks for intent again. */
  configure(appId: string, input: { url: string; rotateKey?: boolean }): WebhookView {
    const app = this.deps.identity.apps.get(appId);
    if (!app) throw new WebhookError(`No app has id ${appId}`);
    if (app.kind !== 'oauth2') throw new WebhookError('Webhooks are available to OAuth2 web apps only (not private apps or custom connections)');
    let url: URL;
    try {
      url = new URL(input.url);
    } catch {
      throw new WebhookError(`url: not an absolute URL: ${input.url}`);
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new WebhookError('url: must be http(s)');
    const existing = this.subs.get(appId);
    if (existing) this.stopTimer(existing);
    const sub: Subscription = {
      appId, url: url.toString(), key: existing && !input.rotateKey ? existing.key : newWebhookKey(), status: 'awaiting_intent',
      nextSequence: existing?.nextSequence ?? 1, queue: [], consecutiveFailures: 0, lastError: null, log: existing?.log ?? [], timer: null, inFlight: null,
    };
    this.subs.set(appId, sub);
    return this.view(sub);
  }

  remove(appId: string): boolean {
    const sub = this.subs.get(appId);
    if (sub) this.stopTimer(sub);
    return this.subs.delete(appId);
  }

  get(appId: string): WebhookView | undefined {
    const sub = this.subs.get(appId);
    return sub ? this.view(sub) : undefined;
  }

  list(): WebhookView[] {
    return [...this.subs.values()].map((s) => this.view(s));
  }

  /**
   * The intent-to-receive check: a correctly signed empty payload must be answered 200, a wrongly signed one
   * 401, both with an empty body, within the timeout. Passing starts deliveries; failing leaves the webhook off.
   */
  async verifyIntent(appId: string): Promise<WebhookView> {
    const sub = this.subs.get(appId);
    if (!sub) throw new WebhookError(`App ${appId} has no webhook`);
    const payload = JSON.stringify({ events: [], firstEventSequence: 0, lastEventSequence: 0, entropy: newEntropy() });
    const good = await this.post(sub, payload, signWebhookBody(payload, sub.key));
    const bad = await this.post(sub, payload, signWebhookBody(payload, `${sub.key}x`));
    const problem =
      good.error ?? bad.error
      ?? (good.status !== 200 ? `a correctly signed payload was answered ${good.status}, not 200` : null)
      ?? (bad.status !== 401 ? `a wrongly signed payload was answered ${bad.status}, not 401` : null)
      ?? (good.bodyLength > 0 || bad.bodyLength > 0 ? 'the answer had a body; it must be empty' : null);
    sub.status = problem ? 'intent_failed' : 'ok';
    sub.lastError = problem;
    sub.consecutiveFailures = 0;
    this.logEntry(sub, { kind: 'intent', firstEventSequence: 0, lastEventSequence: 0, events: 0, status: good.status, ok: !problem, error: problem });
    this.onChange();
    return this.view(sub);
  }

  /** Queue the changes for every verified subscription whose app is connected to the change's organisation. */
  publish(changes: readonly ChangeEvent[], apiBase: string): void {
    if (changes.length === 0) return;
    const at = new Date(this.deps.clock.now()).toISOString();
    for (const sub of this.subs.values()) {
      if (sub.status !== 'ok') continue;
      const tenants = this.connectedTenants(sub.appId);
      const mine = changes.filter((c) => tenants.has(c.tenantId.toLowerCase()));
      for (const change of mine) {
        const collection = change.category === 'INVOICE' ? 'Invoices' : change.category === 'CREDITNOTE' ? 'CreditNotes' : 'Contacts';
        sub.queue.push({
          sequence: sub.nextSequence++,
          body: {
            resourceUrl: `${apiBase}/api.xro/2.0/${collection}/${change.resourceId}`,
            resourceId: change.resourceId, eventDateUtc: at, eventType: change.eventType, eventCategory: change.category,
            tenantId: change.tenantId, tenantType: 'ORGANISATION', ...(change.data ? { data: change.data } : {}),
          },
        });
      }
      if (mine.length && !sub.timer && !sub.inFlight) this.schedule(sub, this.options.batchDelayMs);
    }
  }

  /** Deliver everything queued now (tests; control API), waiting for deliveries in flight. */
  async flush(): Promise<void> {
    for (const sub of this.subs.values()) {
      if (sub.inFlight) await sub.inFlight;
      while (sub.status === 'ok' && sub.queue.length && sub.consecutiveFailures === 0) {
        this.stopTimer(sub);
        await this.deliver(sub);
      }
    }
  }

  clear(): void {
    for (const sub of this.subs.values()) this.stopTimer(sub);
    this.subs.clear();
  }

  close(): void {
    for (const sub of this.subs.values()) this.stopTimer(sub);
  }

  private connectedTenants(appId: string): Set<string> {
    return new Set(Object.values(this.deps.identity.state().connections).filter((c) => c.clientId === appId).map((c) => c.tenantId.toLowerCase()));
  }

  private schedule(sub: Subscription, delayMs: number): void {
    this.stopTimer(sub);
    sub.timer = setTimeout(() => {
      sub.timer = null;
      void this.deliver(sub);
    }, delayMs);
    sub.timer.unref();
  }

  private stopTimer(sub: Subscription): void {
    if (sub.timer) clearTimeout(sub.timer);
    sub.timer = null;
  }

  private deliver(sub: Subscription): Promise<void> {
    if (sub.inFlight) return sub.inFlight;
    const run = async (): Promise<void> => {
      if (sub.status !== 'ok' || sub.queue.length === 0) return;
      const batch = sub.queue.slice(0, this.options.maxBatch);
      const first = batch[0]!.sequence;
      const last = batch[batch.length - 1]!.sequence;
      const payload = JSON.stringify({ events: batch.map((e) => e.body), firstEventSequence: first, lastEventSequence: last, entropy: newEntropy() });
      const answer = await this.post(sub, payload, signWebhookBody(payload, sub.key));
      const ok = answer.error === null && answer.status === 200;
      const error = ok ? null : answer.error ?? `answered ${answer.status}`;
      this.logEntry(sub, { kind: 'events', firstEventSequence: first, lastEventSequence: last, events: batch.length, status: answer.status, ok, error });
      if (this.subs.get(sub.appId) !== sub) return; // reconfigured meanwhile
      if (ok) {
        sub.queue.splice(0, batch.length);
        sub.consecutiveFailures = 0;
        sub.lastError = null;
        if (sub.queue.length) this.schedule(sub, 0);
        return;
      }
      sub.consecutiveFailures += 1;
      sub.lastError = error;
      if (sub.consecutiveFailures >= this.options.disableAfterFailures) {
        sub.status = 'disabled';
        sub.queue = [];
        return;
      }
      const delays = this.options.retryDelaysMs;
      this.schedule(sub, delays[Math.min(sub.consecutiveFailures - 1, delays.length - 1)] ?? 0);
    };
    sub.inFlight = run().finally(() => {
      sub.inFlight = null;
      this.onChange();
    });
    return sub.inFlight;
  }

  private async post(sub: Subscription, payload: string, signature: string): Promise<{ status: number | null; bodyLength: number; error: string | null }> {
    try {
      const res = await fetch(sub.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-xero-signature': signature, 'user-agent': 'Xero-Webhooks (emulator)' },
        body: payload,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      const text = await res.text();
      return { status: res.status, bodyLength: text.length, error: null };
    } catch (err) {
      const name = (err as Error).name;
      return { status: null, bodyLength: 0, error: name === 'TimeoutError' ? `no answer within ${this.options.timeoutMs} ms` : `could not deliver: ${(err as Error).message}` };
    }
  }

  private logEntry(sub: Subscription, entry: Omit<DeliveryLogEntry, 'at'>): void {
    sub.log.push({ at: this.deps.clock.now(), ...entry });
    if (sub.log.length > LOG_LIMIT) sub.log.splice(0, sub.log.length - LOG_LIMIT);
  }

  private view(sub: Subscription): WebhookView {
    return {
      appId: sub.appId, url: sub.url, key: sub.key, status: sub.status, queued: sub.queue.length,
      consecutiveFailures: sub.consecutiveFailures, lastError: sub.lastError, deliveries: [...sub.log],
    };
  }
}
