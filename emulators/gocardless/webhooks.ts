// Webhooks as GoCardless sends them: POST <endpoint url> with `{"events":[…],"meta":{"webhook_id":"WB…"}}`,
// `Content-Type: application/json`, `User-Agent: gocardless-webhook-service/1.1` and
// `Webhook-Signature: <hex HMAC-SHA256 of the raw body with the endpoint's secret>`. A non-2xx answer, a
// network error or no answer within the timeout is retried on a schedule (real time; GoCardless retries
// with growing gaps for days).
//
// On demand (tests): every webhook sent `duplicates` times, each delayed `delayMs`, or held back and later
// released in reverse or shuffled order; an old webhook replayed byte for byte; old events sent again.
import { createHmac } from 'node:crypto';
import type { GcEvent } from './books';
import { IdMaker } from './ids';
import { eventJson } from './json';

export interface WebhookEndpoint {
  id: string;
  creditorId: string;
  url: string;
  secret: string;
}

export interface DeliveryAttempt {
  at: number;
  status: number | null;
  error?: string;
}

export interface Webhook {
  id: string;
  endpointId: string;
  url: string;
  body: string;
  signature: string;
  eventIds: string[];
  attempts: DeliveryAttempt[];
  state: 'held' | 'sending' | 'delivered' | 'failed';
  /** Copies still to send (duplicates on demand). */
  copies: number;
  /** Rounds sent so far (the first send, then each retry). */
  rounds: number;
}

export interface WebhookBehaviour {
  /** Send every webhook this many times in all (default 1). */
  duplicates: number;
  /** Wait this many real ms before each send (default 0). */
  delayMs: number;
  /** Keep new webhooks until release() (default false). */
  hold: boolean;
  /** Real ms between retries; a webhook fails for good after the last (default GoCardless-like, shortened). */
  retryDelaysMs: number[];
  /** How long to wait for an answer (default 10 s). */
  timeoutMs: number;
}

export const DEFAULT_BEHAVIOUR: WebhookBehaviour = {
  duplicates: 1, delayMs: 0, hold: false, retryDelaysMs: [1_000, 5_000, 30_000, 120_000, 600_000], timeoutMs: 10_000,
};

export const signBody = (body: string, secret: string): string => createHmac('sha256', secret).update(body).digest('hex');

export class WebhookSender {
  endpoints = new Map<string, WebhookEndpoint>();
  webhooks: Webhook[] = [];
  behaviour: WebhookBehaviour = { ...DEFAULT_BEHAVIOUR };
  #ids = new IdMaker();
  #timers = new Set<NodeJS.Timeout>();
  #inFlight = new Set<Promise<void>>();

  constructor(private readonly now: () => number) {}

  addEndpoint(input: { creditorId: string; url: string; secret: string }): WebhookEndpoint {
    const endpoint = { id: this.#ids.next('SE'), ...input };
    this.endpoints.set(endpoint.id, endpoint);
    return endpoint;
  }

  setBehaviour(update: Partial<WebhookBehaviour>): WebhookBehaviour {
    this.behaviour = { ...this.behaviour, ...update };
    return this.behaviour;
  }

  /** One webhook per endpoint of each creditor that has events in this batch (at most 250 events each). */
  publish(events: GcEvent[]): Webhook[] {
    const made: Webhook[] = [];
    const byCreditor = new Map<string, GcEvent[]>();
    for (const e of events) byCreditor.set(e.creditorId, [...(byCreditor.get(e.creditorId) ?? []), e]);
    for (const [creditorId, list] of byCreditor) {
      for (const endpoint of this.endpoints.values()) {
        if (endpoint.creditorId !== creditorId) continue;
        for (let i = 0; i < list.length; i += 250) made.push(this.#make(endpoint, list.slice(i, i + 250)));
      }
    }
    for (const w of made) {
      if (this.behaviour.hold) w.state = 'held';
      else this.#schedule(w, this.behaviour.delayMs);
    }
    return made;
  }

  #make(endpoint: WebhookEndpoint, events: GcEvent[]): Webhook {
    const id = this.#ids.next('WB');
    const body = JSON.stringify({ events: events.map(eventJson), meta: { webhook_id: id } });
    const webhook: Webhook = {
      id, endpointId: endpoint.id, url: endpoint.url, body, signature: signBody(body, endpoint.secret),
      eventIds: events.map((e) => e.id), attempts: [], state: 'sending', copies: this.behaviour.duplicates, rounds: 0,
    };
    this.webhooks.push(webhook);
    return webhook;
  }

  /** Send held webhooks now: in order, reversed, or shuffled (out-of-order delivery). */
  release(order: 'fifo' | 'reverse' | 'shuffle' = 'fifo', random: () => number = Math.random): number {
    const held = this.webhooks.filter((w) => w.state === 'held');
    if (order === 'reverse') held.reverse();
    if (order === 'shuffle') {
      for (let i = held.length - 1; i > 0; i -= 1) {
        const j = Math.floor(random() * (i + 1));
        [held[i], held[j]] = [held[j]!, held[i]!];
      }
    }
    // Sent one after another in the chosen order, so "reverse" really arrives reversed.
    let chain = Promise.resolve();
    for (const w of held) {
      w.state = 'sending';
      chain = chain.then(() => this.#sendCopies(w));
    }
    this.#track(chain);
    return held.length;
  }

  /** Send an earlier webhook again, same bytes and signature (what an attacker replaying it would do). */
  async replay(id: string): Promise<DeliveryAttempt> {
    const w = this.webhooks.find((x) => x.id === id);
    if (!w) throw new Error(`no webhook ${id}`);
    return this.#post(w);
  }

  /** A new webhook carrying old events (the dashboard's "retry"): new id, fresh signature. */
  resend(events: GcEvent[], endpointId?: string): Webhook[] {
    const made: Webhook[] = [];
    for (const endpoint of this.endpoints.values()) {
      if (endpointId && endpoint.id !== endpointId) continue;
      const mine = events.filter((e) => e.creditorId === endpoint.creditorId);
      if (mine.length) made.push(this.#make(endpoint, mine));
    }
    for (const w of made) this.#schedule(w, 0);
    return made;
  }

  /** Resolves once nothing is being sent or waiting for a timer (tests: "every webhook has landed"). */
  async idle(): Promise<void> {
    while (this.#inFlight.size || this.#timers.size) {
      await Promise.race([...this.#inFlight, new Promise((r) => setTimeout(r, 20))]);
    }
  }

  close(): void {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
  }

  clear(): void {
    this.close();
    this.webhooks = [];
    this.endpoints.clear();
    this.behaviour = { ...DEFAULT_BEHAVIOUR };
  }

  #schedule(w: Webhook, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.#track(this.#sendCopies(w));
    }, delayMs);
    this.#timers.add(timer);
  }

  #track(p: Promise<void>): void {
    const tracked = p.catch(() => undefined).finally(() => this.#inFlight.delete(tracked));
    this.#inFlight.add(tracked);
  }

  async #sendCopies(w: Webhook): Promise<void> {
    const copies = Math.max(1, w.copies);
    let delivered = false;
    for (let i = 0; i < copies; i += 1) {
      const attempt = await this.#post(w);
      if (attempt.status !== null && attempt.status >= 200 && attempt.status < 300) delivered = true;
    }
    w.copies = 1; // retries send one copy
    if (delivered) {
      w.state = 'delivered';
      return;
    }
    w.rounds += 1;
    const delay = this.behaviour.retryDelaysMs[w.rounds - 1];
    if (delay === undefined) {
      w.state = 'failed';
      return;
    }
    this.#schedule(w, delay);
  }

  async #post(w: Webhook): Promise<DeliveryAttempt> {
    const attempt: DeliveryAttempt = { at: this.now(), status: null };
    try {
      const res = await fetch(w.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'gocardless-webhook-service/1.1', 'Webhook-Signature': w.signature, Origin: 'https://api.gocardless.com' },
        body: w.body,
        signal: AbortSignal.timeout(this.behaviour.timeoutMs),
      });
      attempt.status = res.status;
      await res.arrayBuffer().catch(() => undefined);
    } catch (err) {
      attempt.error = (err as Error).message;
    }
    w.attempts.push(attempt);
    return attempt;
  }
}
