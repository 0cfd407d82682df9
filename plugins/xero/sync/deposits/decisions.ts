// Deposits, pure: which payment is a deposit (posted as a Xero prepayment because its sale's invoice is not
// in Xero yet and waits for its service date), which refund is money given back out of a deposit before the
// invoice, and how much of each prepayment is allocated to the invoice once it exists. Amounts in the sale
// currency's minor units (prepayments are in the organisation's base currency only, as Xero's are).

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
 * given back out of it), no more than the invoice still has due after the allocations before it. Xero
 * refuses more than either (the remaining credit, the invoice's AmountDue).
 */
export function allocationAmounts(deposits: readonly HeldDeposit[], invoiceDueMinor: number): { paymentId: number; amountMinor: number }[] {
  let due = invoiceDueMinor;
  return deposits.map((d) => {
    const amountMinor = Math.max(0, Math.min(heldMinor(d), due));
    due -= amountMinor;
    return { paymentId: d.paymentId, amountMinor };
  });
}

/** What the sale's page says of a deposit, on its sync state. */
export function depositNote(s: { invoiceNumber: string; allocatedOn: string | null; allocatedMinor: number | null; currency: string; format: (minor: number) => string }): string {
  if (s.allocatedOn === null) return `Deposit held in Xero as a prepayment until the invoice ${s.invoiceNumber} is posted; it is then allocated to it`;
  if (s.allocatedMinor === 0) return `Deposit held in Xero as a prepayment; nothing left of it to allocate to ${s.invoiceNumber}`;
  return `Deposit held in Xero as a prepayment; ${s.format(s.allocatedMinor ?? 0)} ${s.currency} allocated to the invoice ${s.invoiceNumber} on ${s.allocatedOn}`;
}
