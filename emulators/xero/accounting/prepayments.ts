// Prepayments: money received from a customer before there is an invoice to pay. Xero creates one from a
// RECEIVE-PREPAYMENT bank transaction (bank.ts); its credit is then allocated to AUTHORISED invoices of the
// same contact and currency (PUT /Prepayments/{id}/Allocations), or paid back (PUT /Payments with
// `Prepayment: {PrepaymentID}`, an ARPREPAYMENTPAYMENT). RemainingCredit never goes below zero; a
// prepayment with none left is PAID.
import { msDate, parseXeroDate, startOfDay } from './dates';
import { settleStatus } from './documents';
import { recordHistory } from './history';
import { objectOf, readAllocationInput } from './allocationInput';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import { amountDue, type BankTransactionRecord, type Book, type PaymentRecord, type PrepaymentAllocationRecord, type PrepaymentRecord } from './model';
import { formatCents, toCents } from './money';
import { acceptsPayments, findAccountRef } from './rules/accounts';
import { lockDateError } from './rules/lockDates';
import { allocationAnswer, contactRef, currencyRate, day, DEFAULT_SERIALIZE, money, paymentSummary, serializeLine, serializePayment, type Json, type SerializeOptions } from './serialize';

export const PREPAYMENT_BANK_TYPE = 'RECEIVE-PREPAYMENT';
export const OVER_ALLOCATION_MESSAGE = 'The amount allocated exceeds the remaining credit on this prepayment or the amount due on the invoice';
export const PREPAYMENT_CURRENCY_MESSAGE = 'Prepayments can only be made in the base currency of the organisation.';
export const OVER_REFUND_MESSAGE = 'Payment amount exceeds the remaining credit on this prepayment';

export const remainingCredit = (p: Pick<PrepaymentRecord, 'Total' | 'AmountApplied'>): number => p.Total - p.AmountApplied;

function settle(p: PrepaymentRecord, now: number): void {
  p.Status = remainingCredit(p) === 0 ? 'PAID' : 'AUTHORISED';
  p.UpdatedDateUTC = now;
}

/** The Prepayment a RECEIVE-PREPAYMENT bank transaction creates; its id is put on the transaction. */
export function createPrepaymentFrom(book: Book, txn: BankTransactionRecord, now: number, keepId?: string): PrepaymentRecord {
  const prepayment: PrepaymentRecord = {
    PrepaymentID: keepId ?? newId(),
    BankTransactionID: txn.BankTransactionID,
    Type: PREPAYMENT_BANK_TYPE,
    ContactID: txn.ContactID!,
    Date: txn.Date,
    Status: 'AUTHORISED',
    LineAmountTypes: txn.LineAmountTypes,
    CurrencyCode: txn.CurrencyCode,
    CurrencyRate: txn.CurrencyRate,
    lines: txn.lines,
    SubTotal: txn.SubTotal,
    TotalTax: txn.TotalTax,
    Total: txn.Total,
    TotalDiscount: txn.TotalDiscount,
    AmountApplied: 0,
    UpdatedDateUTC: now,
  };
  book.prepayments.set(prepayment.PrepaymentID, prepayment);
  txn.PrepaymentID = prepayment.PrepaymentID;
  return prepayment;
}

/** Why a prepayment's bank transaction may not be changed any more, or undefined. */
export function prepaymentEditRefusal(book: Book, txn: BankTransactionRecord): string | undefined {
  const prepayment = txn.PrepaymentID ? book.prepayments.get(txn.PrepaymentID) : undefined;
  if (prepayment && prepayment.AmountApplied > 0) return 'This prepayment cannot be edited or deleted as it has been allocated or refunded.';
  return undefined;
}

/** A prepayment bank transaction deleted: its prepayment goes with it. */
export function voidPrepaymentOf(book: Book, txn: BankTransactionRecord, now: number): void {
  const prepayment = txn.PrepaymentID ? book.prepayments.get(txn.PrepaymentID) : undefined;
  if (prepayment) { prepayment.Status = 'VOIDED'; prepayment.UpdatedDateUTC = now; }
}

export function allocatePrepayment(prepayment: PrepaymentRecord, raw: unknown, { book, now }: { book: Book; now: number }): ElementOutcome {
  const input = objectOf(raw);
  if (!input) return failed(raw, ['Allocation must be an object.']);
  const { invoice, amount, date, errors } = readAllocationInput(book, input, { checkLockDate: true });
  if (prepayment.Status !== 'AUTHORISED') errors.push('Prepayment must be AUTHORISED to allocate it.');
  if (invoice) {
    if (invoice.Type !== 'ACCREC') errors.push('A RECEIVE-PREPAYMENT can only be allocated to ACCREC invoices.');
    if (invoice.Status !== 'AUTHORISED') errors.push('Invoice must be AUTHORISED to allocate a prepayment to it.');
    if (invoice.ContactID !== prepayment.ContactID) errors.push('The prepayment and the invoice must be for the same contact.');
    if (invoice.CurrencyCode !== prepayment.CurrencyCode) errors.push('The prepayment and the invoice must be in the same currency.');
    if (amount !== undefined && (amount > amountDue(invoice) || amount > remainingCredit(prepayment))) errors.push(OVER_ALLOCATION_MESSAGE);
  }
  if (errors.length > 0 || !invoice || amount === undefined || date === undefined) return failed(raw, errors);

  const allocation: PrepaymentAllocationRecord = { AllocationID: newId(), prepaymentId: prepayment.PrepaymentID, invoiceId: invoice.id, Amount: amount, Date: date, IsDeleted: false };
  book.prepaymentAllocations.set(allocation.AllocationID, allocation);
  // Xero counts a prepayment applied to an invoice in its AmountPaid (it is money received).
  invoice.AmountPaid += amount;
  invoice.UpdatedDateUTC = now;
  settleStatus(invoice, date);
  prepayment.AmountApplied += amount;
  settle(prepayment, now);
  recordHistory(book, 'Invoices', invoice.id, 'Prepayment Applied', `Prepayment for ${formatCents(amount)} applied.`, now);
  return { ok: true, json: serializePrepaymentAllocation(book, allocation) };
}

/** DELETE /Prepayments/{id}/Allocations/{allocationId}: the credit goes back to the prepayment. */
export function deletePrepaymentAllocation(book: Book, allocation: PrepaymentAllocationRecord, now: number): void {
  allocation.IsDeleted = true;
  const invoice = book.invoices.get(allocation.invoiceId);
  if (invoice) { invoice.AmountPaid -= allocation.Amount; invoice.UpdatedDateUTC = now; settleStatus(invoice, now); }
  const prepayment = book.prepayments.get(allocation.prepaymentId);
  if (prepayment) { prepayment.AmountApplied -= allocation.Amount; settle(prepayment, now); }
}

/** PUT /Payments {Prepayment: {PrepaymentID}, Account, Amount}: money paid back out of the prepayment. */
export function refundPrepayment(raw: Record<string, unknown>, { book, now }: { book: Book; now: number }): ElementOutcome {
  const errors: string[] = [];
  const id = objectOf(raw.Prepayment)?.PrepaymentID;
  const prepayment = typeof id === 'string' ? book.prepayments.get(id.toLowerCase()) : undefined;
  if (!prepayment) errors.push('The document to pay could not be found.');
  const account = findAccountRef(book, raw.Account);
  if (!account) errors.push(raw.Account ? 'The payment account could not be found.' : 'An Account must be specified for the payment.');
  else if (!acceptsPayments(account)) errors.push(`Account code '${account.Code ?? ''}' is not a bank account and does not have payments enabled (EnablePaymentsToAccount).`);
  const amount = toCents(raw.Amount);
  if (amount === undefined || amount <= 0) errors.push('Payment amount must be greater than zero.');
  const date = raw.Date === undefined ? startOfDay(now) : parseXeroDate(raw.Date);
  if (date === undefined) errors.push(`The date '${String(raw.Date)}' is not a valid date.`);
  const locked = date === undefined ? undefined : lockDateError(book, date);
  if (locked) errors.push(locked);
  if (prepayment) {
    if (prepayment.Status !== 'AUTHORISED') errors.push('Payments can only be made against AUTHORISED documents.');
    else if (amount !== undefined && amount > remainingCredit(prepayment)) errors.push(OVER_REFUND_MESSAGE);
    if (account && (account.CurrencyCode ?? book.organisation.BaseCurrency) !== prepayment.CurrencyCode) {
      errors.push(`The bank account currency ${account.CurrencyCode ?? book.organisation.BaseCurrency} does not match the document currency ${prepayment.CurrencyCode}.`);
    }
  }
  if (errors.length > 0 || !prepayment || !account || amount === undefined || date === undefined) return failed(raw, errors);

  const payment: PaymentRecord = {
    PaymentID: newId(),
    documentKind: 'prepayment',
    documentId: prepayment.PrepaymentID,
    AccountID: account.AccountID,
    Date: date,
    Amount: amount,
    BankAmount: amount,
    CurrencyRate: prepayment.CurrencyRate,
    ...(typeof raw.Reference === 'string' ? { Reference: raw.Reference } : {}),
    IsReconciled: raw.IsReconciled === true,
    Status: 'AUTHORISED',
    PaymentType: 'ARPREPAYMENTPAYMENT',
    UpdatedDateUTC: now,
  };
  book.payments.set(payment.PaymentID, payment);
  prepayment.AmountApplied += amount;
  settle(prepayment, now);
  recordHistory(book, 'Payments', payment.PaymentID, 'Created', `Refund of ${formatCents(amount)} paid out of a prepayment.`, now);
  return { ok: true, json: serializePayment(book, payment) };
}

/** A prepayment's refund deleted (POST /Payments/{id} DELETED): its credit is back. */
export function restoreRefundedCredit(book: Book, payment: PaymentRecord, now: number): void {
  const prepayment = book.prepayments.get(payment.documentId);
  if (prepayment) { prepayment.AmountApplied -= payment.Amount; settle(prepayment, now); }
}

export function serializePrepaymentAllocation(book: Book, allocation: PrepaymentAllocationRecord, withPrepayment = true): Json {
  const prepayment = book.prepayments.get(allocation.prepaymentId);
  return {
    ...allocationAnswer(book, allocation, 'AmountPaid'),
    Prepayment: withPrepayment && prepayment ? { PrepaymentID: prepayment.PrepaymentID, RemainingCredit: money(remainingCredit(prepayment)), Status: prepayment.Status } : undefined,
  };
}

export function serializePrepayment(book: Book, p: PrepaymentRecord, options: SerializeOptions = DEFAULT_SERIALIZE): Json {
  const allocations = [...book.prepaymentAllocations.values()].filter((a) => !a.IsDeleted && a.prepaymentId === p.PrepaymentID);
  const refunds = [...book.payments.values()].filter((pay) => pay.documentKind === 'prepayment' && pay.documentId === p.PrepaymentID && pay.Status === 'AUTHORISED');
  return {
    PrepaymentID: p.PrepaymentID,
    Type: p.Type,
    Contact: contactRef(book, p.ContactID),
    ...day(p.Date, 'Date'),
    Status: p.Status,
    LineAmountTypes: p.LineAmountTypes,
    LineItems: options.includeLines ? p.lines.map((line) => serializeLine(line, options)) : undefined,
    SubTotal: money(p.SubTotal),
    TotalTax: money(p.TotalTax),
    Total: money(p.Total),
    UpdatedDateUTC: msDate(p.UpdatedDateUTC),
    CurrencyCode: p.CurrencyCode,
    CurrencyRate: currencyRate(p.CurrencyRate),
    RemainingCredit: money(remainingCredit(p)),
    Allocations: allocations.map((a) => serializePrepaymentAllocation(book, a, false)),
    Payments: refunds.map(paymentSummary),
    HasAttachments: false,
  };
}
