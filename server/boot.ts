// One boot sequence for the server, the CLI, full-app tests and the demo:
// config (host + plugins, every problem at once) → db → migrations → events/outbox → plugins.
import { loadConfig, type AppConfig } from './config';
import { ConfigError } from './errors';
import { createDb, nowMs, type Db } from './db/knex';
import { migrateLatest } from './db/migrate';
import { createLogger, type Logger } from './logger';
import { EventBus } from './domain/eventBus';
import { createOutboxNotifier, type OutboxNotifier } from './outbox/notifier';
import { createOutboxWriter } from './outbox/writer';
import { startOutboxWorkers, type OutboxWorkers } from './outbox/worker';
import { createSyncStateStore } from './sync/store';
import { loadPlugins, pluginMigrationOwners, validatePluginConfigs, type PluginRuntime } from './plugins/registry';
import type { PluginDefinition } from './plugins/contract';
import type { HostDeps } from './hostDeps';
import { createSecretBox, loadMasterKey } from './secrets';
import { createPayoutStore } from './payouts/store';
import { createPaymentMethodCatalogue, HOST_PAYMENT_METHODS, payoutProviders } from './plugins/paymentMethods';
import { createHostServices } from './plugins/hostServices';
import { hostRecords } from './domain/hostRecords';

export interface BootOptions {
  env?: Record<string, string | undefined>;
  plugins?: readonly PluginDefinition<unknown>[];
  /** Use this logger instead of creating one from LOG_LEVEL. */
  logger?: Logger;
  /** Skip migrations (they already ran). */
  migrate?: boolean;
}

export interface BootedHost {
  deps: HostDeps;
  notifier: OutboxNotifier;
  close(): Promise<void>;
}

/** Validate host and plugin settings together: a bad install learns every problem in one go. */
export function loadAllConfig(env: Record<string, string | undefined>, plugins: readonly PluginDefinition<unknown>[]): { config: AppConfig; pluginConfigs: Map<string, unknown> } {
  const problems: string[] = [];
  let config: AppConfig | undefined;
  try {
    config = loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) problems.push(...err.problems);
    else throw err;
  }
  const { configs, problems: pluginProblems } = validatePluginConfigs(plugins, env);
  problems.push(...pluginProblems);
  if (problems.length > 0 || !config) throw new ConfigError(problems);
  return { config, pluginConfigs: configs };
}

/** Knex's migration lock makes a second process fail rather than wait; wait for it instead. */
async function migrateWithRetry(db: Db, plugins: readonly PluginDefinition<unknown>[], logger: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const applied = await migrateLatest(db, pluginMigrationOwners(plugins));
      if (applied.length) logger.info({ applied }, 'migrations applied');
      return;
    } catch (err) {
      if (attempt < 30 && /already locked/i.test(String((err as Error).message))) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw err;
    }
  }
}

export async function bootHost(opts: BootOptions = {}): Promise<BootedHost> {
  const plugins = opts.plugins ?? [];
  const { config, pluginConfigs } = loadAllConfig(opts.env ?? process.env, plugins);
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const db = createDb(config.database);
  try {
    if (opts.migrate !== false) await migrateWithRetry(db, plugins, logger);
    const notifier = createOutboxNotifier({ db, logger });
    // Handlers may declare their own attempt budget; the runtime exists only after plugins load, hence lazy.
    const loaded: { runtime?: PluginRuntime } = {};
    const outbox = createOutboxWriter({
      notifier,
      defaultMaxAttempts: config.worker.maxAttempts,
      maxAttemptsFor: (type) => loaded.runtime?.handlers.get(type)?.maxAttempts,
    });
    const events = new EventBus();
    const secrets = createSecretBox({ masterKey: loadMasterKey(config) });
    const paymentMethods = createPaymentMethodCatalogue(HOST_PAYMENT_METHODS, plugins);
    const providers = payoutProviders(paymentMethods);
    const runtime = loadPlugins(plugins, pluginConfigs, {
      db, logger, outbox, secrets, publicUrl: config.publicUrl, paymentMethods,
      syncStore: createSyncStateStore,
      payouts: createPayoutStore({ db, events, providers: () => providers, existingSaleIds: hostRecords.existingSaleIds }),
      clock: { now: nowMs },
    }, createHostServices({ db, events, paymentMethods }), events);
    loaded.runtime = runtime;
    const deps: HostDeps = { config, db, logger, events, outbox, plugins: runtime, secrets, paymentMethods };
    return {
      deps,
      notifier,
      async close() {
        await notifier.close();
        await db.destroy();
      },
    };
  } catch (err) {
    await db.destroy();
    throw err;
  }
}

/** The outbox workers a booted host runs, as its settings say (WORKER_CONCURRENCY, OUTBOX_LEASE_MS, …). */
export function startHostWorkers(host: BootedHost, opts: { workerIdPrefix?: string } = {}): OutboxWorkers {
  const { db, config, logger, plugins } = host.deps;
  return startOutboxWorkers({
    db, handlers: plugins.handlers, concurrency: config.worker.concurrency, leaseMs: config.worker.leaseMs,
    pollMs: config.worker.pollMs, logger, notifier: host.notifier, ...opts,
  });
}
