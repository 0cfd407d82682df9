// The tax codes a sale line may carry in an organisation: what every installed plugin that posts tax can
// take. A plugin declares its vocabulary (PluginDefinition.taxCodes); a plugin answering null sets no limit
// (not configured for the organisation yet). With several limiting plugins a code must be known to each,
// or one of them could not post the sale. Codes match case-insensitively (Xero's TaxTypes do).
import type { Queryable } from '../db/knex';
import type { SaleLineSnapshot } from '../domain/events';
import type { KnownTaxCode, LineTaxRate, TaxCodeVocabulary } from './contract';

export interface TaxCodeCatalogue {
  /** The codes the organisation's lines may carry, or null when no plugin limits them. */
  known(db: Queryable, orgId: number): Promise<KnownTaxCode[] | null>;
  /** Each line's tax rate, from the first plugin that can tell (null when none can). */
  lineRates(db: Queryable, orgId: number, lines: readonly SaleLineSnapshot[]): Promise<(LineTaxRate | null)[]>;
}

const norm = (code: string): string => code.trim().toUpperCase();

export function createTaxCodeCatalogue(vocabularies: readonly TaxCodeVocabulary[]): TaxCodeCatalogue {
  return {
    async known(db, orgId) {
      let known: KnownTaxCode[] | null = null;
      for (const vocabulary of vocabularies) {
        const codes = await vocabulary.known(db, orgId);
        if (codes === null) continue;
        if (known === null) known = codes;
        else {
          const theirs = new Set(codes.map((c) => norm(c.code)));
          known = known.filter((c) => theirs.has(norm(c.code)));
        }
      }
      return known;
    },
    async lineRates(db, orgId, lines) {
      const rates: (LineTaxRate | null)[] = lines.map(() => null);
      for (const vocabulary of vocabularies) {
        if (!vocabulary.lineRates || rates.every((r) => r !== null)) continue;
        const theirs = await vocabulary.lineRates(db, orgId, lines);
        theirs.forEach((rate, i) => { rates[i] ??= rate ?? null; });
      }
      return rates;
    },
  };
}

/**
 * The issue of each line whose tax code is not known (path `lines.<i>.taxCode`), naming the code and
 * listing the known ones. Pure.
 */
export function unknownTaxCodeIssues(lines: readonly { taxCode: string | null }[], known: readonly KnownTaxCode[]): { path: string; message: string }[] {
  const codes = new Set(known.map((k) => norm(k.code)));
  const list = known.length ? known.map((k) => k.code).join(', ') : 'none yet (an admin maps them on the accounting settings page)';
  const issues: { path: string; message: string }[] = [];
  lines.forEach((line, i) => {
    if (line.taxCode === null || line.taxCode.trim() === '') return;
    if (codes.has(norm(line.taxCode))) return;
    issues.push({ path: `lines.${i}.taxCode`, message: `line ${i + 1}: tax code "${line.taxCode}" is not one this organisation knows; known codes: ${list}` });
  });
  return issues;
}
