// Our host's receipts (the contract's HostReceipts): a sale, its payments and refunds, the business and
// each line's tax rate (from the plugins that post tax) → the receipt's model → its PDF. The sale page's
// download and the plugins (ctx.receipts, e.g. attached to the Xero invoice) get the same bytes.
import type { Queryable } from '../db/knex';
import { methodLabelsOf } from '../domain/methodLabels';
import { getOrganisation } from '../domain/organisations';
import type { HostReceipt, HostReceipts, HostRecords, LineTaxRate, PaymentMethodCatalogue } from '../plugins/contract';
import type { SaleLineSnapshot } from '../domain/events';
import { buildReceipt, type Receipt } from './model';
import { renderReceiptPdf } from './pdf';

export interface ReceiptDeps {
  records: HostRecords;
  paymentMethods: PaymentMethodCatalogue;
  taxCodes: { lineRates(db: Queryable, orgId: number, lines: readonly SaleLineSnapshot[]): Promise<(LineTaxRate | null)[]> };
}

/** The receipt's model for a sale of the organisation, or undefined when it has no such sale. */
export async function loadReceipt(deps: ReceiptDeps, db: Queryable, orgId: number, saleId: number): Promise<{ receipt: Receipt; occurredAt: number } | undefined> {
  const sale = await deps.records.sale(db, orgId, saleId);
  if (!sale) return undefined;
  const [org, payments, refunds, rates, methodLabel] = await Promise.all([
    getOrganisation(db, orgId),
    deps.records.paymentsOfSale(db, orgId, saleId),
    deps.records.refundsOfSale(db, orgId, saleId),
    deps.taxCodes.lineRates(db, orgId, sale.lines),
    methodLabelsOf(deps.paymentMethods, db, orgId),
  ]);
  const receipt = buildReceipt({
    business: { name: org.name, timeZone: org.timezone }, sale, payments, refunds, rates,
    methodLabel,
  });
  return { receipt, occurredAt: sale.occurredAt };
}

export function createReceipts(deps: ReceiptDeps): HostReceipts {
  return {
    async pdf(db, orgId, saleId): Promise<HostReceipt | undefined> {
      const loaded = await loadReceipt(deps, db, orgId, saleId);
      if (!loaded) return undefined;
      return { fileName: loaded.receipt.fileName, contentType: 'application/pdf', content: await renderReceiptPdf(loaded.receipt, new Date(loaded.occurredAt)) };
    },
  };
}
