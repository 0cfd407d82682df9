// Loads plugins: validates their config against the environment, builds each one's context from the
// Ledgerbridge runtime (outbox, sync state, secrets, payouts) and the host's services (records, pages,
// auth), wires subscribers into the event bus, collects outbox handlers, migrations and sealed columns,
// and mounts routes. Mounting is host-agnostic: it needs only an Express app and the host's services,
// which is how another Express booking system mounts the plugins the same way this host does.
import express, { type IRouter, type Router } from 'express';
import { apiErrorHandler } from '../api/errors';
import { join } from 'node:path';
import type { Db } from '../db/knex';
import type { MigrationOwner } from '../db/migrate';
import type { EventBus } from '../domain/eventBus';
import type { Logger } from '../logger';
import type { SecretBox } from '../secrets';
import { createSealedColumnRegistry, type SealedColumnRegistry, type SealedColumnSpec } from '../secrets/registry';
import { HOST_SEALED_COLUMNS } from '../secrets/hostColumns';
import type { OutboxHandler, OutboxWriter } from '../outbox/types';
import { createPluginOutbox } from '../outbox/pluginOutbox';
import type { Clock, HostServices, PaymentMethodCatalogue, PayoutStore, PluginContext, PluginDefinition, Role, SyncStateStore } from './contract';
import { HOST_EVENT_TYPES, type HostEvent } from '../domain/events';
import { createTaxCodeCatalogue, type TaxCodeCatalogue } from './taxCodes';
import type { TaxCodeVocabulary } from './contract';

/** What a host lends a plugin to authenticate and authorise its routes. */
export type HostAuthAdapter = HostServices['auth'];

/** The Ledgerbridge runtime every plugin shares, whichever host runs it. */
export interface PluginRuntimeServices {
  db: Db;
  logger: Logger;
  outbox: OutboxWriter;
  publicUrl: string;
  secrets: SecretBox;
  syncStore(pluginId: string): SyncStateStore;
  payouts: PayoutStore;
  paymentMethods: PaymentMethodCatalogue;
  clock: Clock;
}

export interface LoadedPlugin {
  definition: PluginDefinition<unknown>;
  context: PluginContext<unknown>;
  mountPath: string;
}

export interface PluginRuntime {
  plugins: LoadedPlugin[];
  /** Outbox handlers of every plugin, by full type. */
  handlers: Map<string, OutboxHandler>;
  /** Every plugin's entries, tagged with the plugin they belong to so the layout can group them. */
  nav: PluginNavEntry[];
  migrationOwners: MigrationOwner[];
  /** Every plugin's sealed columns (what `secrets:rotate-org` re-seals). */
  sealedColumns: SealedColumnRegistry;
  /** The tax codes the installed plugins can post, per organisation (the sale API and form check lines against them). */
  taxCodes: TaxCodeCatalogue;
}

export interface PluginNavEntry {
  label: string;
  href: string;
  roles: Role[];
  /** The plugin's title: the layout shows one top-level entry per group and its entries as a sub-nav. */
  group?: string;
  /** The plugin's mount path: any page under it belongs to the group (e.g. a record page with no entry). */
  section?: string;
}

const PLUGIN_ID = /^[a-z][a-z0-9-]{1,30}$/;

/** Validate every plugin's settings against the environment; returns configs or every problem found. */
export function validatePluginConfigs(
  definitions: readonly PluginDefinition<unknown>[],
  env: Readonly<Record<string, string | undefined>>,
): { configs: Map<string, unknown>; problems: string[] } {
  const configs = new Map<string, unknown>();
  const problems: string[] = [];
  const seen = new Set<string>();
  const cleanedEnv = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  for (const def of definitions) {
    if (!PLUGIN_ID.test(def.id)) problems.push(`plugin "${def.id}": id must match ${PLUGIN_ID}`);
    if (seen.has(def.id)) problems.push(`plugin "${def.id}": registered twice`);
    seen.add(def.id);
    const parsed = def.configSchema.safeParse(cleanedEnv);
    if (parsed.success) configs.set(def.id, parsed.data);
    else for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.') || def.id}: ${issue.message}`);
  }
  return { configs, problems };
}

export function buildPluginContext<C>(def: PluginDefinition<C>, config: C, runtime: PluginRuntimeServices, host: HostServices, mountPath: string): PluginContext<C> {
  const { renderFile, ...pages } = host.pages;
  return {
    pluginId: def.id,
    config,
    db: runtime.db,
    logger: runtime.logger.child({ plugin: def.id }),
    clock: runtime.clock,
    outbox: createPluginOutbox(def.id, runtime.outbox),
    sync: runtime.syncStore(def.id),
    secrets: runtime.secrets,
    publicUrl: runtime.publicUrl,
    mountPath,
    requireRole: (...roles: Role[]) => host.auth.requireRole(...roles),
    records: host.records,
    organisations: host.organisations,
    paymentMethods: runtime.paymentMethods,
    payouts: runtime.payouts,
    payments: host.payments,
    ...(host.receipts ? { receipts: host.receipts } : {}),
    pages: {
      ...pages,
      render(res, view, locals, status) {
        if (!def.viewsDir) throw new Error(`plugin ${def.id} renders "${view}" but declares no viewsDir`);
        if (view.includes('..')) throw new Error(`plugin ${def.id}: view "${view}" must stay inside its viewsDir`);
        renderFile(res, join(def.viewsDir, `${view}.ejs`), locals, status);
      },
    },
  };
}

/** Outbox handlers of one plugin, checked to be namespaced by its id. */
export function pluginHandlers(def: PluginDefinition<unknown>, ctx: PluginContext<unknown>): Map<string, OutboxHandler> {
  const handlers = new Map<string, OutboxHandler>();
  for (const [type, handler] of Object.entries(def.handlers?.(ctx) ?? {})) {
    if (!type.startsWith(`${def.id}.`)) throw new Error(`plugin ${def.id}: outbox type "${type}" must start with "${def.id}."`);
    handlers.set(type, handler);
  }
  return handlers;
}

/** Deliver host events to the plugin's subscribers, inside the emitting transaction. */
export function subscribePlugin(def: PluginDefinition<unknown>, ctx: PluginContext<unknown>, bus: EventBus): void {
  for (const type of HOST_EVENT_TYPES) {
    const subscriber = def.subscribers?.[type] as ((e: HostEvent, trx: unknown, c: PluginContext<unknown>) => Promise<void>) | undefined;
    if (subscriber) bus.on(type, (event, trx) => subscriber(event, trx, ctx));
  }
}

/**
 * A plugin's webhooks with the raw body. Every answer the host gives there is JSON, as a provider expects:
 * a body over the limit (413), a path the plugin does not serve (404), an error the plugin let through (500).
 */
function webhookMount(def: PluginDefinition<unknown>, ctx: PluginContext<unknown>, webhooks: Router): Router {
  const mount = express.Router();
  mount.use(express.raw({ type: () => true, limit: '2mb' }));
  mount.use(webhooks);
  mount.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: `No such ${def.title} webhook route` } });
  });
  mount.use(apiErrorHandler(ctx.logger));
  return mount;
}

/**
 * Mount a plugin's routes at /plugins/<id> (behind the host's authentication) and its webhooks at
 * /webhooks/<id> (raw body, no session: they must be mounted before any body parser or session).
 */
export function mountPlugin(app: IRouter, def: PluginDefinition<unknown>, ctx: PluginContext<unknown>, auth: HostAuthAdapter): void {
  if (def.webhooks) {
    app.use(`/webhooks/${def.id}`, webhookMount(def, ctx, def.webhooks(ctx)));
  }
  if (def.routes) {
    app.use(ctx.mountPath, auth.authenticate, def.routes(ctx));
  }
}

/** Mount only the webhook routers (the host mounts these before its body parsers and sessions). */
export function mountPluginWebhooks(app: IRouter, runtime: PluginRuntime): void {
  for (const p of runtime.plugins) {
    if (p.definition.webhooks) {
      app.use(`/webhooks/${p.definition.id}`, webhookMount(p.definition, p.context, p.definition.webhooks(p.context)));
    }
  }
}

/** Mount only the authenticated page/JSON routes of every plugin. */
export function mountPluginRoutes(app: IRouter, runtime: PluginRuntime, auth: HostAuthAdapter): void {
  for (const p of runtime.plugins) {
    if (p.definition.routes) app.use(p.mountPath, auth.authenticate, p.definition.routes(p.context));
  }
}

/** Build the runtime for this host: contexts, subscribers, handlers, nav, migrations and sealed columns. */
export function loadPlugins(
  definitions: readonly PluginDefinition<unknown>[],
  configs: ReadonlyMap<string, unknown>,
  runtimeServices: PluginRuntimeServices,
  host: HostServices,
  bus: EventBus,
): PluginRuntime {
  const vocabularies: TaxCodeVocabulary[] = [];
  const runtime: PluginRuntime = {
    plugins: [], handlers: new Map(), nav: [], migrationOwners: [], sealedColumns: sealedColumnsOf(definitions, HOST_SEALED_COLUMNS),
    taxCodes: createTaxCodeCatalogue(vocabularies),
  };
  for (const def of definitions) {
    const mountPath = `/plugins/${def.id}`;
    const ctx = buildPluginContext(def, configs.get(def.id), runtimeServices, host, mountPath);
    subscribePlugin(def, ctx, bus);
    for (const [type, handler] of pluginHandlers(def, ctx)) runtime.handlers.set(type, handler);
    runtime.nav.push(...(def.nav ?? []).map((entry) => ({ ...entry, group: def.title, section: mountPath })));
    if (def.migrations?.length) runtime.migrationOwners.push({ id: def.id, migrations: def.migrations });
    if (def.taxCodes) vocabularies.push(def.taxCodes(ctx));
    runtime.plugins.push({ definition: def, context: ctx, mountPath });
  }
  return runtime;
}

/**
 * The host's sealed columns and the ones the plugins declare; each plugin may only declare its own tables
 * (`<id>_…`), so it can never take over (or drop) the re-sealing of a host table.
 */
export function sealedColumnsOf(definitions: readonly PluginDefinition<unknown>[], hostColumns: readonly SealedColumnSpec[]): SealedColumnRegistry {
  const registry = createSealedColumnRegistry();
  for (const spec of hostColumns) registry.register(spec);
  for (const def of definitions) {
    for (const spec of def.sealedColumns ?? []) {
      if (!spec.table.startsWith(`${def.id}_`)) throw new Error(`plugin ${def.id}: sealed columns of "${spec.table}" are not in one of its own tables (${def.id}_…)`);
      registry.register(spec);
    }
  }
  return registry;
}

/** Migration owners of a list of plugin definitions (for `npm run migrate` before contexts exist). */
export function pluginMigrationOwners(definitions: readonly PluginDefinition<unknown>[]): MigrationOwner[] {
  return definitions.filter((d) => d.migrations?.length).map((d) => ({ id: d.id, migrations: d.migrations ?? [] }));
}
