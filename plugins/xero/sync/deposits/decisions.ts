// Deposits, pure: which payment is a deposit (posted as a Xero prepayment because its sale's invoice is not
// in Xero yet and waits for its service date), which refund is money given back out of a deposit before the
// invoice, and how much of each prepayment is allocated to the invoice once it exists. Amounts in the sale
// currency's minor units (prepayments are in the organisation's base currency only, as Xero's are).
import { formatCalendarDay } from '../../../../server/plugins/contract';

export interface DepositContext {
  /** The sale's invoice has a Xero id (created or adopted). */
  invoiceInXero: boolean;
  /** When the sale's invoice waits for its service date: the instant it is posted; else null. */
  invoiceWaitsUntil: number | null;
  saleCurrency: string;
  baseCurrency: string;
}

/**
 * A payment is posted as a prepayment when its invoice is not in Xero and waits for its service date (a
 * deposit on next month's booking): posting it at once puts the money in the books the day it is taken,
 * instead of leaving it out of Xero until the service. Xero takes prepayments in the base currency only;
 * a payment in another currency waits behind its invoice, as before.
 */
export function isDeposit(c: DepositContext): boolean {
  return !c.invoiceInXero && c.invoiceWaitsUntil !== null && c.saleCurrency === c.baseCurrency;
}

export interface HeldDeposit {
  paymentId: number;
  amountMinor: number;
  /** Given back out of it already (earlier refunds out of deposits). */
  refundedMinor: number;
}

/** What is left of a deposit's prepayment once its refunds are paid out of it. */
export const heldMinor = (d: HeldDeposit): number => d.amountMinor - d.refundedMinor;

/**
 * A refund with a method (money went back) recorded while the invoice is not in Xero is paid out of the
 * deposit that holds enough for it (the latest such): the deposit whose payment it gives back. Null: no
 * single deposit holds it (or no money went back, or the invoice is in Xero), and the refund takes its usual
 * course with its credit note after the invoice (README "Refunds").
 */
export function depositToRefundFrom(refund: { method: string | null; amountMinor: number }, invoiceInXero: boolean, deposits: readonly HeldDeposit[]): number | null {
  if (refund.method === null || invoiceInXero || refund.amountMinor <= 0) return null;
  const holding = deposits.filter((d) => heldMinor(d) >= refund.amountMinor);
  return holding.length > 0 ? holding[holding.length - 1]!.paymentId : null;
}

/**
 * How much of a deposit's prepayment goes to the invoice: what it still holds (what was paid less what was
 * given back out of it), no more than the invoice still has due. Xero refuses more than either (the
 * remaining credit, the invoice's AmountDue).
 */
export const allocationAmount = (d: HeldDeposit, invoiceDueMinor: number): number => Math.max(0, Math.min(heldMinor(d), invoiceDueMinor));

/**
 * What the invoice still owes as far as our own records tell, without asking Xero: its total as Xero
 * computed it when it was posted, less what the sale's deposits already allocated to it. Null when the
 * total is not known. An accountant's change in Xero since then is not in it: Xero refuses an allocation
 * above what the invoice owes (nothing is allocated), and the push then reads the invoice (push.ts).
 */
export function dueByOurRecords(invoiceTotalMinor: number | null, allocatedMinor: readonly number[]): number | null {
  if (invoiceTotalMinor === null) return null;
  return invoiceTotalMinor - allocatedMinor.reduce((sum, a) => sum + a, 0);
}

/**
 * Whether to read the invoice from Xero before allocating: when our own figure is unknown, or when it would
 * cap a deposit below what it holds (the invoice may owe more in Xero now, and the cap is then Xero's to
 * say). Otherwise every deposit goes in full, and a refusal is what tells of a change in Xero.
 */
export function mustReadInvoiceFirst(deposits: readonly HeldDeposit[], dueMinor: number | null): boolean {
  return dueMinor === null || deposits.reduce((sum, d) => sum + Math.max(0, heldMinor(d)), 0) > dueMinor;
}

/**
 * Groups (one sale's deposits each) packed into calls of at most `perCall` elements, in order: a sale's
 * deposits go in one call (its item is marked and answered once), a new call starting when the next sale
 * would not fit; only a sale with more deposits than a call takes is split across calls.
 */
export function packInCalls<T>(groups: readonly (readonly T[])[], perCall: number): T[][] {
  const calls: T[][] = [];
  let current: T[] = [];
  for (const group of groups) {
    if (group.length === 0) continue;
    if (current.length > 0 && current.length + group.length > perCall) {
      calls.push(current);
      current = [];
    }
    for (const element of group) {
      if (current.length === perCall) {
        calls.push(current);
        current = [];
      }
      current.push(element);
    }
  }
  if (current.length > 0) calls.push(current);
  return calls;
}

/** What the sale's page says of a deposit, on its sync state; the day in the house style ("14 Jun 2027"). */
export function depositNote(s: { invoiceNumber: string; allocatedOn: string | null; allocatedMinor: number | null; currency: string; format: (minor: number) => string }): string {
  if (s.allocatedOn === null) return `Deposit held in Xero as a prepayment until the invoice ${s.invoiceNumber} is posted; it is then allocated to it`;
  if (s.allocatedMinor === 0) return `Deposit held in Xero as a prepayment; nothing left of it to allocate to ${s.invoiceNumber}`;
  return `Deposit held in Xero as a prepayment; ${s.format(s.allocatedMinor ?? 0)} ${s.currency} allocated to the invoice ${s.invoiceNumber} on ${formatCalendarDay(s.allocatedOn)}`;
}
