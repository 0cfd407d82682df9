// Outbox item types of the sync engine and their payloads. Payloads carry ids only: every handler reads
// the current record from the host (ctx.records), so the same item types serve real time (subscribers),
// "send now" (routes) and a later history import (backfill) alike.
import type { SyncEntityType } from '../../../server/plugins/contract';
import type { TriggeredBy } from '../engine/types';

export const INVOICE_PUSH = 'xero.invoice.push';
export const CREDIT_NOTE_PUSH = 'xero.creditnote.push';
export const PAYMENT_PUSH = 'xero.payment.push';
export const HISTORY_NOTE = 'xero.history.note';
/** A sale's deposits: prepayments, refunds out of them, their allocation to the invoice (deposits/). */
export const DEPOSIT_PUSH = 'xero.deposit.push';
export const RECEIPT_ATTACH = 'xero.receipt.attach';
/** An expired gift voucher's balance moved to revenue by a manual journal (voucherJournals.ts). */
export const VOUCHER_JOURNAL = 'xero.voucher.journal';

export const SYNC_ITEM_TYPES = [INVOICE_PUSH, CREDIT_NOTE_PUSH, PAYMENT_PUSH, DEPOSIT_PUSH, VOUCHER_JOURNAL] as const;
export type SyncItemType = (typeof SYNC_ITEM_TYPES)[number];

/** What each sync item puts into Xero, as the failures page says it (not "xero.invoice.push"). */
export const SYNC_ITEM_LABELS: Record<SyncItemType, string> = {
  [INVOICE_PUSH]: 'Invoice',
  [CREDIT_NOTE_PUSH]: 'Credit note (refund)',
  [PAYMENT_PUSH]: 'Payment',
  [DEPOSIT_PUSH]: 'Deposit (prepayment)',
  [VOUCHER_JOURNAL]: 'Expired voucher journal',
};

interface PushPayloadBase {
  /** Look the record up in Xero by its natural key before sending, whatever the attempt (send now). */
  reconcile?: boolean;
  triggeredBy?: TriggeredBy;
}

export interface InvoicePushPayload extends PushPayloadBase {
  saleId: number;
}

export interface CreditNotePushPayload extends PushPayloadBase {
  refundId: number;
  saleId: number;
}

export interface PaymentPushPayload extends PushPayloadBase {
  paymentId: number;
  saleId: number;
}

export interface DepositPushPayload extends PushPayloadBase {
  saleId: number;
}

export interface HistoryNotePayload {
  /** `payment`: a payment or a refund's pay-out (both are Payments in Xero). */
  recordType: 'invoice' | 'credit_note' | 'payment';
  xeroId: string;
  entityType: SyncEntityType;
  entityId: number;
  details: string;
}

export interface ReceiptAttachPayload {
  saleId: number;
  /** The sale's invoice in Xero, as created or adopted. */
  invoiceId: string;
  triggeredBy?: TriggeredBy;
}
