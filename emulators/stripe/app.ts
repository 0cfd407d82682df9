// createStripeEmulator(opts): the Stripe emulator as an Express app, no listen() (main.ts listens;
// tests give it to supertest or listen on port 0). See README.md.
import express from 'express';
import { EmulatorClock } from '../xero/clock';
import { CallLog } from '../xero/control/callLog';
import type { Account } from './accounts';
import { apiRouter, formBody } from './api';
import { StripeBook } from './book';
import { controlRouter, type ControlDeps } from './control';
import { StripeFaults } from './faults';
import { IdempotencyStore } from './idempotency';
import { IMPLEMENTED_STRIPE_VERSION } from './version';
import { WebhookDispatcher } from './webhooks';

/** One /v1 answer as sent: what the conformance check (test/conformance.ts) validates against Stripe's spec. */
export interface StripeAnswer {
  method: string;
  /** The path called, without the query (`/v1/charges/ch_…`). */
  path: string;
  /** The request's parameters (query for GET/DELETE, form body otherwise): `expand` decides what may be included. */
  params: Record<string, unknown>;
  status: number;
  /** The Stripe-Version header of the answer. */
  stripeVersion: string | undefined;
  body: unknown;
}

export interface StripeEmulatorOptions {
  /** Emulated ms per real ms (default 1; 0 = frozen, time moves only with advance()). */
  clockSpeed?: number;
  /** Emulated epoch ms at start (default: now). Webhook signatures carry this clock's time. */
  clockStart?: number;
  controlApi?: boolean;
  /** Seed a GB and a US account with fixed keys (default true; the demo uses them). */
  seed?: boolean;
  /** Real ms between checks for due webhook retries, payouts and availability (default 250; 0 = only on control calls). */
  pollMs?: number;
  /** Real ms a webhook endpoint gets to answer (default 10 000). */
  webhookTimeoutMs?: number;
  random?: () => number;
  /** Called with every /v1 answer (JSON) as it is sent; tests check each against Stripe's spec. */
  onAnswer?: (answer: StripeAnswer) => void;
  /** Called with every event as it is created (what webhooks deliver and GET /v1/events lists). */
  onEvent?: (event: Record<string, unknown>) => void;
}

/** What the control API drives (ControlDeps), plus the app itself and its shutdown. */
export interface StripeEmulator extends ControlDeps {
  app: express.Express;
  close(): Promise<void>;
}

export const SEEDED_KEYS = { GB: 'sk_test_emulator_gb_0000000000000000', US: 'sk_test_emulator_us_0000000000000000' } as const;

export function createStripeEmulator(opts: StripeEmulatorOptions = {}): StripeEmulator {
  const clock = new EmulatorClock({ speed: opts.clockSpeed ?? 1, start: opts.clockStart ?? Date.now() });
  const pollMs = opts.pollMs ?? 250;

  const webhooks = new WebhookDispatcher(clock, IMPLEMENTED_STRIPE_VERSION, { pollMs: 0, timeoutMs: opts.webhookTimeoutMs ?? 10_000 });
  const book = new StripeBook(clock, (account: Account, type, object, request) => {
    const event = webhooks.emit(account, type, object, request);
    opts.onEvent?.(event);
  });
  const faults = new StripeFaults(opts.random);
  const callLog = new CallLog(clock, 5_000);
  const idempotency = new IdempotencyStore(clock);

  const seed = (): void => {
    if (opts.seed === false) return;
    book.createAccount({ country: 'GB', name: 'Emulated UK account', secretKey: SEEDED_KEYS.GB });
    book.createAccount({ country: 'US', name: 'Emulated US account', secretKey: SEEDED_KEYS.US });
  };
  seed();

  const tick = async (): Promise<void> => {
    book.tick();
    await webhooks.flush();
  };
  const timer = pollMs > 0 ? setInterval(() => void tick().catch(() => undefined), pollMs) : null;
  timer?.unref();

  const app = express();
  app.disable('x-powered-by');
  // Stripe's bracket notation in query strings too (expand[]=data.source, created[gte]=…).
  app.set('query parser', 'extended');
  const onAnswer = opts.onAnswer;
  if (onAnswer) app.use('/v1', answerHook(onAnswer));
  // The address the demo prints opens a page a person can read (was "Cannot GET /").
  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Stripe emulator</title></head>
<body><main><h1>Stripe emulator</h1><p>A local stand-in for Stripe's API, for the demo and tests. Nothing here is a real account.</p>
<ul><li>API: <code>/v1</code> under this address (Ledgerbridge's <code>STRIPE_API_BASE</code>)</li><li>Control API (state, faults, clock): <code>/_emulator</code></li></ul>
<p>See <code>emulators/stripe/README.md</code> for where it differs from Stripe.</p></main></body></html>`);
  });
  app.use('/v1', callLog.middleware(), formBody, faults.middleware(), apiRouter(book, webhooks, idempotency, () => {
    setImmediate(() => void webhooks.pump());
  }));
  const reset = (): void => {
    book.reset();
    webhooks.clear();
    faults.clear();
    callLog.clear();
    idempotency.clear();
    seed();
  };
  if (opts.controlApi !== false) app.use('/_emulator', controlRouter({ book, webhooks, clock, faults, callLog, tick, reset }));

  return {
    app, book, webhooks, clock, faults, callLog, tick, reset,
    async close() {
      if (timer) clearInterval(timer);
      faults.close();
      webhooks.close();
    },
  };
}

/** Reports each JSON answer of /v1 (errors, faults and idempotent replays included) to `onAnswer`. */
function answerHook(onAnswer: (answer: StripeAnswer) => void): express.RequestHandler {
  return (req, res, next) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const header = res.getHeader('Stripe-Version');
      const params = (req.method === 'GET' || req.method === 'DELETE' ? req.query : req.body ?? {}) as Record<string, unknown>;
      onAnswer({ method: req.method, path: req.originalUrl.split('?')[0]!, params, status: res.statusCode, stripeVersion: header === undefined ? undefined : String(header), body });
      return json(body);
    };
    next();
  };
}
