// The payment push's decisions, pure: what our records say before anything is sent, which payment in Xero
// is ours (adopted instead of sent again), and what a refused element means.
import { isRemovedInXero } from '../../engine/records';
import type { PaymentAnswer } from '../../gateway/answers';

export type PaymentGuard =
  /** The payment was deleted in Xero by the accountant: never pushed again. */
  | 'payment_removed'
  | 'in_xero'
  /** Its invoice is not in Xero: a payment never creates one; the item fails until the sale is sent. */
  | 'no_invoice'
  | 'invoice_removed'
  | 'proceed';

export function paymentGuard(record: { xeroId: string | null; status: string } | undefined, invoice: { xeroId: string | null; status: string } | undefined): PaymentGuard {
  if (record && isRemovedInXero(record.status)) return 'payment_removed';
  if (record?.xeroId) return 'in_xero';
  if (isRemovedInXero(invoice?.status)) return 'invoice_removed';
  if (!invoice?.xeroId) return 'no_invoice';
  return 'proceed';
}

/**
 * Our payment among those found by key: its Reference is our key, alone or followed by the provider's
 * reference, and it is on the same invoice.
 */
export function ourPayment(found: readonly PaymentAnswer[], key: string, invoiceId: string): PaymentAnswer | undefined {
  return found.find((f) => {
    const ref = f.reference ?? '';
    return (ref === key || ref.startsWith(`${key} `)) && f.invoiceId?.toLowerCase() === invoiceId.toLowerCase();
  });
}

const NOT_AUTHORISED = /only be made against AUTHORISED/i;

/** "Only AUTHORISED documents": the invoice was voided since, or is still a draft; one look at it says which. */
export const invoiceNotAuthorised = (messages: readonly string[]): boolean => messages.some((m) => NOT_AUTHORISED.test(m));

/** What the invoice of a payment Xero refused as "not AUTHORISED" turned out to be. */
export function notAuthorisedBecause(invoice: { status: string | null } | undefined): 'invoice_removed' | 'not_approved' {
  return !invoice || isRemovedInXero(invoice.status) ? 'invoice_removed' : 'not_approved';
}
