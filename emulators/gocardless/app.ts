// createGoCardlessEmulator(): the emulator as an Express app without listen() (supertest's target, or
// `app.listen(0)` when the product needs a real URL and webhooks need somewhere to go).
import express from 'express';
import { EmulatorClock } from '../xero/clock';
import { API_VERSION, apiRouter } from './api/router';
import { GoCardlessBooks } from './books';
import { controlRouter } from './control/router';
import { CallLog, Faults } from './control/traffic';
import { WebhookSender } from './webhooks';

export { API_VERSION };

export interface GoCardlessEmulatorOptions {
  /** Share a clock with other emulators; otherwise one is made from clockStart/clockSpeed. */
  clock?: EmulatorClock;
  /** Emulated ms per real ms (default 1; 0 = frozen, time moves only with advance). */
  clockSpeed?: number;
  clockStart?: number;
  /** Seed one creditor ("Demo Gym Ltd", GB, VAT on fees) with this access token (default `gc_demo_access_token`); false = none. */
  seedAccessToken?: string | false;
  /** UTC hour of the automatic daily payout run (default 9); null = payouts only when asked. */
  payoutHourUtc?: number | null;
  /** How long a payout stays pending before it is paid (default 1 h emulated). */
  payoutPaidAfterMs?: number;
  /** Mount /_emulator (default true). */
  controlApi?: boolean;
  /** Apply elapsed time (and send the webhooks it causes) every this many real ms, without waiting for a request (default off). */
  tickEveryMs?: number;
  random?: () => number;
}

export interface GoCardlessEmulator {
  app: express.Express;
  books: GoCardlessBooks;
  clock: EmulatorClock;
  webhooks: WebhookSender;
  faults: Faults;
  callLog: CallLog;
  /** The seeded creditor's access token (undefined when seeding was switched off). */
  accessToken: string | undefined;
  /** Apply elapsed time and send pending events now. */
  tick(): void;
  reset(): void;
  close(): Promise<void>;
}

export const DEMO_ACCESS_TOKEN = 'gc_demo_access_token';

export function createGoCardlessEmulator(opts: GoCardlessEmulatorOptions = {}): GoCardlessEmulator {
  const clock = opts.clock ?? new EmulatorClock({ speed: opts.clockSpeed ?? 1, ...(opts.clockStart !== undefined ? { start: opts.clockStart } : {}) });
  const books = new GoCardlessBooks({
    clock,
    ...(opts.payoutHourUtc !== undefined ? { payoutHourUtc: opts.payoutHourUtc } : {}),
    ...(opts.payoutPaidAfterMs !== undefined ? { payoutPaidAfterMs: opts.payoutPaidAfterMs } : {}),
  });
  const webhooks = new WebhookSender(() => clock.now());
  const faults = new Faults(opts.random);
  const callLog = new CallLog(clock);
  const seedToken = opts.seedAccessToken === undefined ? DEMO_ACCESS_TOKEN : opts.seedAccessToken;
  const seed = (): void => {
    if (seedToken !== false) books.createCreditor({ name: 'Demo Gym Ltd', countryCode: 'GB' }, seedToken);
  };
  seed();

  const afterChange = (): void => {
    const events = books.drainEvents();
    if (events.length) webhooks.publish(events);
  };
  const tick = (): void => {
    books.tick();
    afterChange();
  };
  const reset = (): void => {
    books.reset();
    webhooks.clear();
    faults.clear();
    callLog.records = [];
    seed();
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  if (opts.controlApi !== false) app.use('/_emulator', controlRouter({ books, clock, webhooks, faults, callLog, afterChange, reset }));
  // The address the demo prints opens a page a person can read (was "Cannot GET /").
  app.get('/', (_req, res) => {
    res.type('html').send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>GoCardless emulator</title></head>
<body><main><h1>GoCardless emulator</h1><p>A local stand-in for GoCardless's API, for the demo and tests. Nothing here is a real account.</p>
<ul><li>API: <code>/</code> at this address (Ledgerbridge's <code>GOCARDLESS_API_BASE</code>)</li><li>Control API (state, faults, clock): <code>/_emulator</code></li></ul>
<p>See <code>emulators/gocardless/README.md</code> for where it differs from GoCardless.</p></main></body></html>`);
  });
  app.use(callLog.middleware());
  app.use(faults.middleware());
  app.use(apiRouter({ books, afterChange }));

  const ticker = opts.tickEveryMs ? setInterval(tick, opts.tickEveryMs) : undefined;
  ticker?.unref();

  return {
    app, books, clock, webhooks, faults, callLog, tick, reset,
    accessToken: seedToken === false ? undefined : seedToken,
    async close() {
      if (ticker) clearInterval(ticker);
      webhooks.close();
      faults.clear();
    },
  };
}
