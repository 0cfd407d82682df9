// The organisation's chart as the settings page and validation need it: Accounts, TaxRates and
// TrackingCategories, read through the XeroClient (3 calls) and kept per organisation for 5 minutes so
// opening and saving the page does not eat the tenant's 60 calls a minute. "Refresh from Xero" drops it.
import type { XeroClient } from '../gateway/client';

/** What the catalogue is read through: a client, or a rate-budgeted session (mappings/liveCatalogue.ts). */
type CatalogueSource = Pick<XeroClient, 'call'>;

export interface CatalogueAccount {
  code: string;
  name: string;
  type: string;
  status: string;
  enablePaymentsToAccount: boolean;
  systemAccount: string | null;
}

export interface CatalogueTaxRate {
  taxType: string;
  name: string;
  status: string;
  /** Percent as a decimal string ("20", "8.875"). */
  rate: string;
  canApplyToRevenue: boolean;
  canApplyToExpenses: boolean;
  canApplyToAssets: boolean;
  canApplyToLiabilities: boolean;
  canApplyToEquity: boolean;
}

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

const str = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** xero-node models → plain values (its enum fields hold strings at run time). */
export async function fetchCatalogue(client: CatalogueSource, organisationName: string, now = Date.now()): Promise<Catalogue> {
  const accounts = await client.call((api, tenant) => api.getAccounts(tenant));
  const taxRates = await client.call((api, tenant) => api.getTaxRates(tenant));
  const tracking = await client.call((api, tenant) => api.getTrackingCategories(tenant, undefined, undefined, true));
  return {
    organisationName,
    accounts: (accounts.accounts ?? [])
      .filter((a) => a.code)
      .map((a) => ({
        code: str(a.code), name: str(a.name), type: str(a.type), status: str(a.status),
        enablePaymentsToAccount: a.enablePaymentsToAccount === true, systemAccount: a.systemAccount ? str(a.systemAccount) : null,
      })),
    taxRates: (taxRates.taxRates ?? []).map((t) => ({
      taxType: str(t.taxType), name: str(t.name), status: str(t.status), rate: str(t.effectiveRate ?? t.displayTaxRate ?? 0),
      canApplyToRevenue: t.canApplyToRevenue === true, canApplyToExpenses: t.canApplyToExpenses === true, canApplyToAssets: t.canApplyToAssets === true,
      canApplyToLiabilities: t.canApplyToLiabilities === true, canApplyToEquity: t.canApplyToEquity === true,
    })),
    tracking: (tracking.trackingCategories ?? []).map((c) => ({
      id: str(c.trackingCategoryID), name: str(c.name), status: str(c.status),
      options: (c.options ?? []).map((o) => ({ id: str(o.trackingOptionID), name: str(o.name), status: str(o.status) })),
    })),
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
