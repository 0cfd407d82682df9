// The vocabulary every step shares: who asked, what a record is in xero_records, and the outbox subject
// that keeps one sale's work in order (its invoice, then its credit notes and payments, and a payout's
// converted charge or refund of that sale).
import type { SyncEntityType } from '../../../server/plugins/contract';

/** Who asked: the system (events, backfill, sweeps) or a person ("send now", a sign-off). Kept in the audit trail. */
export type TriggeredBy = 'system' | `user:${number}`;

/** xero_records.record_type values. */
export type XeroRecordType = 'invoice' | 'credit_note' | 'allocation' | 'refund_payment' | 'payment' | 'contact' | 'payout' | 'payout_match'
  /** A deposit (sync/deposits/): its prepayment, that prepayment's allocation to the invoice, a refund paid out of it. */
  | 'prepayment' | 'prepayment_allocation' | 'prepayment_refund'
  /** A sale's receipt PDF attached to its invoice (sync/receipts.ts). */
  | 'receipt'
  /** An expired gift voucher's balance moved to revenue (sync/voucherJournals.ts). */
  | 'voucher_journal'
  /** A payment's excess over what its sale owed, kept as the customer's credit (RECEIVE-OVERPAYMENT). */
  | 'overpayment'
  /** A change to a payout rule (payouts/ruleChanges.ts): who made it, the rule before and after. */
  | 'payout_rule';
/** payout_rule: the audit trail's rows about one payout rule (its id; the rule itself may be deleted since). */
export type XeroEntityType = SyncEntityType | 'customer' | 'voucher' | 'payout_rule';

/** The outbox subject of everything that belongs to one sale: a credit note or payment waits for its invoice. */
export const saleSubject = (saleId: number): string => `xero:sale:${saleId}`;
