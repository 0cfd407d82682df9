// Outbox item types of the sync engine and their payloads. Payloads carry ids only: every handler reads
// the current record from the host (ctx.records), so the same item types serve real time (subscribers),
// "send now" (routes) and a later history import (backfill) alike.
import type { SyncEntityType } from '../../../server/plugins/contract';

export const INVOICE_PUSH = 'xero.invoice.push';
export const CREDIT_NOTE_PUSH = 'xero.creditnote.push';
export const PAYMENT_PUSH = 'xero.payment.push';
export const HISTORY_NOTE = 'xero.history.note';

export const SYNC_ITEM_TYPES = [INVOICE_PUSH, CREDIT_NOTE_PUSH, PAYMENT_PUSH] as const;
export type SyncItemType = (typeof SYNC_ITEM_TYPES)[number];

/** Who asked: the system (events, backfill) or a person ("send now"). Kept in the audit trail. */
export type TriggeredBy = 'system' | `user:${number}`;

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

export interface HistoryNotePayload {
  recordType: 'invoice' | 'credit_note';
  xeroId: string;
  entityType: SyncEntityType;
  entityId: number;
  details: string;
}

/** What a host entity becomes in Xero (the sync_records record type shown on the sale). */
export const RECORD_TYPE_OF: Record<'sale' | 'refund' | 'payment', 'invoice' | 'credit_note' | 'payment'> = {
  sale: 'invoice',
  refund: 'credit_note',
  payment: 'payment',
};

/** xero_records.record_type values. */
export type XeroRecordType = 'invoice' | 'credit_note' | 'allocation' | 'refund_payment' | 'payment' | 'contact' | 'payout' | 'payout_match';
export type XeroEntityType = SyncEntityType | 'customer';

/** The outbox subject of everything that belongs to one sale: a credit note or payment waits for its invoice. */
export const saleSubject = (saleId: number): string => `xero:sale:${saleId}`;
