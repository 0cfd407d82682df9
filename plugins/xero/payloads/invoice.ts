// Sale → ACCREC invoice at the value charged. Pure: the sync engine supplies the contact reference (found
// or created) and the link back to the sale, and sends what this returns.
import { money, type SaleSnapshot } from '../../../server/plugins/contract';
import { dueDate, xeroDate } from './dates';
import { buildLines, type ChargedLine } from './lines';
import { invoiceNumberFor } from './numbers';
import type { ResolvedMappings } from '../mappings/types';
import { saleNameFallback, type BuiltInvoice, type InvoiceBuildOptions } from './types';
import { buildingPayload, clipText } from './guard';

const { discountUnits, quantityUnits } = money;

/** Xero's limit on InvoiceNumber / Reference. */
const MAX_REFERENCE = 255;

export function saleLines(sale: SaleSnapshot): ChargedLine[] {
  return [...sale.lines]
    .sort((a, b) => a.position - b.position)
    .map((l) => ({
      saleLineId: l.id,
      description: l.description,
      quantity4: quantityUnits(l.quantity),
      unitPriceMinor: BigInt(l.unitPriceMinor),
      discount2: discountUnits(l.discountRate),
      chargedMinor: BigInt(l.lineTotalMinor),
      category: l.category,
      taxCode: l.taxCode,
      kind: l.kind ?? 'item',
    }));
}

/** The sale's own reference when it has one and the settings say so, else the invoice number. */
export function saleReference(sale: SaleSnapshot, m: ResolvedMappings): string {
  const own = sale.reference?.trim();
  return clipText(m.referenceSource === 'sale_reference' && own ? own : invoiceNumberFor(sale.id, m), MAX_REFERENCE);
}

/**
 * The invoice's Date: the sale's day in the organisation's time zone, or — when the settings date invoices
 * on the service date and the sale names one — that day as given (already a calendar day of the organisation).
 */
export function invoiceDateOf(sale: SaleSnapshot, m: ResolvedMappings, opts: Pick<InvoiceBuildOptions, 'now' | 'timeZone'>): string {
  if (m.invoiceDate === 'service_date' && sale.serviceDate) {
    xeroDate(Date.parse(`${sale.serviceDate}T12:00:00Z`)); // the same checks (a real day, from 1900) as any date
    return sale.serviceDate;
  }
  return xeroDate(sale.occurredAt || opts.now, opts.timeZone);
}

export function buildInvoice(sale: SaleSnapshot, m: ResolvedMappings, opts: InvoiceBuildOptions): BuiltInvoice {
  const saleName = (opts.saleName ?? saleNameFallback)(sale.id);
  return buildingPayload(`the invoice of ${saleName}`, () => {
    const invoiceNumber = invoiceNumberFor(sale.id, m);
    const built = buildLines(saleLines(sale), BigInt(sale.totalMinor), sale.currency, m, saleName);
    const date = invoiceDateOf(sale, m, opts);
    return {
      payload: {
        Type: 'ACCREC',
        Contact: opts.contact,
        InvoiceNumber: invoiceNumber,
        Reference: saleReference(sale, m),
        Url: opts.saleUrl,
        CurrencyCode: sale.currency,
        Date: date,
        DueDate: dueDate(date, m.dueDateRule),
        Status: m.invoiceStatus,
        LineAmountTypes: built.lineAmountTypes,
        LineItems: built.lineItems,
        ...(m.brandingThemeId ? { BrandingThemeID: m.brandingThemeId } : {}),
      },
      unitdp: built.unitdp,
      expected: built.expected,
      coding: built.coding,
      ...(built.rounding ? { rounding: built.rounding } : {}),
    };
  });
}
