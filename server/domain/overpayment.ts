// The arithmetic of overpayments and customer credit, pure and in integer minor units of one currency.
// A payment above what its sale still owes pays the sale up to what is outstanding; the excess is the
// customer's credit. A later payment from that credit draws on the oldest overpayments first.

export interface PaymentSplit {
  /** What pays the sale: never more than was outstanding. */
  appliedMinor: number;
  /** The excess, kept as the customer's credit; 0 when the payment fits. */
  creditMinor: number;
}

/** Split a payment of `amountMinor` on a sale owing `outstandingMinor` (≤ 0: nothing owed). */
export function splitPayment(amountMinor: number, outstandingMinor: number): PaymentSplit {
  if (!Number.isSafeInteger(amountMinor) || amountMinor <= 0) throw new RangeError(`amount ${amountMinor} is not a positive integer of minor units`);
  const appliedMinor = Math.min(amountMinor, Math.max(0, outstandingMinor));
  return { appliedMinor, creditMinor: amountMinor - appliedMinor };
}

export interface CreditSource {
  /** The overpaying payment. */
  paymentId: number;
  /** Its credit not yet spent. */
  remainingMinor: number;
}

export interface CreditDraw {
  paymentId: number;
  amountMinor: number;
}

/**
 * Which overpayments pay `amountMinor`, oldest (lowest id) first; null when together they hold less.
 * The draws add up to `amountMinor` exactly and never take more than a source has left.
 */
export function drawCredit(sources: readonly CreditSource[], amountMinor: number): CreditDraw[] | null {
  const draws: CreditDraw[] = [];
  let left = amountMinor;
  for (const source of [...sources].sort((a, b) => a.paymentId - b.paymentId)) {
    if (left === 0) break;
    const take = Math.min(left, source.remainingMinor);
    if (take > 0) draws.push({ paymentId: source.paymentId, amountMinor: take });
    left -= take;
  }
  return left === 0 ? draws : null;
}
