// Loads plugins: validates their config against the environment, builds each one's context, wires
// subscribers into the event bus, collects outbox handlers and migrations, and mounts routes.
// Mounting is host-agnostic: `mountPlugin` needs only an Express app and an auth adapter, which is
// how another Express host can mount a plugin the same way this host does.
import express, { type IRouter, type RequestHandler } from 'express';
import type { Db } from '../db/knex';
import type { MigrationOwner } from '../db/migrate';
import type { EventBus } from '../domain/eventBus';
import type { Logger } from '../logger';
import type { SecretBox } from '../secrets';
import type { OutboxHandler, OutboxWriter } from '../outbox/types';
import type { PayoutRecorder, PluginContext, PluginDefinition, ProviderPayments, Role, SyncStateStore } from './contract';
import { HOST_EVENT_TYPES, type HostEvent } from '../domain/events';

/** What a host lends a plugin to authenticate and authorise its routes. */
export interface HostAuthAdapter {
  /** Runs before every plugin route: establishes req.principal or refuses (401 / redirect to login). */
  authenticate: RequestHandler;
  requireRole(...roles: Role[]): RequestHandler;
}

export interface PluginHostServices {
  db: Db;
  logger: Logger;
  outbox: OutboxWriter;
  publicUrl: string;
  secrets: SecretBox;
  syncStore(pluginId: string): SyncStateStore;
  auth: HostAuthAdapter;
  /** The host's payout store and provider payments (server/payouts), lent to every plugin. */
  payouts: PayoutRecorder;
  payments: ProviderPayments;
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
  definitions: PluginDefinition<unknown>[],
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

export function buildPluginContext<C>(def: PluginDefinition<C>, config: C, services: PluginHostServices, mountPath: string): PluginContext<C> {
  return {
    pluginId: def.id,
    config,
    db: services.db,
    logger: services.logger.child({ plugin: def.id }),
    outbox: services.outbox,
    sync: services.syncStore(def.id),
    secrets: services.secrets,
    publicUrl: services.publicUrl,
    mountPath,
    requireRole: (...roles: Role[]) => services.auth.requireRole(...roles),
    payouts: services.payouts,
    payments: services.payments,
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
 * Mount a plugin's routes at /plugins/<id> (behind the host's authentication) and its webhooks at
 * /webhooks/<id> (raw body, no session: they must be mounted before any body parser or session).
 */
export function mountPlugin(app: IRouter, def: PluginDefinition<unknown>, ctx: PluginContext<unknown>, auth: HostAuthAdapter): void {
  if (def.webhooks) {
    app.use(`/webhooks/${def.id}`, express.raw({ type: () => true, limit: '2mb' }), def.webhooks(ctx));
  }
  if (def.routes) {
    app.use(ctx.mountPath, auth.authenticate, def.routes(ctx));
  }
}

/** Mount only the webhook routers (the host mounts these before its body parsers and sessions). */
export function mountPluginWebhooks(app: IRouter, runtime: PluginRuntime): void {
  for (const p of runtime.plugins) {
    if (p.definition.webhooks) {
      app.use(`/webhooks/${p.definition.id}`, express.raw({ type: () => true, limit: '2mb' }), p.definition.webhooks(p.context));
    }
  }
}

/** Mount only the authenticated page/JSON routes of every plugin. */
export function mountPluginRoutes(app: IRouter, runtime: PluginRuntime, auth: HostAuthAdapter): void {
  for (const p of runtime.plugins) {
    if (p.definition.routes) app.use(p.mountPath, auth.authenticate, p.definition.routes(p.context));
  }
}

/** Build the runtime for this host: contexts, subscribers, handlers, nav and migrations. */
export function loadPlugins(
  definitions: PluginDefinition<unknown>[],
  configs: Map<string, unknown>,
  services: PluginHostServices,
  bus: EventBus,
): PluginRuntime {
  const runtime: PluginRuntime = { plugins: [], handlers: new Map(), nav: [], migrationOwners: [] };
  for (const def of definitions) {
    const mountPath = `/plugins/${def.id}`;
    const ctx = buildPluginContext(def, configs.get(def.id), services, mountPath);
    subscribePlugin(def, ctx, bus);
    for (const [type, handler] of pluginHandlers(def, ctx)) runtime.handlers.set(type, handler);
    runtime.nav.push(...(def.nav ?? []).map((entry) => ({ ...entry, group: def.title, section: mountPath })));
    if (def.migrations?.length) runtime.migrationOwners.push({ id: def.id, migrations: def.migrations });
    runtime.plugins.push({ definition: def, context: ctx, mountPath });
  }
  return runtime;
}

/** Migration owners of a list of plugin definitions (for `npm run migrate` before contexts exist). */
export function pluginMigrationOwners(definitions: PluginDefinition<unknown>[]): MigrationOwner[] {
  return definitions.filter((d) => d.migrations?.length).map((d) => ({ id: d.id, migrations: d.migrations ?? [] }));
}
