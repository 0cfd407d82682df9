// The organisation's chart of accounts, tax rates and tracking as the settings pages check them: read
// through the same rate budget as the sync (openSession), so a page never spends a call the sync was
// counting on and never meets Xero's 429 itself. A person waits a few seconds for a slot at most; past
// that the page says when to try again (the sync was answered "Xero answered 429" while a backlog drained).
import { RetryableError } from '../../../server/errors';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { connectionDeps } from '../connection/deps';
import type { ConnectionRow } from '../connection/store';
import { openSession } from '../engine/session';
import { RateBudget } from '../engine/rateBudget';
import { fetchCatalogue, getCatalogue, type Catalogue } from './catalogue';
import { rememberTaxTypes } from './taxTypes';

/** How long a settings page waits for a rate-budget slot before answering "try again in N s". */
export const PAGE_WAIT_MS = 8_000;

export async function liveCatalogue(ctx: PluginContext<XeroConfig>, connection: ConnectionRow, opts: { refresh?: boolean } = {}): Promise<Catalogue> {
  return getCatalogue(
    { orgId: connection.org_id, connectionId: connection.id },
    async () => {
      const budget = new RateBudget({ db: ctx.db, leaseMs: ctx.config.httpTimeoutMs + 5_000, maxInlineWaitMs: PAGE_WAIT_MS });
      const session = await openSession(connectionDeps(ctx), budget, connection.org_id);
      const catalogue = await fetchCatalogue(session.xero, connection.tenant_name ?? 'your Xero organisation', ctx.clock.now());
      // What the sale API checks line tax codes against, and the sale form offers (mappings/taxTypes.ts).
      await rememberTaxTypes(ctx.db, connection.org_id, catalogue.taxRates, catalogue.fetchedAt);
      return catalogue;
    },
    { refresh: opts.refresh ?? false, now: ctx.clock.now() },
  );
}

/** Why a check against Xero could not run, for a page: its status, message and when to retry. */
export function catalogueFailure(err: unknown): { status: number; message: string; retryAfterSeconds: number | null } {
  if (err instanceof RetryableError && err.retryAfterMs !== undefined) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return { status: 503, message: `Xero's rate limit for this organisation is in use by the sync right now; try again in ${seconds} s`, retryAfterSeconds: seconds };
  }
  return { status: 502, message: `Xero could not be reached to check the settings (${err instanceof Error ? err.message : String(err)})`, retryAfterSeconds: null };
}

/**
 * The chart for a page's dropdowns (the five-minute copy), or why it cannot be listed: the page still renders,
 * with the reason where the dropdown would be.
 */
export async function chartForPage(ctx: PluginContext<XeroConfig>, connection: ConnectionRow | undefined | null, notConnected: string): Promise<{ catalogue: Catalogue | null; chartError: string | null }> {
  if (!connection || connection.status !== 'connected') return { catalogue: null, chartError: notConnected };
  try {
    return { catalogue: await liveCatalogue(ctx, connection), chartError: null };
  } catch (err) {
    return { catalogue: null, chartError: `Could not read the chart of accounts from Xero: ${catalogueFailure(err).message}.` };
  }
}

/**
 * The chart as Xero has it now (not the page's five-minute copy), to check a form against before saving; or
 * why not, with the status to answer and Xero's Retry-After in seconds when it sent one.
 */
export async function chartForSave(ctx: PluginContext<XeroConfig>, connection: ConnectionRow): Promise<{ catalogue: Catalogue } | { failure: { status: number; message: string; retryAfterSeconds: number | null } }> {
  try {
    return { catalogue: await liveCatalogue(ctx, connection, { refresh: true }) };
  } catch (err) {
    return { failure: catalogueFailure(err) };
  }
}
