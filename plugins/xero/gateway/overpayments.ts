// Overpayments as Xero answers them (GET /Overpayments, an allocation's answer), normalised once: ids as
// strings, amounts as integer hundredths ("Xero cents"). Xero's Overpayment is the RECEIVE-OVERPAYMENT bank
// transaction that created it (the same id).
import type { Allocation, BankTransaction, Overpayment } from 'xero-node';
import { centsOf, summaryOf, type AnswerSummary } from './answers';

export interface OverpaymentAnswer {
  overpaymentId: string;
  reference: string | null;
  /** AUTHORISED (credit left), PAID (all allocated), VOIDED. */
  status: string | null;
  remainingCreditCents: number;
  /** Its live allocations: which invoice, how much. */
  allocations: { invoiceId: string | null; amountCents: number }[];
  summary: AnswerSummary;
}

const text = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

export function overpaymentOf(o: Overpayment): OverpaymentAnswer | null {
  const id = text(o.overpaymentID);
  if (id === null) return null;
  return {
    overpaymentId: id,
    reference: text(o.reference),
    status: text(o.status),
    remainingCreditCents: centsOf(o.remainingCredit),
    allocations: (o.allocations ?? []).filter((a: Allocation) => a.isDeleted !== true)
      .map((a: Allocation) => ({ invoiceId: text(a.invoice?.invoiceID)?.toLowerCase() ?? null, amountCents: centsOf(a.amount) })),
    summary: summaryOf(o, { OverpaymentID: id, RemainingCredit: o.remainingCredit }),
  };
}

/** The Overpayment a RECEIVE-OVERPAYMENT bank transaction created: its OverpaymentID (Xero's bank transaction id otherwise). */
export function createdOverpaymentId(t: BankTransaction): string | null {
  return text(t.overpaymentID) ?? text(t.bankTransactionID);
}
