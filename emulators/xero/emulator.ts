// Wires the emulator together. Kept apart from app.ts so the wiring does not import the accounting
// module itself: app.ts passes the real createAccountingModule, and nothing else needs to.
import express, { type NextFunction, type Request, type Response } from 'express';
import type { AccountingModule, AccountingModuleDeps } from './contracts';
import { EmulatorClock } from './clock';
import { CallLog } from './control/callLog';
import { FaultInjector } from './control/faults';
import { controlRouter } from './control/router';
import { StateFile } from './control/stateFile';
import { authenticateApiCall } from './identity/apiAuth';
import { createIdentity, type Identity } from './identity/index';
import { sendXeroProblem } from './identity/problems';
import { identityRouter } from './identity/routes';
import { readBody } from './limits/body';
import { isAttachmentUpload, mergeLimits, XERO_LIMITS, type LimitsConfig } from './limits/config';
import { IdempotencyStore } from './limits/idempotency';
import { InjectedLatency, latencyControlRouter, mergeLatency, NO_LATENCY, type LatencyConfig } from './limits/latency';
import { enforceRateLimits } from './limits/middleware';
import { RateLimiter } from './limits/rateLimiter';
import { NonceStore } from './oauth1/nonces';
import { consentRouter } from './portal/consent';
import { portalRouter } from './portal/router';
import { createWebhooks, webhookControlRouter, webhookPortalRouter, type EmulatorWebhooks, type WebhookOptions } from './webhooks/index';
import { deepLinkRouter } from './portal/deepLinks';

export interface XeroEmulatorOptions {
  /** Use this clock (shared with other emulators, say); otherwise one is made from clockStart/clockSpeed. */
  clock?: EmulatorClock;
  /** Emulated ms per real ms (default 1; 0 freezes time between advances). */
  clockSpeed?: number;
  /** Emulated epoch ms at start (default: now). */
  clockStart?: number;
  /** Override Xero's limits (per-minute, concurrent, per-day, per-app-minute, idempotency window…). */
  limits?: Partial<LimitsConfig>;
  /** Mount /_emulator (default true). */
  controlApi?: boolean;
  /** Save state here on change and load it at start. */
  stateFile?: string;
  /** Issuer / base URL to advertise; by default taken from each request's Host. */
  publicUrl?: string;
  /** Randomness for fault rates (tests make it deterministic). */
  random?: () => number;
  /** How many calls the call log keeps (default 5000). */
  callLogLimit?: number;
  /** Xero's answer time: each API call delayed uniformly in [minMs, maxMs] real ms, seeded (default off). */
  latency?: Partial<LatencyConfig>;
  /** Webhook delivery timing (batching, retries, when a failing subscription is disabled): webhooks/README.md. */
  webhooks?: Partial<WebhookOptions>;
}

export interface XeroEmulator {
  app: express.Express;
  accounting: AccountingModule;
  identity: Identity;
  clock: EmulatorClock;
  faults: FaultInjector;
  callLog: CallLog;
  limits: { get(): LimitsConfig; set(update: Partial<LimitsConfig>): LimitsConfig };
  latency: InjectedLatency;
  /** Apps' webhook subscriptions and deliveries (webhooks/). */
  webhooks: EmulatorWebhooks;
  /** Forget everything (books back to the two seeded organisations, no apps), as POST /_emulator/reset. */
  reset(): void;
  /** Write the state file now (if any). */
  save(): void;
  /** Stop timers and flush the state file. Does not close any server (there is none). */
  close(): Promise<void>;
}

export type CreateAccounting = (deps: AccountingModuleDeps) => AccountingModule;

export function buildXeroEmulator(createAccounting: CreateAccounting, opts: XeroEmulatorOptions = {}): XeroEmulator {
  const clock = opts.clock ?? new EmulatorClock({ speed: opts.clockSpeed ?? 1, ...(opts.clockStart !== undefined ? { start: opts.clockStart } : {}) });
  const initialLimits = mergeLimits({ ...XERO_LIMITS }, opts.limits ?? {});
  let limits = initialLimits;
  const getLimits = (): LimitsConfig => limits;

  const accounting = createAccounting({ clock });
  const identity = createIdentity({ clock, tenants: accounting });
  const webhooks = createWebhooks({ accounting, identity, clock }, opts.webhooks ?? {});
  const limiter = new RateLimiter(clock, getLimits);
  const idempotency = new IdempotencyStore(clock, () => limits.idempotencyWindowMs);
  // Nonces must outlive every timestamp still inside the accepted skew on either side.
  const nonces = new NonceStore(2 * initialLimits.oauth1MaxSkewMs + 60_000);
  const faults = new FaultInjector(opts.random);
  const callLog = new CallLog(clock, opts.callLogLimit ?? 5000);
  const latency = new InjectedLatency(mergeLatency(NO_LATENCY, opts.latency ?? {}));
  const stateFile = opts.stateFile
    ? new StateFile(opts.stateFile, () => ({ identity: identity.snapshot(), accounting: accounting.snapshot(), webhooks: webhooks.dispatcher.snapshot() }))
    : undefined;
  // Deliveries change subscriptions after their request has finished (sequence, queue, disabled): save then too.
  if (stateFile) webhooks.dispatcher.onChange = () => stateFile.scheduleSave();

  const saved = stateFile?.load();
  if (saved) {
    accounting.restore(saved.accounting);
    identity.restore(saved.identity);
    webhooks.dispatcher.restore(saved.webhooks);
    webhooks.rebaseline();
  }

  const resetAll = (): void => {
    accounting.reset();
    identity.reset();
    webhooks.reset();
    limiter.reset();
    idempotency.clear();
    nonces.clear();
    faults.clear();
    callLog.clear();
    limits = initialLimits;
  };

  const issuerOf = (req: Request): string => opts.publicUrl?.replace(/\/$/, '') ?? `${req.protocol}://${req.get('host') ?? 'localhost'}`;

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  if (stateFile) {
    // Anything but a read may change state; a debounced save keeps this cheap.
    app.use((req, res, next) => {
      if (req.method !== 'GET' && req.method !== 'HEAD') res.on('finish', () => stateFile.scheduleSave());
      next();
    });
  }

  // Any write (the Accounting API by any app, the control API as the accountant) may fire webhooks.
  app.use(webhooks.observe(issuerOf));

  if (opts.controlApi !== false) {
    app.use('/_emulator', latencyControlRouter(latency));
    app.use('/_emulator/webhooks', webhookControlRouter(webhooks.dispatcher));
    app.use(
      '/_emulator',
      controlRouter({
        accounting,
        identity,
        clock,
        faults,
        callLog,
        limits: { get: getLimits, set: (next) => (limits = next) },
        resetAll,
      }),
    );
  }

  app.use(callLog.middleware());
  // Attachment uploads may be larger than Xero's 3.5 MB write limit: up to its 10 MB file limit.
  app.use(readBody((req) => (isAttachmentUpload(req.method, req.path) ? limits.maxAttachmentBytes : limits.maxBodyBytes)));
  app.use(faults.middleware());
  app.use(identityRouter({ identity, tenants: accounting, issuerOf }));
  app.use(consentRouter({ identity, tenants: accounting, clock }));
  app.use(portalRouter({ identity, tenants: accounting }));
  app.use(webhookPortalRouter(webhooks.dispatcher));
  app.use(deepLinkRouter({ records: accounting }));
  app.use(
    '/api.xro/2.0',
    authenticateApiCall({ identity, clock, nonces, oauth1MaxSkewMs: () => limits.oauth1MaxSkewMs, ...(opts.publicUrl ? { publicUrl: opts.publicUrl } : {}) }),
    enforceRateLimits(limiter),
    latency.middleware(),
    idempotency.middleware(),
    (req: Request, res: Response, next: NextFunction) => {
      if (req.bodyParseError) {
        res.status(400).json({ ErrorNumber: 14, Type: 'PostDataInvalidException', Message: req.bodyParseError });
        return;
      }
      next();
    },
    accounting.router,
  );

  app.use((req: Request, res: Response) => {
    if (req.path.startsWith('/api.xro/')) return sendXeroProblem(res, 404, 'The resource you are looking for cannot be found');
    res.status(404).json({ error: 'not_found', path: req.path });
  });

  app.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    console.error(`xero emulator: ${req.method} ${req.originalUrl} failed`, err);
    sendXeroProblem(res, 500, `Emulator error: ${(err as Error)?.message ?? String(err)}`);
  });

  return {
    app,
    accounting,
    identity,
    clock,
    faults,
    callLog,
    webhooks,
    limits: {
      get: getLimits,
      set: (update) => (limits = mergeLimits(limits, update)),
    },
    latency,
    reset: resetAll,
    save: () => stateFile?.saveNow(),
    close: async () => {
      faults.close();
      latency.close();
      webhooks.close();
      stateFile?.close();
    },
  };
}
