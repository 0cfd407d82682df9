// The credit-note push's decisions, pure: what the guard makes of a refund, when a lookup is worth its call,
// and what happens to the credit once the note is in Xero — allocated to the invoice, paid out, left for the
// refund's payout, or kept as the customer's credit (plugins/xero/README.md, "Refunds").
// Amounts are integer hundredths, Xero's 2 dp whatever the currency.
import { isRemovedInXero } from '../../engine/records';
import type { CreditNoteAnswer } from '../../gateway/answers';

/** The guard: the refund's note was removed in Xero, its invoice is not there or was removed, or on it goes. */
export type RefundGuard = 'proceed' | 'note_removed' | 'no_invoice' | 'invoice_removed';

export function guardRefund(note: { status: string } | undefined, invoice: { status: string } | undefined): RefundGuard {
  if (isRemovedInXero(note?.status)) return 'note_removed';
  if (!invoice) return 'no_invoice';
  if (isRemovedInXero(invoice.status)) return 'invoice_removed';
  return 'proceed';
}

/** What the sync knows of the steps of one refund (xero_records), and which requests were sent unanswered (send marks). */
export interface RefundSteps {
  hasNote: boolean;
  allocationRecorded: boolean;
  payOutRecorded: boolean;
  marked: { note: boolean; allocation: boolean; payOut: boolean };
}

/**
 * Look the note up by its number before going on: a person asked to resend, or a step not recorded was
 * sent and never answered (it may have landed). A retry after a definite refusal or a rate-budget
 * deferral looks nothing up.
 */
export function mayHaveLanded(resend: boolean, s: RefundSteps): boolean {
  return resend
    || (!s.hasNote && s.marked.note)
    || (!s.allocationRecorded && s.marked.allocation)
    || (!s.payOutRecorded && s.marked.payOut);
}

/** What earlier attempts already did on a note Xero holds: its live allocations and the payments out of it. */
export function doneOnNote(note: CreditNoteAnswer | undefined): { allocatedCents: number; paidCents: number; settled: boolean } {
  const live = (note?.allocations ?? []).filter((a) => !a.isDeleted);
  const payments = note?.payments ?? [];
  return {
    allocatedCents: live.reduce((sum, a) => sum + a.amountCents, 0),
    paidCents: payments.reduce((sum, p) => sum + p.amountCents, 0),
    settled: live.length > 0 || payments.length > 0,
  };
}

/**
 * What is allocated already: as Xero shows it on an adopted note, else as an earlier attempt recorded it
 * (xero_records.amount_cents, migration 0008; the note beside it is only what a person reads).
 */
export function allocatedSoFar(onNoteCents: number, record: { status: string; amountCents: number | null } | undefined): number {
  return onNoteCents || (record?.status === 'ALLOCATED' ? record.amountCents ?? 0 : 0);
}

/**
 * Whether the invoice's amount due no longer matters to this refund: money went back (paid out, never
 * allocated), or its allocation or pay-out is already done (recorded, or seen on the note in Xero).
 */
export function allocationSettled(method: string | null, s: Pick<RefundSteps, 'allocationRecorded' | 'payOutRecorded'>, adopted: CreditNoteAnswer | undefined): boolean {
  return method !== null || s.allocationRecorded || s.payOutRecorded || doneOnNote(adopted).settled;
}

export type AllocationDecision =
  /** An earlier attempt, or Xero's note, already settled it: nothing to send. */
  | { kind: 'settled' }
  /** Money went back (the refund has a method): the note is paid out in full, never allocated. */
  | { kind: 'money_went_back' }
  | { kind: 'allocate'; amountCents: number }
  /** The invoice has nothing left to pay (paid or credited already): all of the credit stays to pay out or keep. */
  | { kind: 'nothing_due' };

export function allocationDecision(s: {
  method: string | null;
  allocationRecorded: boolean;
  payOutRecorded: boolean;
  onNote: { allocatedCents: number; paidCents: number };
  invoiceDueCents: number;
  creditCents: number;
}): AllocationDecision {
  if (s.allocationRecorded || s.onNote.allocatedCents > 0 || s.payOutRecorded || s.onNote.paidCents > 0) return { kind: 'settled' };
  if (s.method !== null) return { kind: 'money_went_back' };
  // Xero allocates up to the invoice's AmountDue; the rest stays on the note.
  const amountCents = Math.min(s.invoiceDueCents, s.creditCents);
  return amountCents > 0 ? { kind: 'allocate', amountCents } : { kind: 'nothing_due' };
}

/** The credit still to pay out or keep: what neither an allocation nor a payment out of the note took. */
export const remainingCents = (creditCents: number, allocatedCents: number, paidOutCents: number): number =>
  Math.max(0, creditCents - allocatedCents - paidOutCents);

/** Credit is left that no earlier attempt paid out or kept: it is paid out, kept, or left for the payout now. */
export const creditLeft = (s: { payOutRecorded: boolean; remainingCents: number }): boolean => !s.payOutRecorded && s.remainingCents > 0;

export type PayOutDecision =
  /** A provider refund the provider may convert: paid out by its payout, from the clearing account, at its rate. */
  | 'awaiting_payout'
  /** No method: no money moved that we know of; the credit stays on the note as the customer's. */
  | 'keep_as_credit'
  /** Money went back: a refund payment out of the method's account. */
  | 'pay_out';

export function payOutDecision(s: { method: string | null; awaitingPayout: boolean }): PayOutDecision {
  if (s.awaitingPayout) return 'awaiting_payout';
  return s.method === null ? 'keep_as_credit' : 'pay_out';
}

/** Hundredths as Xero's 2-dp text ("12.50"): what a payload carries. */
export const amountText = (cents: number): string => (cents / 100).toFixed(2);

/** Hundredths with their currency ("12.50 GBP"): what a person reads in a note or a message, never a bare figure. */
export const moneyText = (cents: number, currency: string): string => `${amountText(cents)} ${currency}`;
