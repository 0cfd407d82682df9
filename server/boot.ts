// One boot sequence for the server, the CLI, full-app tests and the demo:
// config (host + plugins, every problem at once) → db → migrations → events/outbox → plugins.
import { loadConfig, type AppConfig } from './config';
import { ConfigError } from './errors';
import { createDb } from './db/knex';
import { migrateLatest, waitingForLock } from './db/migrate';
import { createLogger, type Logger } from './logger';
import type { OutboxNotifier } from './outbox/notifier';
import type { OutboxWorkers } from './outbox/worker';
import { pluginMigrationOwners, validatePluginConfigs } from './plugins/registry';
import type { PluginDefinition } from './plugins/contract';
import type { HostDeps } from './hostDeps';
import { loadMasterKey } from './secrets';
import { createHostServices } from './plugins/hostServices';
import { createLedgerbridgeRuntime, type LedgerbridgeRuntime } from './runtime';

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
  /** The Ledgerbridge runtime the plugins run on (workers, schedules). */
  runtime: LedgerbridgeRuntime;
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

export async function bootHost(opts: BootOptions = {}): Promise<BootedHost> {
  const plugins = opts.plugins ?? [];
  const { config, pluginConfigs } = loadAllConfig(opts.env ?? process.env, plugins);
  const logger = opts.logger ?? createLogger({ level: config.logLevel });
  const db = createDb(config.database);
  try {
    if (opts.migrate !== false) {
      const applied = await waitingForLock(() => migrateLatest(db, pluginMigrationOwners(plugins)));
      if (applied.length) logger.info({ applied }, 'migrations applied');
    }
    // Our host is the runtime's first embedder: the same factory an embedding booking system uses.
    const runtime = createLedgerbridgeRuntime({
      db, logger, plugins, pluginConfigs, publicUrl: config.publicUrl, masterKey: loadMasterKey(config),
      defaultMaxAttempts: config.worker.maxAttempts,
      host: ({ events, paymentMethods, taxCodes }) => createHostServices({ db, events, paymentMethods, taxCodes }),
    });
    const deps: HostDeps = {
      config, db, logger, events: runtime.events, outbox: runtime.outbox, plugins: runtime.plugins, secrets: runtime.secrets,
      paymentMethods: runtime.paymentMethods,
    };
    return {
      deps,
      runtime,
      notifier: runtime.notifier,
      async close() {
        await runtime.close();
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
  const { worker } = host.deps.config;
  return host.runtime.startWorkers({ concurrency: worker.concurrency, leaseMs: worker.leaseMs, pollMs: worker.pollMs, ...opts });
}
