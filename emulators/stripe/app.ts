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
import { WebhookDispatcher } from './webhooks';

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

  const webhooks = new WebhookDispatcher(clock, '2023-08-16', { pollMs: 0, timeoutMs: opts.webhookTimeoutMs ?? 10_000 });
  const book = new StripeBook(clock, (account: Account, type, object, request) => {
    webhooks.emit(account, type, object, request);
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
