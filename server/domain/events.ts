// Domain events the host emits inside the transaction that made the change. Subscribers (plugins)
// run in that same transaction and may only write to the database (typically: enqueue outbox items).

/**
 * What a sale line is: what was sold, a tip the customer added, a service charge on the bill, or a gift
 * voucher sold (money held for the holder until it is redeemed or expires: a liability, not revenue).
 */
export type SaleLineKind = 'item' | 'tip' | 'service_charge' | 'voucher';
export const SALE_LINE_KINDS: readonly SaleLineKind[] = ['item', 'tip', 'service_charge', 'voucher'];

export interface SaleLineSnapshot {
  id: number;
  position: number;
  description: string;
  /** Exact decimal string, up to 4 dp. */
  quantity: string;
  unitPriceMinor: number;
  /** Percent as exact decimal string (e.g. "12.5"), or null. */
  discountRate: string | null;
  category: string | null;
  taxCode: string | null;
  /** Absent: 'item' (hosts from before line kinds). */
  kind?: SaleLineKind;
  /** What the customer was charged for this line, minor units. */
  lineTotalMinor: number;
}

export interface SaleSnapshot {
  id: number;
  orgId: number;
  reference: string | null;
  currency: string;
  totalMinor: number;
  occurredAt: number;
  /**
   * The day the service is delivered (YYYY-MM-DD, the organisation's calendar), when it is not the day of
   * the sale: a class next month, a party in June. Absent or null: the sale's own day.
   */
  serviceDate?: string | null;
  /** The booking was cancelled and the money paid kept (no more is owed); absent or null: not cancelled. */
  cancellation?: { at: number; keptMinor: number } | null;
  customer: { id: number; name: string; email: string | null };
  lines: SaleLineSnapshot[];
}

export interface RefundSnapshot {
  id: number;
  orgId: number;
  saleId: number;
  kind: 'full' | 'amount' | 'lines';
  amountMinor: number;
  currency: string;
  method: string | null;
  providerRef: string | null;
  reason: string | null;
  createdAt: number;
  lines: { saleLineId: number; quantity: string | null; amountMinor: number }[];
}

export interface PaymentSnapshot {
  id: number;
  orgId: number;
  saleId: number;
  /** A payment method id of this install (the host's own or one a plugin brings). */
  method: string;
  /** The gift voucher it was paid from (method gift_voucher); absent or null otherwise. */
  voucherCode?: string | null;
  /** All the money received, minor units (with any part kept as credit). */
  amountMinor: number;
  currency: string;
  providerRef: string | null;
  receivedAt: number;
  /**
   * An overpayment: the part of amountMinor above what the sale owed, kept as the customer's credit (in
   * this payment's currency). What pays the sale is amountMinor − creditMinor. Absent or 0: none.
   */
  creditMinor?: number;
  /**
   * A payment from the customer's credit: the earlier overpayments (their payment ids) it spends, adding
   * up to amountMinor. No money arrived with it. Absent or empty: an ordinary payment.
   */
  fromCredit?: { paymentId: number; amountMinor: number }[];
}

/** A payout as stored by the host (server/payouts/record.ts); its lines are read from `payout_lines`. */
export interface PayoutSnapshot {
  /** Our payout id (payouts.id). */
  id: number;
  orgId: number;
  /** The payment method id money arrived by (the provider plugin's, e.g. `stripe`). */
  provider: string;
  accountRef: string;
  providerPayoutId: string;
  currency: string;
  /** Net amount paid to the bank, minor units. */
  amountMinor: number;
  grossMinor: number;
  feeMinor: number;
  /** YYYY-MM-DD, the date the bank line appears. */
  arrivalDate: string;
  /** 'discrepancy' when the lines do not add up to the amount paid. */
  status: 'received' | 'discrepancy';
  lineCount: number;
}

/** A gift voucher that expired with money left, written off by an admin or the schedule: what is left moves to revenue. */
export interface VoucherSnapshot {
  id: number;
  orgId: number;
  code: string;
  /** The sale that sold it. */
  saleId: number;
  currency: string;
  amountMinor: number;
  /** What was left on it when it was written off: the part that moves from the liability to revenue. */
  writtenOffMinor: number;
  /** The last day it could be used (YYYY-MM-DD). */
  expiresOn: string;
  writtenOffAt: number;
  /** Written off by the organisation's schedule (its setting), not by a person; absent: by an admin. */
  automatic?: boolean;
}

export interface HostEventMap {
  'sale.completed': { sale: SaleSnapshot };
  'refund.issued': { refund: RefundSnapshot; sale: SaleSnapshot };
  'payment.received': { payment: PaymentSnapshot; sale: SaleSnapshot };
  'payout.paid': { payout: PayoutSnapshot };
  /** "Cancel booking, keep deposit": the sale (with its cancellation) and the money kept. */
  'sale.cancelled': { sale: SaleSnapshot; keptMinor: number };
  'voucher.expired': { voucher: VoucherSnapshot };
}

export type HostEventType = keyof HostEventMap;

export type HostEvent<T extends HostEventType = HostEventType> = {
  [K in T]: { type: K; orgId: number; occurredAt: number; data: HostEventMap[K] };
}[T];

export const HOST_EVENT_TYPES: HostEventType[] = ['sale.completed', 'refund.issued', 'payment.received', 'payout.paid', 'sale.cancelled', 'voucher.expired'];
