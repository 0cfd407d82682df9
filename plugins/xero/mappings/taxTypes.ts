// The organisation's Xero tax rates as last read from Xero (xero_tax_types), and the tax codes a sale line
// may carry because of them: the booking system's own codes mapped on the settings page, and Xero's sales
// TaxTypes themselves (a line may say OUTPUT2). What the host checks sale lines against (TaxCodeVocabulary).
import type { KnownTaxCode, Queryable, TaxCodeVocabulary } from '../../../server/plugins/contract';
import type { CatalogueTaxRate } from './catalogue';
import { listMappings } from './store';

export interface StoredTaxType {
  taxType: string;
  name: string;
  status: string;
  rate: string;
  canApplyToRevenue: boolean;
}

/** Replace the organisation's copy with what Xero answered just now. */
export async function rememberTaxTypes(db: Queryable, orgId: number, rates: readonly CatalogueTaxRate[], now: number): Promise<void> {
  await db.transaction(async (trx) => {
    await trx('xero_tax_types').where({ org_id: orgId }).delete();
    const rows = rates.filter((r) => r.taxType !== '').map((r) => ({
      org_id: orgId, tax_type: r.taxType.toUpperCase(), name: r.name.slice(0, 150), status: r.status || 'UNKNOWN', rate: r.rate,
      can_apply_to_revenue: r.canApplyToRevenue, read_at: now,
    }));
    // Chunks keep SQLite under its bound-parameter limit for a chart with many rates.
    for (let i = 0; i < rows.length; i += 100) await trx('xero_tax_types').insert(rows.slice(i, i + 100));
  });
}

export async function storedTaxTypes(db: Queryable, orgId: number): Promise<StoredTaxType[]> {
  const rows = (await db('xero_tax_types').where({ org_id: orgId }).orderBy('tax_type')) as Record<string, unknown>[];
  return rows.map((r) => ({
    taxType: String(r.tax_type), name: String(r.name), status: String(r.status), rate: String(r.rate),
    canApplyToRevenue: r.can_apply_to_revenue === true || Number(r.can_apply_to_revenue) === 1,
  }));
}

/** Sales tax types usable now: active and for income. */
export const usableForSales = (t: StoredTaxType): boolean => t.status === 'ACTIVE' && t.canApplyToRevenue;

/**
 * Pure: the codes a line may carry — each mapped code (labelled with the Xero rate it becomes), then each
 * usable Xero sales TaxType not shadowed by a mapped code of the same name. Null when nothing is known yet
 * (never read from Xero and nothing mapped): the plugin then sets no limit, and a code it cannot post
 * fails at the invoice, saying which mapping to add.
 */
export function knownTaxCodes(mapped: Readonly<Record<string, string>>, types: readonly StoredTaxType[]): KnownTaxCode[] | null {
  if (Object.keys(mapped).length === 0 && types.length === 0) return null;
  const byType = new Map(types.map((t) => [t.taxType.toUpperCase(), t]));
  const describe = (taxType: string): string => {
    const t = byType.get(taxType.toUpperCase());
    return t ? `${t.name} (${t.taxType})` : taxType;
  };
  const codes: KnownTaxCode[] = Object.entries(mapped)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, taxType]) => ({ code, label: describe(taxType) }));
  const taken = new Set(codes.map((c) => c.code.toUpperCase()));
  for (const t of types.filter(usableForSales)) {
    if (!taken.has(t.taxType.toUpperCase())) codes.push({ code: t.taxType, label: `${t.name} (Xero's own)` });
  }
  return codes;
}

export function taxCodeVocabulary(): TaxCodeVocabulary {
  return {
    async known(db, orgId) {
      const mapped = Object.fromEntries((await listMappings(db, orgId)).filter((r) => r.kind === 'tax_code_tax' && r.key !== '' && r.value !== '').map((r) => [r.key, r.value]));
      return knownTaxCodes(mapped, await storedTaxTypes(db, orgId));
    },
  };
}
