import type { AppConfig } from './config';
import type { Db } from './db/knex';
import type { Logger } from './logger';
import type { EventBus } from './domain/eventBus';
import type { OutboxWriter } from './outbox/types';
import type { PluginRuntime } from './plugins/registry';
import type { SecretBox } from './secrets';
import type { PaymentMethodCatalogue } from './plugins/contract';

/** What the host's routers, services and workers are built from (created once in main.ts / tests). */
export interface HostDeps {
  config: AppConfig;
  db: Db;
  logger: Logger;
  events: EventBus;
  outbox: OutboxWriter;
  plugins: PluginRuntime;
  /** Seals and opens secrets at rest (per-organisation data keys under the master key). */
  secrets: SecretBox;
  /** Every payment method of this install: the host's own and the installed plugins'. */
  paymentMethods: PaymentMethodCatalogue;
}
