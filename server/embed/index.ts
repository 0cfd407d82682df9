// `ledgerbridge/embed`: Ledgerbridge inside any Express booking system. The booking system keeps its own
// tables, login and pages, and lends the plugins HostServices (ledgerbridge/contract) over them; Ledgerbridge
// brings its runtime (outbox and workers, sync state, secrets at rest, payouts, the plugin registry) into the
// same database, in tables of its own. The booking system emits its events inside its own transactions, so an
// invoice can never be lost for a booking that committed, nor sent for one that rolled back.
//
//   const ledgerbridge = createLedgerbridge({ db, plugins: [xeroPlugin], host, publicUrl, masterKey });
//   await ledgerbridge.migrate();
//   app.use(ledgerbridge.webhooks);            // before any body parser or session
//   app.use(session, csrf, ...);               // the host's own
//   app.use(ledgerbridge.routes);              // after them: /plugins/<id>, guarded by host.auth
//   ... in a booking's transaction: await ledgerbridge.emit(trx, { type: 'sale.completed', ... });
//   const stop = await ledgerbridge.startWorkers();   // in the process(es) that run background work
//
// Our own host (server/boot.ts) runs on the same runtime factory (server/runtime), so it is the first embedder.
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Knex } from 'knex';
import { Cron } from 'croner';
import { createDb, type Db } from '../db/knex';
import { ConfigError } from '../errors';
import { databaseFromUrl } from '../config';
import { RUNTIME_MIGRATION_OWNER, runMigrations, waitingForLock } from '../db/migrate';
import { createLogger, type Logger } from '../logger';
import { purgeDone } from '../outbox/admin';
import { createLedgerbridgeRuntime } from '../runtime';
import { mountPluginRoutes, mountPluginWebhooks, pluginMigrationOwners, type PluginNavEntry } from '../plugins/registry';
import type { HostServices, PaymentMethodCatalogue, PluginDefinition } from '../plugins/contract';
import { checkHostEvent, type EmittedHostEvent } from './hostEvents';
import { markPluginRecording, recordingForPlugin } from './pluginRecording';
import { checkOptions, hostServicesProblems, type MasterKeyOption, type WorkerOptions } from './options';
import '../http/request';

export type { MasterKeyOption, WorkerOptions } from './options';
export type { EmittedHostEvent } from './hostEvents';
export type { PluginNavEntry as NavEntry } from '../plugins/registry';
/** The errors a host's services throw (an unknown organisation is a NotFoundError, bad input a ValidationError). */
export { AppError, ConfigError, ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors';

/**
 * A plugin definition of any settings type (each plugin's settings are checked against its own schema,
 * so the list itself cannot name one type).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: a list of differently-configured plugins
export type AnyPluginDefinition = PluginDefinition<any>;

/** What Ledgerbridge lends the host while the host builds its services (see `host` below). */
export interface LedgerbridgeBridge {
  /** Emit a host event inside the host's transaction (for the host's provider payments, `payments.record`). */
  emit: Ledgerbridge['emit'];
  /** The install's payment methods: the host's own and the plugins' (stripe, …). */
  paymentMethods: PaymentMethodCatalogue;
}

export interface LedgerbridgeOptions {
  /**
   * The host's knex, on PostgreSQL ("pg") or SQLite ("sqlite3"). Ledgerbridge adds its own tables (see
   * `migrate`) and never closes it. Several processes on one SQLite file: open it with `openDatabase`.
   */
  db: Knex;
  plugins: readonly AnyPluginDefinition[];
  /** The host's side of the contract, or a function building it with what Ledgerbridge lends (emit, payment methods). */
  host: HostServices | ((ledgerbridge: LedgerbridgeBridge) => HostServices);
  /** The plugins' settings by variable name (XERO_API_URL, STRIPE_API_BASE, …). Default: process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** The install's absolute base URL: OAuth redirects and webhook addresses are built from it. */
  publicUrl: string;
  /** Wraps every organisation's data key; the secrets the plugins store are unreadable without it. */
  masterKey: MasterKeyOption;
  /** A pino logger. Default: pino at LOG_LEVEL (info), with credentials redacted. */
  logger?: Logger;
  worker?: WorkerOptions;
}

export interface Ledgerbridge {
  /**
   * Create or update Ledgerbridge's tables and the plugins' (recorded in `ledgerbridge_migrations`, apart
   * from the host's own). Waits while another process migrates. Returns the migrations applied.
   */
  migrate(): Promise<string[]>;
  /** `/webhooks/<plugin id>`: raw bodies, no session. Mount before any body parser. */
  webhooks: Router;
  /** `/plugins/<plugin id>`: every route behind `host.auth.authenticate`. Mount after the host's session, CSRF and auth. */
  routes: Router;
  /** The plugins' navigation entries; show each to its `roles`, grouped by `group`. */
  nav: readonly PluginNavEntry[];
  /** The install's payment methods: the host's own and the plugins'. */
  paymentMethods: PaymentMethodCatalogue;
  /**
   * Deliver a host event to the plugins inside the host's transaction (they enqueue their work in it; the
   * event is kept in domain_events). Call it in the transaction that made the change. Throws a
   * ValidationError, rolling the change back, for an event whose snapshots are incomplete or inconsistent.
   */
  emit(trx: Knex.Transaction, event: EmittedHostEvent): Promise<void>;
  /**
   * Start the outbox workers, the plugins' schedules and the hourly purge of delivered items, in a process
   * that runs background work (one or several; never needed in a web-only process). Resolves once the
   * workers listen for work; returns their stop, which finishes in-flight work.
   */
  startWorkers(opts?: { workerId?: string }): Promise<() => Promise<void>>;
  /** Stop anything started and release Ledgerbridge's own connection. The host's knex stays open. */
  close(): Promise<void>;
}

export function createLedgerbridge(options: LedgerbridgeOptions): Ledgerbridge {
  const plugins = options.plugins as readonly PluginDefinition<unknown>[];
  const checked = checkOptions({
    db: options.db, plugins, env: options.env ?? process.env, publicUrl: options.publicUrl, masterKey: options.masterKey, worker: options.worker ?? {},
    ...(typeof options.host === 'function' ? {} : { host: options.host }),
  });
  const db: Db = options.db;
  const logger = options.logger ?? createLogger();
  const runtime = createLedgerbridgeRuntime({
    db, logger, plugins, pluginConfigs: checked.pluginConfigs, publicUrl: checked.publicUrl, masterKey: checked.masterKey,
    defaultMaxAttempts: checked.worker.maxAttempts,
    host: ({ paymentMethods }) => {
      if (typeof options.host !== 'function') return markPluginRecording(options.host);
      const host = options.host({ emit, paymentMethods });
      const problems = hostServicesProblems(host);
      if (problems.length) throw new ConfigError(problems);
      return markPluginRecording(host);
    },
  });

  async function emit(trx: Knex.Transaction, event: EmittedHostEvent): Promise<void> {
    const subject = checkHostEvent(event, (id) => runtime.paymentMethods.get(id), { byPlugin: recordingForPlugin() });
    await runtime.events.emit(trx, event, subject);
  }

  const webhooks = express.Router();
  const webhookPaths = runtime.plugins.plugins.filter((p) => p.definition.webhooks).map((p) => `/webhooks/${p.definition.id}`);
  // Plugins verify signatures over the exact bytes: a body some earlier parser consumed cannot be verified.
  // Say so (the host's wiring), rather than refuse the sender's signature.
  if (webhookPaths.length) {
    webhooks.use(webhookPaths, (req: Request, res: Response, next: NextFunction) => {
      if (req.body === undefined || Buffer.isBuffer(req.body)) return next();
      logger.error({ path: req.originalUrl }, 'a webhook\'s body was parsed before Ledgerbridge saw it: mount ledgerbridge.webhooks before any body parser');
      res.status(500).json({ error: { code: 'WEBHOOK_BODY_PARSED', message: 'The host parsed this webhook\'s body before Ledgerbridge could verify it; mount the webhooks before any body parser.' } });
    });
  }
  mountPluginWebhooks(webhooks, runtime.plugins);
  const routes = express.Router();
  mountPluginRoutes(routes, runtime.plugins, runtime.host.auth);

  const running = new Set<() => Promise<void>>();

  return {
    async migrate() {
      const owners = [RUNTIME_MIGRATION_OWNER, ...pluginMigrationOwners(plugins)];
      const applied = await waitingForLock(() => runMigrations(db, owners, { tableName: 'ledgerbridge_migrations' }));
      if (applied.length) logger.info({ applied }, 'Ledgerbridge migrations applied');
      return applied;
    },
    webhooks,
    routes,
    nav: runtime.plugins.nav,
    paymentMethods: runtime.paymentMethods,
    emit,
    async startWorkers(opts = {}) {
      const { worker } = checked;
      const workers = runtime.startWorkers({
        concurrency: worker.concurrency, leaseMs: worker.leaseMs, pollMs: worker.pollMs, ...(opts.workerId ? { workerIdPrefix: opts.workerId } : {}),
      });
      let schedules: Awaited<ReturnType<typeof runtime.startSchedules>>;
      try {
        schedules = await runtime.startSchedules();
        await workers.ready;
      } catch (err) {
        await workers.stop();
        throw err;
      }
      // Delivered items are kept a while for inspection, then purged; minute 17 keeps installs off the hour.
      const purge = new Cron('17 * * * *', { protect: true }, async () => {
        try {
          const purged = await purgeDone(db, { olderThanMs: worker.retentionDays * 86_400_000 });
          if (purged) logger.info({ purged }, 'Ledgerbridge purged delivered outbox items');
        } catch (err) {
          logger.error({ err }, 'Ledgerbridge outbox purge failed; it runs again next hour');
        }
      });
      logger.info({ concurrency: worker.concurrency, types: [...runtime.plugins.handlers.keys()], schedules: schedules.scheduled }, 'Ledgerbridge workers started');
      let stopped: Promise<void> | undefined;
      const stop = () => {
        stopped ??= (async () => {
          running.delete(stop);
          purge.stop();
          await schedules.stop();
          await workers.stop();
        })();
        return stopped;
      };
      running.add(stop);
      return stop;
    },
    async close() {
      for (const stop of [...running]) await stop();
      await runtime.close();
    },
  };
}

/**
 * A knex for a database URL, set up as Ledgerbridge runs its own: `sqlite://<file>` (WAL, a busy timeout,
 * and transactions that take the write lock up front, so a web process and a worker process share one file
 * without "database is locked" failures) or `postgres://…`. Optional: any knex on pg or sqlite3 will do.
 */
export function openDatabase(url: string, opts: { poolMax?: number } = {}): Knex {
  if (!/^(postgres(ql)?|sqlite):\/\//.test(url)) throw new Error(`openDatabase: the URL must start with postgres://, postgresql:// or sqlite://, got "${url}"`);
  return createDb(databaseFromUrl(url, process.cwd(), opts.poolMax ?? 10));
}
