// What every step needs (the sync's pushes, payout posting), built once per plugin context (handlers.ts).
import type { PluginContext } from '../../../server/plugins/contract';
import type { PermanentError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { connectionDeps, type ConnectionDeps } from '../connection/deps';
import { RateBudget } from './rateBudget';

export interface XeroServices {
  ctx: PluginContext<XeroConfig>;
  connection: ConnectionDeps;
  budget: RateBudget;
  /** Add a History note naming the source sale to each invoice / credit note we create (own low-priority items). */
  historyNotes: boolean;
}

export interface XeroServiceOptions {
  historyNotes?: boolean;
  maxInlineWaitMs?: number;
  /** The rate budget's clock; only a benchmark against a sped-up emulator clock sets it (see RateBudgetOptions). */
  budgetClock?: { now: () => number; timeScale: number };
}

export function createXeroServices(ctx: PluginContext<XeroConfig>, opts: XeroServiceOptions = {}): XeroServices {
  const connection = connectionDeps(ctx);
  return {
    ctx,
    connection,
    // A lease outlives one HTTP call (the client's timeout) so a killed worker's slot comes back soon after.
    budget: new RateBudget({ db: ctx.db, leaseMs: ctx.config.httpTimeoutMs + 5_000, maxInlineWaitMs: opts.maxInlineWaitMs ?? 3_000, ...opts.budgetClock }),
    historyNotes: opts.historyNotes ?? true,
  };
}

/** The message a person reads for a permanent failure: the error and its help, as the outbox keeps it. */
export function permanentMessage(err: PermanentError): string {
  return err.help ? `${err.message} — ${err.help}` : err.message;
}
