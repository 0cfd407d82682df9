// The Ledgerbridge runtime: everything the plugins share whichever host runs them — the event bus (with its
// audit in domain_events), the outbox writer and its wake-ups, secrets at rest, sync state, provider
// payouts, the install's payment-method catalogue, and the loaded plugins (contexts, subscribers, handlers,
// nav). Built once per process from the host's database and its HostServices. Our own host builds it in
// server/boot.ts; a booking system that embeds Ledgerbridge builds it through server/embed. Migrations,
// configuration and the HTTP surface are the callers' business; this is the part they must not duplicate.
import type { Db } from '../db/knex';
import { nowMs } from '../db/knex';
import type { Logger } from '../logger';
import { EventBus } from '../domain/eventBus';
import { createOutboxNotifier, type OutboxNotifier } from '../outbox/notifier';
import { createOutboxWriter } from '../outbox/writer';
import { startOutboxWorkers, type OutboxWorkers } from '../outbox/worker';
import type { OutboxWriter } from '../outbox/types';
import { createSyncStateStore } from '../sync/store';
import { createSecretBox, type SecretBox } from '../secrets';
import { createPayoutStore } from '../payouts/store';
import { createPaymentMethodCatalogue, payoutProviders } from '../plugins/paymentMethods';
import { loadPlugins, type PluginRuntime } from '../plugins/registry';
import type { TaxCodeCatalogue } from '../plugins/taxCodes';
import type { Clock, HostServices, PaymentMethodCatalogue, PluginDefinition } from '../plugins/contract';

/** What the runtime lends the host while the host builds its services (its provider payments emit and check methods). */
export interface RuntimeBridge {
  events: EventBus;
  /** Every method of the install; usable once the runtime is built (the host's own methods are part of it). */
  paymentMethods: PaymentMethodCatalogue;
  /** The plugins' tax codes and line rates; usable once the runtime is built (receipts state VAT by rate). */
  taxCodes: TaxCodeCatalogue;
}

export interface LedgerbridgeRuntimeOptions {
  db: Db;
  logger: Logger;
  plugins: readonly PluginDefinition<unknown>[];
  /** Each plugin's validated settings, by plugin id (registry.validatePluginConfigs). */
  pluginConfigs: ReadonlyMap<string, unknown>;
  /** Absolute base URL of the install, without a trailing slash. */
  publicUrl: string;
  /** The 32-byte master key that wraps the organisations' data keys. */
  masterKey: Buffer;
  /** Attempts an outbox item gets when its handler declares none. */
  defaultMaxAttempts: number;
  /** The host's side of the contract. */
  host(bridge: RuntimeBridge): HostServices;
  clock?: Clock;
}

export interface WorkerSettings {
  concurrency: number;
  leaseMs: number;
  pollMs: number;
  /** Lease owner ids are `<prefix>:<n>` (default: host name, pid and a random part). */
  workerIdPrefix?: string;
}

export interface LedgerbridgeRuntime {
  events: EventBus;
  notifier: OutboxNotifier;
  outbox: OutboxWriter;
  secrets: SecretBox;
  paymentMethods: PaymentMethodCatalogue;
  plugins: PluginRuntime;
  host: HostServices;
  /** The outbox workers, running every plugin's handlers. */
  startWorkers(settings: WorkerSettings): OutboxWorkers;
  /**
   * Each plugin's background schedules (nightly sweeps): only in processes that run background work.
   * Returns one stop for all of them, and the ids of the plugins that scheduled something.
   */
  startSchedules(): Promise<{ stop(): Promise<void>; scheduled: string[] }>;
  /** Stop listening for wake-ups (the database stays open: it belongs to the caller). */
  close(): Promise<void>;
}

export function createLedgerbridgeRuntime(opts: LedgerbridgeRuntimeOptions): LedgerbridgeRuntime {
  const { db, logger, plugins } = opts;
  const notifier = createOutboxNotifier({ db, logger });
  // Handlers may declare their own attempt budget; they exist only once the plugins are loaded, hence lazy.
  const loaded: { plugins?: PluginRuntime } = {};
  const outbox = createOutboxWriter({
    notifier,
    defaultMaxAttempts: opts.defaultMaxAttempts,
    maxAttemptsFor: (type) => loaded.plugins?.handlers.get(type)?.maxAttempts,
  });
  const events = new EventBus();
  // The catalogue is the host's methods plus the plugins', so it exists only after the host's services do;
  // the host reaches it through this view, which it uses only when a request or a payment comes.
  const bound: { catalogue?: PaymentMethodCatalogue } = {};
  const built = (): PaymentMethodCatalogue => {
    if (!bound.catalogue) throw new Error('the payment-method catalogue is used before the Ledgerbridge runtime is built');
    return bound.catalogue;
  };
  const loadedTaxCodes = (): TaxCodeCatalogue => {
    if (!loaded.plugins) throw new Error('the tax-code catalogue is used before the Ledgerbridge runtime is built');
    return loaded.plugins.taxCodes;
  };
  const host = opts.host({
    events,
    paymentMethods: { list: () => built().list(), get: (id) => built().get(id), ofOrganisation: (q, orgId) => built().ofOrganisation(q, orgId) },
    taxCodes: { known: (q, orgId) => loadedTaxCodes().known(q, orgId), lineRates: (q, orgId, lines) => loadedTaxCodes().lineRates(q, orgId, lines) },
  });
  const catalogue = createPaymentMethodCatalogue(host.paymentMethods, plugins, host.organisationPaymentMethods?.bind(host));
  bound.catalogue = catalogue;
  const providers = payoutProviders(catalogue);
  const secrets = createSecretBox({ masterKey: opts.masterKey });
  const pluginRuntime = loadPlugins(plugins, opts.pluginConfigs, {
    db, logger, outbox, secrets, publicUrl: opts.publicUrl, paymentMethods: catalogue,
    syncStore: createSyncStateStore,
    payouts: createPayoutStore({ db, events, providers: () => providers, existingSaleIds: (q, orgId, ids) => host.records.existingSaleIds(q, orgId, ids) }),
    clock: opts.clock ?? { now: nowMs },
  }, host, events);
  loaded.plugins = pluginRuntime;

  return {
    events, notifier, outbox, secrets, paymentMethods: catalogue, plugins: pluginRuntime, host,
    startWorkers: (settings) => startOutboxWorkers({ db, handlers: pluginRuntime.handlers, logger, notifier, ...settings }),
    async startSchedules() {
      const stops: (() => Promise<void>)[] = [];
      const scheduled: string[] = [];
      try {
        for (const p of pluginRuntime.plugins) {
          const stop = await p.definition.start?.(p.context);
          if (stop) {
            stops.push(stop);
            scheduled.push(p.definition.id);
          }
        }
      } catch (err) {
        for (const stop of stops.reverse()) await stop().catch(() => undefined);
        throw err;
      }
      return {
        scheduled,
        async stop() {
          for (const stop of [...stops].reverse()) await stop().catch((err: unknown) => logger.error({ err }, 'stopping a plugin schedule failed'));
        },
      };
    },
    close: () => notifier.close(),
  };
}
