// GET /sales/:id/live.json: the sale's money as the sale page shows it (state, paid, outstanding, refunded,
// payments with their source), for the page's live script (public/sale-payments-live.js) to poll while the
// page is open, so a payment that arrives from elsewhere ("Paid in Xero: bank transfer, 2 Dec", recorded by
// the Xero plugin's webhook handler) appears without a reload. Any role of the sale's organisation; another
// organisation's sale is a plain 404. Text only: the script writes it with textContent.
import type { Router } from 'express';
import type { HostDeps } from '../hostDeps';
import type { SaleView } from '../domain/saleView';
import { formatLocal } from './time';
import { saleState, type SaleState } from './saleState';
import { methodLabelsOf } from '../domain/methodLabels';
import { saleJsonRoute } from './saleJsonRoute';

export interface SaleLivePayment {
  id: number;
  when: string;
  /** The method's label, or where the payment came from when it was not taken here. */
  method: string;
  source: string | null;
  providerRef: string | null;
  amount: string;
  currency: string;
  /** The part of it that went to the customer's credit (more than was outstanding), or null. */
  toCredit: string | null;
}

export interface SaleLive {
  saleId: number;
  currency: string;
  state: SaleState;
  paid: string;
  outstanding: string;
  refunded: string;
  payments: SaleLivePayment[];
  /** Each refund's downstream state ("Settled in Xero: 30.00 paid out"), which a plugin may change meanwhile. */
  refunds: { id: number; downstreamState: string | null }[];
}

/** The page's money facts, formatted as the server renders them (org time zone, method labels). */
export function saleLive(sale: SaleView, timeZone: string, methodLabel: (id: string) => string): SaleLive {
  return {
    saleId: sale.id,
    currency: sale.currency,
    state: saleState(sale),
    paid: sale.paid,
    outstanding: sale.outstanding,
    refunded: sale.refunded,
    payments: sale.payments.map((p) => ({
      id: p.id, when: formatLocal(Date.parse(p.receivedAt), timeZone), method: p.source ?? methodLabel(p.method), source: p.source,
      providerRef: p.providerRef, amount: p.amount, currency: p.currency, toCredit: p.toCredit,
    })),
    refunds: sale.refunds.map((r) => ({ id: r.id, downstreamState: r.downstreamState })),
  };
}

export function createSaleLiveJson(deps: Pick<HostDeps, 'db' | 'paymentMethods'>): Router {
  return saleJsonRoute(deps.db, '/sales/:id/live.json', async (org, sale) => saleLive(sale, org.timezone, await methodLabelsOf(deps.paymentMethods, deps.db, org.id)));
}
