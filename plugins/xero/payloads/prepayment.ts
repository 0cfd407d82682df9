// A deposit as Xero takes it: the customer's money received before the sale's invoice exists is a
// RECEIVE-PREPAYMENT into the payment method's account, for the customer's contact; when the invoice exists
// the prepayment's credit is allocated to it (buildAllocation), and money given back before then is a
// refund paid out of the prepayment. Pure. Lines are tax-inclusive, so the prepayment's total is the amount
// paid whatever the rate (the deposit's VAT is Xero's to compute, as at the desk).
import { PermanentError } from '../../../server/errors';
import type { PaymentSnapshot, RefundSnapshot, SaleSnapshot } from '../../../server/plugins/contract';
import { resolvePaymentAccount } from '../mappings/resolve';
import type { ResolvedMappings } from '../mappings/types';
import type { XeroPayment, XeroPrepaymentReceipt } from '../gateway/documents';
import { xeroDate } from './dates';
import { buildingPayload, clipText } from './guard';
import { creditNoteNumberFor, invoiceNumberFor, paymentKeyFor } from './numbers';
import { xeroAmount } from './payment';

const MAX_REFERENCE = 255;
const MAX_DESCRIPTION = 4000;

/** The Reference a deposit's prepayment carries: the payment's key (found by it after a crash), then the provider's. */
export const prepaymentReferenceFor = (payment: Pick<PaymentSnapshot, 'id' | 'providerRef'>, m: Pick<ResolvedMappings, 'invoiceNumberPrefix'>): string =>
  clipText(`${paymentKeyFor(payment.id, m)}${payment.providerRef ? ` ${payment.providerRef}` : ''}`, MAX_REFERENCE);

export function buildPrepaymentReceipt(
  payment: PaymentSnapshot, sale: Pick<SaleSnapshot, 'id' | 'reference'>, m: ResolvedMappings, opts: { contactId: string; timeZone?: string },
): XeroPrepaymentReceipt {
  return buildingPayload(`the deposit ${payment.id}`, () => {
    const invoice = invoiceNumberFor(sale.id, m);
    return {
      Type: 'RECEIVE-PREPAYMENT',
      Contact: { ContactID: opts.contactId },
      BankAccount: resolvePaymentAccount(payment.method, payment.currency, m),
      Date: xeroDate(payment.receivedAt, opts.timeZone),
      Reference: prepaymentReferenceFor(payment, m),
      CurrencyCode: payment.currency,
      LineAmountTypes: 'Inclusive',
      LineItems: [{
        Description: clipText(`Deposit towards ${invoice}${sale.reference ? ` (${sale.reference})` : ''}, paid before its invoice`, MAX_DESCRIPTION),
        Quantity: 1,
        UnitAmount: xeroAmount(payment.amountMinor, payment.currency),
        AccountCode: m.defaultSalesAccountCode,
        TaxType: m.defaultTaxType,
      }],
    };
  });
}

/** Money given back out of a deposit's prepayment (before its invoice), from the refund method's account. */
export function buildPrepaymentRefund(
  refund: RefundSnapshot, prepaymentId: string, amountMinor: number, m: ResolvedMappings, opts: { timeZone?: string } = {},
): XeroPayment {
  return buildingPayload(`the refund ${refund.id} of a deposit`, () => {
    if (!refund.method) throw new PermanentError(`Refund ${refund.id} has no payment method, so there is no account to pay it out of`);
    if (amountMinor <= 0) throw new PermanentError(`Refund ${refund.id}: nothing to pay out of the deposit`);
    return {
      Prepayment: { PrepaymentID: prepaymentId },
      Account: resolvePaymentAccount(refund.method, refund.currency, m),
      Date: xeroDate(refund.createdAt, opts.timeZone),
      Amount: xeroAmount(amountMinor, refund.currency),
      Reference: clipText(`${creditNoteNumberFor(refund.id, m)}${refund.providerRef ? ` ${refund.providerRef}` : ''}`, MAX_REFERENCE),
    };
  });
}
