// A payment's excess over what its sale owed, as Xero keeps a customer's credit: a RECEIVE-OVERPAYMENT bank
// transaction into the payment method's account for the customer's contact (Xero makes it an Overpayment),
// and a later payment from that credit as allocations of those overpayments to the new invoice. Pure.
import { PermanentError } from '../../../server/errors';
import { minorUnitDigits, type PaymentSnapshot } from '../../../server/plugins/contract';
import type { XeroAllocation, XeroOverpaymentDraft } from '../gateway/documents';
import { resolvePaymentAccount } from '../mappings/resolve';
import type { ResolvedMappings } from '../mappings/types';
import { exactNumber, minorToXeroCents, XERO_AMOUNT_DP } from './arithmetic';
import { xeroDate } from './dates';
import { buildingPayload, clipText } from './guard';
import { paymentKeyFor } from './numbers';

/** Our key on the overpayment: the payment's key, so the accountant sees which payment it came from. */
export const overpaymentReferenceFor = (paymentId: number, m: ResolvedMappings): string => `${paymentKeyFor(paymentId, m)} overpayment`;

/** Minor units of `currency` as Xero's hundredths (3-dp currencies round half away from zero, as documents do). */
export function xeroCentsOf(minor: number, currency: string): number {
  return Number(minorToXeroCents(BigInt(minor), minorUnitDigits(currency)));
}

const amountOf = (minor: number, currency: string): number => exactNumber(BigInt(xeroCentsOf(minor, currency)), XERO_AMOUNT_DP);

export function buildOverpayment(
  payment: PaymentSnapshot, contactId: string, invoiceNumber: string, m: ResolvedMappings, opts: { timeZone?: string } = {},
): XeroOverpaymentDraft {
  return buildingPayload(`the overpayment of payment ${payment.id}`, () => {
    const credit = payment.creditMinor ?? 0;
    if (credit <= 0) throw new PermanentError(`Payment ${payment.id} paid no more than its sale owed; there is no overpayment to post`);
    return {
      Type: 'RECEIVE-OVERPAYMENT',
      Contact: { ContactID: contactId },
      BankAccount: resolvePaymentAccount(payment.method, payment.currency, m),
      Date: xeroDate(payment.receivedAt, opts.timeZone),
      Reference: overpaymentReferenceFor(payment.id, m),
      CurrencyCode: payment.currency,
      LineAmountTypes: 'NoTax',
      LineItems: [{ Description: clipText(`Overpayment of ${invoiceNumber}: kept as the customer's credit`, 4000), LineAmount: amountOf(credit, payment.currency) }],
    };
  });
}

/** One draw of a payment from credit: that much of an overpayment allocated to the new sale's invoice, on the payment's day. */
export function buildCreditAllocation(amountMinor: number, currency: string, invoiceId: string, receivedAt: number, opts: { timeZone?: string } = {}): XeroAllocation {
  return buildingPayload('an allocation of customer credit', () => ({
    Amount: amountOf(amountMinor, currency),
    Invoice: { InvoiceID: invoiceId },
    Date: xeroDate(receivedAt, opts.timeZone),
  }));
}
