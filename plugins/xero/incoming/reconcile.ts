// Pure decisions for an invoice read back from Xero: which of its payments the sale must gain and which it
// must lose. The sale holds Xero-sourced payments as method `xero` with the Xero PaymentID as reference.
//  - a live payment is ours when we pushed it (a payment of the sale: xero_records): our own write echoing
//    back, nothing to do; otherwise, unless already on the sale, it is added;
//  - a `xero` payment on the sale that Xero no longer lists was deleted there: it is removed.
// Duplicates and out-of-order events converge on the same answer, because the answer depends only on the
// invoice as it is now.
import { minorUnitDigits } from '../../../server/plugins/contract';
import type { AppliedPayment } from '../gateway/answers';

export const XERO_METHOD = 'xero';

export interface RecordedXeroPayment { providerRef: string; amountMinor: number }

export interface PaymentPlan { add: AppliedPayment[]; remove: RecordedXeroPayment[] }

export function planPayments(input: { live: readonly AppliedPayment[]; ours: ReadonlySet<string>; recorded: readonly RecordedXeroPayment[] }): PaymentPlan {
  const norm = (id: string) => id.toLowerCase();
  const liveIds = new Set(input.live.map((p) => norm(p.paymentId)));
  const recordedIds = new Set(input.recorded.map((p) => norm(p.providerRef)));
  return {
    add: input.live.filter((p) => !input.ours.has(norm(p.paymentId)) && !recordedIds.has(norm(p.paymentId))),
    remove: input.recorded.filter((p) => !liveIds.has(norm(p.providerRef))),
  };
}

/** Xero keeps every amount at 2 dp ("Xero cents"); the sale's currency may have 0 or 3. Null when not exact. */
export function xeroCentsToMinor(cents: number, currency: string): number | null {
  const digits = minorUnitDigits(currency);
  if (digits === 2) return cents;
  if (digits > 2) return cents * 10 ** (digits - 2);
  const unit = 10 ** (2 - digits);
  return cents % unit === 0 ? cents / unit : null;
}

/** "Paid in Xero: bank transfer, 2 Dec" — what the sale page shows for the payment. */
export function paidInXeroNote(payment: Pick<AppliedPayment, 'reference' | 'date'>, timeZone = 'UTC'): string {
  const day = new Date(payment.date).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', timeZone });
  const what = payment.reference?.trim() || 'payment';
  return `Paid in Xero: ${what.slice(0, 150)}, ${day}`;
}
