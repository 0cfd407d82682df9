// The sale page's Xero panel (PluginDefinition.saleFigures): the invoice's net, tax and total as Xero
// computed them (SubTotal / TotalTax / Total, kept in xero_records when the invoice was created or last read),
// and, for each line that carries no tax code, the Xero tax rate it goes out with (the same fallback chain the
// invoice builder uses), so the page never shows a blank where a default applies.
import { minorUnitDigits, type PluginContext, type SaleFigures, type SaleLineSnapshot } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { InvoiceTotals } from '../gateway/answers';
import { getLiveConnection } from '../connection/store';
import { organisationLinks } from '../connection/links';
import { isRemovedInXero, recordsOfEntity, type XeroRecord } from '../engine/records';
import { loadResolvedMappings } from '../mappings/load';
import { resolveTaxType } from '../mappings/resolve';
import { storedTaxTypes, type StoredTaxType } from '../mappings/taxTypes';
import type { ResolvedMappings } from '../mappings/types';
import { centsText, xeroCentsToMinor, XERO_AMOUNT_DP } from '../payloads/arithmetic';

type Ctx = Pick<PluginContext<XeroConfig>, 'db' | 'records' | 'pages' | 'config'>;

/** Xero cents in the host's money style when they are a whole number of the currency's minor units, else Xero's 2 dp. */
export function xeroAmountText(cents: number, currency: string, formatMoney: (minor: bigint, currency: string) => string): string {
  const digits = minorUnitDigits(currency);
  const whole = digits >= XERO_AMOUNT_DP || BigInt(cents) % 10n ** BigInt(XERO_AMOUNT_DP - digits) === 0n;
  return `${whole ? formatMoney(xeroCentsToMinor(BigInt(cents), digits), currency) : centsText(BigInt(cents))} ${currency}`;
}

/** "VAT" where the organisation's Xero tax rates are VAT rates (a UK or EU organisation), else "Tax". */
export function taxLabel(taxTypes: readonly Pick<StoredTaxType, 'name'>[]): string {
  return taxTypes.some((t) => /\bVAT\b/.test(t.name)) ? 'VAT' : 'Tax';
}

/** Net, tax, total: in that order, as an accountant reads an invoice. */
export function totalsFigures(totals: InvoiceTotals, currency: string, label: string, formatMoney: (minor: bigint, currency: string) => string): SaleFigures['figures'] {
  return [
    { label: 'Net', value: xeroAmountText(totals.subTotalCents, currency, formatMoney), testId: 'xero-net' },
    { label, value: xeroAmountText(totals.totalTaxCents, currency, formatMoney), testId: 'xero-tax' },
    { label: 'Total', value: xeroAmountText(totals.totalCents, currency, formatMoney), testId: 'xero-total' },
  ];
}

/** By line id, for lines with no tax code: the Xero tax type that applies and why ("OUTPUT2 (default)"). */
export function defaultTaxCodes(lines: readonly SaleLineSnapshot[], m: ResolvedMappings): Record<number, string> {
  const out: Record<number, string> = {};
  for (const line of lines) {
    if (line.taxCode !== null && line.taxCode.trim() !== '') continue;
    const r = resolveTaxType({ category: line.category, taxCode: null, kind: line.kind }, m);
    const why = r.level === 'category' ? `default for ${r.key ?? 'its category'}` : r.key === 'tip' ? 'default for tips' : r.key === 'service_charge' ? 'default for service charges' : 'default';
    out[line.id] = `${r.value} (${why})`;
  }
  return out;
}

/** The invoice we hold for the sale (the newest, across reconnections), if any. */
function invoiceRecordOf(records: readonly XeroRecord[]): XeroRecord | undefined {
  return records.filter((r) => r.recordType === 'invoice' && r.xeroId).sort((a, b) => b.updatedAt - a.updatedAt)[0];
}

export async function xeroSaleFigures(ctx: Ctx, orgId: number, saleId: number): Promise<SaleFigures | null> {
  const invoice = invoiceRecordOf(await recordsOfEntity(ctx.db, orgId, 'sale', saleId));
  // Nothing to say for an organisation that neither uses Xero now nor did for this sale.
  if (!invoice && !(await getLiveConnection(ctx.db, orgId))) return null;
  const sale = await ctx.records.sale(ctx.db, orgId, saleId);
  if (!sale) return null;
  const taxTypes = await storedTaxTypes(ctx.db, orgId);
  const codes = defaultTaxCodes(sale.lines, await loadResolvedMappings(ctx.db, orgId));
  const format = (minor: bigint, currency: string) => ctx.pages.formatMoney(minor, currency);
  // The customer's contact in Xero (made or matched when their first invoice was sent).
  const links = await organisationLinks(ctx.db, ctx.config.appUrl, orgId);
  const contact = (await recordsOfEntity(ctx.db, orgId, 'customer', sale.customer.id)).find((r) => r.recordType === 'contact' && r.xeroId);
  const contactLink = contact ? [{ href: links.of('contact', contact.xeroId!), label: `Xero contact: ${sale.customer.name}` }] : [];
  if (!invoice) {
    return { title: 'Xero invoice', figures: [], note: 'Not in Xero yet: the net, tax and total appear here as Xero computes them once it has the invoice.', defaultTaxCodes: codes, links: contactLink };
  }
  const title = `Xero invoice ${invoice.number ?? ''}`.trim();
  const invoiceLink = [{ href: links.of('invoice', invoice.xeroId!), label: `Open ${title} in Xero` }];
  if (isRemovedInXero(invoice.status)) return { title, figures: [], note: 'Voided or deleted in Xero: it charges nothing.', defaultTaxCodes: codes, links: contactLink };
  if (!invoice.totals) {
    return { title, figures: [], note: 'Sent before Ledgerbridge kept Xero\'s totals: they appear here the next time Xero tells us about the invoice (open it in Xero to see them now).', defaultTaxCodes: codes, links: [...invoiceLink, ...contactLink] };
  }
  return { title, figures: totalsFigures(invoice.totals, sale.currency, taxLabel(taxTypes), format), note: 'As Xero computed them.', defaultTaxCodes: codes, links: [...invoiceLink, ...contactLink] };
}
