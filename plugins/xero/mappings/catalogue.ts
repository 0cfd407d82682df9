// The organisation's chart as the settings page and validation need it: Accounts, TaxRates and
// TrackingCategories, read through the gateway (3 calls) and kept per organisation for 5 minutes so
// opening and saving the page does not eat the tenant's 60 calls a minute. "Refresh from Xero" drops it.
import type { XeroGateway } from '../gateway/gateway';
import type { TaxRateAnswer } from '../gateway/answers';

/** What the catalogue is read through: a gateway over a client, or a rate-budgeted session's (mappings/liveCatalogue.ts). */
type CatalogueSource = Pick<XeroGateway, 'getAccounts' | 'getTaxRates' | 'getTrackingCategories'>;

export interface CatalogueAccount {
  code: string;
  name: string;
  type: string;
  status: string;
  enablePaymentsToAccount: boolean;
  systemAccount: string | null;
}

/** A tax rate as the gateway reads it (answers normalised once). */
export type CatalogueTaxRate = TaxRateAnswer;

export interface CatalogueTracking {
  id: string;
  name: string;
  status: string;
  options: { id: string; name: string; status: string }[];
}

export interface Catalogue {
  organisationName: string;
  accounts: CatalogueAccount[];
  taxRates: CatalogueTaxRate[];
  tracking: CatalogueTracking[];
  fetchedAt: number;
}

const TTL_MS = 5 * 60_000;
const cache = new Map<string, Catalogue>();

export async function fetchCatalogue(xero: CatalogueSource, organisationName: string, now = Date.now()): Promise<Catalogue> {
  const accounts = await xero.getAccounts();
  const taxRates = await xero.getTaxRates();
  const tracking = await xero.getTrackingCategories();
  return {
    organisationName,
    accounts: accounts
      .filter((a): a is typeof a & { code: string } => a.code !== null)
      .map(({ code, name, type, status, enablePaymentsToAccount, systemAccount }) => ({ code, name, type, status, enablePaymentsToAccount, systemAccount })),
    taxRates,
    tracking: tracking.map((c) => ({ id: c.trackingCategoryId, name: c.name, status: c.status, options: c.options.map((o) => ({ id: o.trackingOptionId, name: o.name, status: o.status })) })),
    fetchedAt: now,
  };
}

/** Cached per organisation and connection (a new connection may be another Xero organisation). */
export async function getCatalogue(
  key: { orgId: number; connectionId: number }, load: () => Promise<Catalogue>, opts: { refresh?: boolean; now?: number } = {},
): Promise<Catalogue> {
  const id = `${key.orgId}:${key.connectionId}`;
  const now = opts.now ?? Date.now();
  const hit = cache.get(id);
  if (hit && !opts.refresh && now - hit.fetchedAt < TTL_MS) return hit;
  const fresh = await load();
  cache.set(id, fresh);
  return fresh;
}

export function forgetCatalogue(orgId: number): void {
  for (const id of cache.keys()) if (id.startsWith(`${orgId}:`)) cache.delete(id);
}
