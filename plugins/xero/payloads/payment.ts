// Payments into Xero: a sale's payment on its invoice, a refund paid out against its credit note, and a
// credit note's allocation to the invoice. The account comes from the payment method's mapping; a method
// with none is a PermanentError the admin fixes on the settings page.
import { PermanentError } from '../../../server/errors';
import { money, minorUnitDigits, type PaymentSnapshot, type RefundSnapshot } from '../../../server/plugins/contract';
import { resolvePaymentAccount } from '../mappings/resolve';
import { exactNumber, minorToXeroCents, XERO_AMOUNT_DP } from './arithmetic';
import { xeroDate } from './dates';
import { creditNoteNumberFor, paymentKeyFor } from './numbers';
import type { ResolvedMappings } from '../mappings/types';
import type { XeroAllocation, XeroPayment } from '../gateway/documents';
import { buildingPayload, clipText } from './guard';

const { parseDecimal, rescale } = money;

const MAX_REFERENCE = 255;

/** Amount at Xero's 2 dp (3-dp currencies round half away from zero, as their documents do). */
export function xeroAmount(minor: number, currency: string): number {
  return exactNumber(minorToXeroCents(BigInt(minor), minorUnitDigits(currency)), XERO_AMOUNT_DP);
}

function amountText(text: string): number {
  const parsed = parseDecimal(text);
  const cents = parsed.ok ? rescale(parsed.value, XERO_AMOUNT_DP) : null;
  if (cents === null || cents <= 0n) throw new PermanentError(`"${text}" is not a positive amount with at most 2 decimal places`);
  return exactNumber(cents, XERO_AMOUNT_DP);
}

export function buildPayment(payment: PaymentSnapshot, invoiceId: string, m: ResolvedMappings, opts: { timeZone?: string } = {}): XeroPayment {
  return buildingPayload(`the payment ${payment.id}`, () => {
    const account = resolvePaymentAccount(payment.method, payment.currency, m);
    const key = paymentKeyFor(payment.id, m);
    return {
      Invoice: { InvoiceID: invoiceId },
      Account: account,
      Date: xeroDate(payment.receivedAt, opts.timeZone),
      // An overpayment pays its invoice only what was owed; the excess is the customer's credit (an Overpayment).
      Amount: xeroAmount(payment.amountMinor - (payment.creditMinor ?? 0), payment.currency),
      // Our key first (reconcile-before-retry finds it), then the provider's id (payout matching reads it).
      Reference: clipText(`${key}${payment.providerRef ? ` ${payment.providerRef}` : ''}`, MAX_REFERENCE),
    };
  });
}

/**
 * The money going back to the customer, as a payment on the credit note out of the refund method's
 * account. `amount` (2 dp) defaults to the whole refund; pass what is left when part was allocated.
 */
export function buildCreditNoteRefundPayment(
  refund: RefundSnapshot, creditNoteId: string, m: ResolvedMappings, opts: { amount?: string; timeZone?: string } = {},
): XeroPayment {
  return buildingPayload(`the pay-out of refund ${refund.id}`, () => {
    if (!refund.method) throw new PermanentError(`Refund ${refund.id} has no payment method, so there is no account to pay it out of`);
    const account = resolvePaymentAccount(refund.method, refund.currency, m);
    const number = creditNoteNumberFor(refund.id, m);
    return {
      CreditNote: { CreditNoteID: creditNoteId },
      Account: account,
      Date: xeroDate(refund.createdAt, opts.timeZone),
      Amount: opts.amount !== undefined ? amountText(opts.amount) : xeroAmount(refund.amountMinor, refund.currency),
      Reference: clipText(`${number}${refund.providerRef ? ` ${refund.providerRef}` : ''}`, MAX_REFERENCE),
    };
  });
}

/** Allocate (part of) a credit note to its invoice: `amount` is a 2-dp decimal, e.g. BuiltCreditNote.allocationAmount. */
export function buildAllocation(amount: string, invoice: { InvoiceID: string }, date: string): XeroAllocation {
  return { Amount: amountText(amount), Invoice: { InvoiceID: invoice.InvoiceID }, Date: date };
}
