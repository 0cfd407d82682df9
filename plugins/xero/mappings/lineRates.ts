// Each sale line's tax rate as the invoice will post it (the contract's TaxCodeVocabulary.lineRates), for the
// host's receipt: the line's tax type by the same fallback chain as the invoice (resolve.ts), its name and
// percentage from the organisation's Xero tax rates as last read (xero_tax_types). A line whose type cannot
// be resolved, or whose rate was never read from Xero, is null: the receipt says "not stated", never a guess.
import type { LineTaxRate, Queryable, SaleLineSnapshot } from '../../../server/plugins/contract';
import { loadResolvedMappings } from './load';
import { resolveTaxType } from './resolve';
import { storedTaxTypes } from './taxTypes';

export async function lineTaxRates(db: Queryable, orgId: number, lines: readonly SaleLineSnapshot[]): Promise<(LineTaxRate | null)[]> {
  const [mappings, types] = await Promise.all([loadResolvedMappings(db, orgId), storedTaxTypes(db, orgId)]);
  const byType = new Map(types.map((t) => [t.taxType.toUpperCase(), t]));
  return lines.map((line) => {
    let taxType: string;
    try {
      taxType = resolveTaxType(line, mappings).value;
    } catch {
      return null; // a mapping to fix: the invoice fails too, saying which
    }
    const known = byType.get(taxType.toUpperCase());
    return known ? { name: known.name, ratePercent: known.rate } : null;
  });
}
