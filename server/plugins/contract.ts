// The one server module a plugin imports (together with ../errors). Everything a plugin needs from
// the host reaches it through PluginContext; a plugin never reads process.env or host internals.
import type { Router, RequestHandler } from 'express';
import type { Command } from 'commander';
import type { ZodType } from 'zod';
import type { Db, Queryable } from '../db/knex';
import type { Migration } from '../db/migrate';
import type { HostEvent, HostEventType } from '../domain/events';
import type { OutboxHandler, OutboxWriter } from '../outbox/types';
import type { Logger } from '../logger';
import type { SecretBox } from '../secrets';
import type { PayoutRecorder, ProviderPayments } from '../payouts/types';

export type { Migration } from '../db/migrate';
export { cronSetting } from './cronSetting';
export type { HostEvent, HostEventType, HostEventMap, SaleSnapshot, RefundSnapshot, PaymentSnapshot, PayoutSnapshot } from '../domain/events';
export type * from '../payouts/types';
export type { OutboxHandler, OutboxItem, OutboxOutcome, EnqueueInput } from '../outbox/types';

export type Role = 'admin' | 'staff' | 'accountant';
export const ROLES: readonly Role[] = ['admin', 'staff', 'accountant'];

/** Who is acting: set on req by the host's auth for both sessions and API tokens. */
export interface Principal {
  /** 'system': the host acting on a provider's report (e.g. ctx.payments.record), never a login. */
  kind: 'user' | 'token' | 'system';
  id: number;
  orgId: number;
  role: Role;
  name: string;
  email?: string;
}

export type SyncStatus = 'pending' | 'synced' | 'failed' | 'deleted_upstream';
export type SyncEntityType = 'sale' | 'refund' | 'payment' | 'payout';

export interface SyncRecordUpdate {
  orgId: number;
  entityType: SyncEntityType;
  entityId: number;
  /** The downstream record kind: invoice | credit_note | payment | allocation | ... */
  recordType: string;
  status: SyncStatus;
  externalId?: string | null;
  externalRef?: string | null;
  error?: string | null;
}

export interface SyncRecord extends Required<Omit<SyncRecordUpdate, 'externalId' | 'externalRef' | 'error'>> {
  pluginId: string;
  externalId: string | null;
  externalRef: string | null;
  error: string | null;
  updatedAt: number;
  syncedAt: number | null;
}

/** Per-record downstream state, shown on a sale's GET and pages. Writes are scoped to the calling plugin. */
export interface SyncStateStore {
  upsert(db: Queryable, update: SyncRecordUpdate): Promise<void>;
  list(db: Queryable, filter: { orgId: number; entityType?: SyncEntityType; entityId?: number; status?: SyncStatus }): Promise<SyncRecord[]>;
}

export interface PluginContext<C> {
  pluginId: string;
  config: C;
  db: Db;
  logger: Logger;
  outbox: OutboxWriter;
  sync: SyncStateStore;
  /** Seal secrets before storing them; open them only where used. Never log either side. */
  secrets: SecretBox;
  /** Absolute base URL of this install (links back from downstream records, OAuth redirect URIs). */
  publicUrl: string;
  /** Where this plugin's routes are mounted, e.g. `/plugins/xero`. */
  mountPath: string;
  /** Guard for plugin routes: the host has already authenticated the request. */
  requireRole(...roles: Role[]): RequestHandler;
  /** Record a provider payout (idempotent); the host emits `payout.paid` in the same transaction. */
  payouts: PayoutRecorder;
  /** Record a provider payment on one of our sales (idempotent on its provider reference). */
  payments: ProviderPayments;
}

export type HealthTone = 'ok' | 'warn' | 'bad';

/**
 * A plugin's panel on the dashboard: plain data, rendered by the host (figures, a status line, and a
 * chart of records synced per hour with a table alternative), so a plugin needs no view of its own.
 */
export interface HealthPanel {
  title: string;
  /** The integration's state in a few words ("Connected to Demo Company (UK)"); `detail` says why it is not ok. */
  status: { label: string; tone: HealthTone; detail?: string | null };
  /** Figures in reading order, e.g. waiting, failed, last success, rate-limit headroom. */
  facts: { label: string; value: string; tone?: HealthTone; testId?: string }[];
  /** Records synced per hour, oldest first, ending with the current hour (24 entries for a day). */
  hourly?: { hourStart: number; count: number }[];
  /** Where to act (failures, connection); the host shows each only to its roles. */
  links?: { label: string; href: string; roles: Role[] }[];
}

export type EventSubscriber<C, T extends HostEventType> = (event: HostEvent<T>, trx: Queryable, ctx: PluginContext<C>) => Promise<void>;

export interface PluginDefinition<C = unknown> {
  /** Prefixes routes (/plugins/<id>), outbox types (<id>.…), env vars (<ID>_…) and view folders. */
  id: string;
  /** Human name for navigation. */
  title: string;
  /** Validated at boot against the environment (keys are env var names); every problem is reported. */
  configSchema: ZodType<C>;
  migrations?: Migration[];
  /** Folder whose templates render as `<id>/<name>` via res.render. */
  viewsDir?: string;
  /** Mounted at /plugins/<id> behind authentication; each route must guard itself with ctx.requireRole. */
  routes?(ctx: PluginContext<C>): Router;
  /** Mounted at /webhooks/<id> with the raw body (req.body is a Buffer) and no session. */
  webhooks?(ctx: PluginContext<C>): Router;
  /** Run inside the host's transaction; only write to the database (e.g. enqueue). */
  subscribers?: { [T in HostEventType]?: EventSubscriber<C, T> };
  /** Keyed by the full outbox type, which must start with `<id>.`. */
  handlers?(ctx: PluginContext<C>): Record<string, OutboxHandler>;
  /** Navigation entries for the host layout, shown to the given roles. */
  nav?: { label: string; href: string; roles: Role[] }[];
  /**
   * Add commands to `npm run cli`. The context is created on first use (booting the host), so `--help`
   * needs no database. Commands throw AppErrors for the CLI to print; they never call process.exit.
   */
  cli?(program: Command, context: () => Promise<PluginContext<C>>): void;
  /**
   * Optional: the organisation's sync health for the dashboard (read-only; called on every dashboard view,
   * so keep it to a few indexed queries). Null: nothing to show (e.g. never configured).
   */
  health?(ctx: PluginContext<C>, orgId: number): Promise<HealthPanel | null>;
  /**
   * Background schedules (e.g. a nightly sweep). Called once, after migrations, in each process that runs
   * background work (PROCESS_ROLE worker or all; never in a web-only process). Returns a stop function.
   */
  start?(ctx: PluginContext<C>): Promise<(() => Promise<void>) | void>;
}

/** Identity helper that keeps the generic type of a plugin's config. */
export function definePlugin<C>(def: PluginDefinition<C>): PluginDefinition<C> {
  return def;
}
