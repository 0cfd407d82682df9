// What every sync step needs, built once per plugin context (index.ts → handlers).
import type { PluginContext } from '../../../server/plugins/contract';
import type { PermanentError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { connectionDeps, type ConnectionDeps } from '../connection/deps';
import type { ResolvedMappings } from '../payloads';
import { loadResolvedMappings } from '../mappings/load';
import { RateBudget } from './rateBudget';

export interface SyncServices {
  ctx: PluginContext<XeroConfig>;
  connection: ConnectionDeps;
  budget: RateBudget;
  /** Add a History note naming the source sale to each invoice / credit note we create (own low-priority items). */
  historyNotes: boolean;
  mappings(orgId: number): Promise<ResolvedMappings>;
}

export interface SyncServiceOptions {
  historyNotes?: boolean;
  maxInlineWaitMs?: number;
  /** The rate budget's clock; only a benchmark against a sped-up emulator clock sets it (see RateBudgetOptions). */
  budgetClock?: { now: () => number; timeScale: number };
}

export function createSyncServices(ctx: PluginContext<XeroConfig>, opts: SyncServiceOptions = {}): SyncServices {
  const connection = connectionDeps(ctx);
  return {
    ctx,
    connection,
    // A lease outlives one HTTP call (the client's timeout) so a killed worker's slot comes back soon after.
    budget: new RateBudget({ db: ctx.db, leaseMs: ctx.config.httpTimeoutMs + 5_000, maxInlineWaitMs: opts.maxInlineWaitMs ?? 3_000, ...opts.budgetClock }),
    historyNotes: opts.historyNotes ?? true,
    mappings: (orgId) => loadResolvedMappings(ctx.db, orgId),
  };
}

/** The message a person reads for a permanent failure: the error and its help, as the outbox keeps it. */
export function permanentMessage(err: PermanentError): string {
  return err.help ? `${err.message} — ${err.help}` : err.message;
}

/** The absolute link back to a sale, sent as the invoice's Url. */
export const saleUrlOf = (ctx: Pick<PluginContext<XeroConfig>, 'publicUrl'>, saleId: number): string =>
  `${ctx.publicUrl.replace(/\/+$/, '')}/sales/${saleId}`;
