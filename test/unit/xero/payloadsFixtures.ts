// Shared by the payload tests: sales built the way the host builds them, mappings for the emulator's
// Demo Company (UK), and Xero's arithmetic from the emulator's own totals.ts (a faithful peer), applied
// to the JSON exactly as it would go over the wire.
import assert from 'node:assert/strict';
import type { SaleLineSnapshot, SaleSnapshot } from '../../../server/domain/events';
import { discountUnits, lineTotalMinor, quantityUnits } from '../../../server/domain/money';
import { computeLine, computeTotals, type LineAmountTypes } from '../../../emulators/xero/accounting/totals';
import { FINE_SCALE, rescale, toCents, toScaled } from '../../../emulators/xero/accounting/money';
import type { ResolvedMappings } from '../../../plugins/xero/mappings/types';
import type { XeroCreditNote, XeroInvoice } from '../../../plugins/xero/gateway/documents';

export const UK_RATES: Record<string, string> = { OUTPUT2: '20.0000', RROUTPUT: '5.0000', ZERORATEDOUTPUT: '0.0000', EXEMPTOUTPUT: '0.0000', NONE: '0.0000' };

export function ukMappings(over: Partial<ResolvedMappings> = {}): ResolvedMappings {
  return {
    orgId: 1,
    defaultSalesAccountCode: '200',
    categoryAccountCodes: {},
    defaultTaxType: 'OUTPUT2',
    categoryTaxTypes: {},
    taxCodeTaxTypes: {},
    methodAccountCodes: { stripe: '090', cash: '091' },
    lineKindAccounts: {},
    lineKindTaxTypes: {},
    categoryTracking: {},
    defaultTracking: [],
    roundingAccountCode: '260',
    roundingTaxType: 'NONE',
    invoiceStatus: 'AUTHORISED',
    invoiceDate: 'sale_date',
    lockedPeriod: 'first_open_day',
    dueDateRule: { kind: 'on_receipt' },
    brandingThemeId: null,
    invoiceNumberPrefix: 'LB-',
    referenceSource: 'sale_reference',
    lineAmountHandling: 'auto',
    taxRates: UK_RATES,
    ...over,
  };
}

export interface LineSpec {
  quantity?: string;
  price: number;
  discount?: string | null;
  category?: string | null;
  taxCode?: string | null;
  description?: string;
}

let nextLineId = 1000;

export function makeSale(currency: string, specs: LineSpec[], over: Partial<SaleSnapshot> = {}): SaleSnapshot {
  const lines: SaleLineSnapshot[] = specs.map((s, i) => {
    const quantity = s.quantity ?? '1';
    const discount = s.discount ?? null;
    return {
      id: nextLineId++,
      position: i + 1,
      description: s.description ?? `Item ${i + 1}`,
      quantity,
      unitPriceMinor: s.price,
      discountRate: discount,
      category: s.category ?? null,
      taxCode: s.taxCode ?? null,
      lineTotalMinor: Number(lineTotalMinor(quantityUnits(quantity), s.price, discountUnits(discount))),
    };
  });
  return {
    id: 42,
    orgId: 1,
    reference: 'S-42',
    currency,
    totalMinor: lines.reduce((s, l) => s + l.lineTotalMinor, 0),
    occurredAt: Date.UTC(2026, 4, 1, 10, 0, 0),
    customer: { id: 7, name: 'Jane Smith', email: 'jane@example.com' },
    lines,
    ...over,
  };
}

export interface XeroAnswer {
  total: string;
  totalTax: string;
}

const cents = (c: number): string => {
  const negative = c < 0;
  const t = String(Math.abs(c)).padStart(3, '0');
  return `${negative ? '-' : ''}${t.slice(0, -2)}.${t.slice(-2)}`;
};

/**
 * What Xero computes for the document, from its JSON as sent: every line must pass the emulator's
 * "LineAmount agrees with Quantity × UnitAmount" rule, then totals come from the rounded lines.
 */
export function xeroComputes(doc: XeroInvoice | XeroCreditNote, unitdp: 2 | 4, rates: Record<string, string> = UK_RATES): XeroAnswer {
  const wire = JSON.parse(JSON.stringify(doc)) as Record<string, unknown> & { LineItems: Record<string, unknown>[]; LineAmountTypes: LineAmountTypes };
  const lines = wire.LineItems.map((raw, i) => {
    const unit = toScaled(raw.UnitAmount, unitdp);
    assert.ok(unit !== undefined, `line ${i}: UnitAmount`);
    const rate = rates[String(raw.TaxType)];
    assert.ok(rate !== undefined, `line ${i}: unknown tax type ${String(raw.TaxType)}`);
    const line = computeLine(
      {
        quantity: toScaled(raw.Quantity, FINE_SCALE),
        unitAmount: rescale(unit, unitdp, FINE_SCALE),
        discountRate: raw.DiscountRate === undefined ? undefined : toScaled(raw.DiscountRate, FINE_SCALE),
        lineAmount: toCents(raw.LineAmount),
        taxRate: toScaled(rate, FINE_SCALE) ?? 0n,
      },
      wire.LineAmountTypes,
    );
    assert.equal(line.computedLineAmount, line.lineAmount, `line ${i} (${JSON.stringify(raw)}): Xero would refuse the LineAmount`);
    return { ...line, taxAmount: wire.LineAmountTypes === 'NoTax' ? 0 : line.taxAmount };
  });
  const totals = computeTotals(lines, wire.LineAmountTypes);
  return { total: cents(totals.total), totalTax: cents(totals.totalTax) };
}
