// Payments against invoices and credit notes, and credit-note allocations. Both settle a document:
// neither may exceed what is outstanding, and a document settled to zero becomes PAID.
import { parseXeroDate, startOfDay } from './dates';
import { lockDateError } from './rules/lockDates';
import { findDocument, settleStatus } from './documents';
import { recordHistory } from './history';
import { objectOf, readAllocationInput } from './allocationInput';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import { amountDue, type AllocationRecord, type Book, type DocumentRecord, type PaymentRecord } from './model';
import { divRound, formatCents, scaledToText, toCents, toScaled } from './money';
import { acceptsPayments, findAccountRef } from './rules/accounts';
import { refundPrepayment, restoreRefundedCredit } from './prepayments';
import { serializeAllocation, serializePayment } from './serialize';

export const OVERPAYMENT_MESSAGE = 'Payment amount exceeds the amount outstanding on this document';
export const OVERALLOCATION_MESSAGE = 'The amount allocated exceeds the amount outstanding on this document';

interface Ctx { book: Book; now: number }

function paymentType(doc: DocumentRecord): PaymentRecord['PaymentType'] {
  switch (doc.Type) {
    case 'ACCREC': return 'ACCRECPAYMENT';
    case 'ACCPAY': return 'ACCPAYPAYMENT';
    case 'ACCRECCREDIT': return 'ARCREDITPAYMENT';
    case 'ACCPAYCREDIT': return 'APCREDITPAYMENT';
  }
}

function findPaymentDocument(book: Book, input: Record<string, unknown>): DocumentRecord | undefined {
  const invoice = objectOf(input.Invoice);
  if (invoice) {
    const key = invoice.InvoiceID ?? invoice.InvoiceNumber;
    return typeof key === 'string' ? findDocument(book, 'invoice', key) : undefined;
  }
  const note = objectOf(input.CreditNote);
  if (note) {
    const key = note.CreditNoteID ?? note.CreditNoteNumber;
    return typeof key === 'string' ? findDocument(book, 'creditnote', key) : undefined;
  }
  return undefined;
}

export function createPayment(raw: unknown, { book, now }: Ctx): ElementOutcome {
  const input = objectOf(raw);
  if (!input) return failed(raw, ['Payment must be an object.']);
  if (input.Prepayment !== undefined) return refundPrepayment(input, { book, now });
  const errors: string[] = [];
  const doc = findPaymentDocument(book, input);
  if (!doc) errors.push(input.Invoice || input.CreditNote ? 'The document to pay could not be found.' : 'An Invoice or CreditNote must be specified for the payment.');
  const account = findAccountRef(book, input.Account);
  if (!account) errors.push(input.Account ? 'The payment account could not be found.' : 'An Account must be specified for the payment.');
  else if (!acceptsPayments(account)) errors.push(`Account code '${account.Code ?? ''}' is not a bank account and does not have payments enabled (EnablePaymentsToAccount).`);
  const amount = toCents(input.Amount);
  if (amount === undefined || amount <= 0) errors.push('Payment amount must be greater than zero.');
  const date = input.Date === undefined ? startOfDay(now) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  const locked = date === undefined ? undefined : lockDateError(book, date);
  if (locked) errors.push(locked);
  if (doc) {
    if (doc.Status !== 'AUTHORISED') errors.push('Payments can only be made against AUTHORISED documents.');
    else if (amount !== undefined && amount > amountDue(doc)) errors.push(OVERPAYMENT_MESSAGE);
    if (account?.CurrencyCode && account.Type === 'BANK' && account.CurrencyCode !== doc.CurrencyCode && account.CurrencyCode !== book.organisation.BaseCurrency) {
      errors.push(`The bank account currency ${account.CurrencyCode} does not match the document currency ${doc.CurrencyCode}.`);
    }
  }
  // CurrencyRate: units of the document's currency per base unit, kept at 6 dp (only used for documents
  // not in the base currency; without one the document's own rate — Xero would take the day's XE rate).
  const sentRate = input.CurrencyRate === undefined || input.CurrencyRate === null ? undefined : toScaled(input.CurrencyRate, 6);
  if (sentRate !== undefined && sentRate <= 0n) errors.push('The currency rate must be a positive number.');
  if (input.CurrencyRate !== undefined && input.CurrencyRate !== null && sentRate === undefined) errors.push('The currency rate must be a positive number.');
  if (errors.length > 0 || !doc || !account || amount === undefined || date === undefined) return failed(raw, errors);

  // A foreign document paid from a base-currency account converts at the payment's rate.
  const isBaseDocument = doc.CurrencyCode === book.organisation.BaseCurrency;
  const rateScaled = isBaseDocument ? 1_000_000n : (sentRate ?? toScaled(doc.CurrencyRate, 6) ?? 1_000_000n);
  const rate = scaledToText(rateScaled, 6);
  // An account without a CurrencyCode (a non-bank account with payments enabled) is in the base currency.
  const bankInDocCurrency = (account.CurrencyCode ?? book.organisation.BaseCurrency) === doc.CurrencyCode;
  const bankAmount = bankInDocCurrency ? amount : Number(divRound(BigInt(amount) * 1_000_000n, rateScaled));
  const payment: PaymentRecord = {
    PaymentID: newId(),
    documentKind: doc.kind,
    documentId: doc.id,
    AccountID: account.AccountID,
    Date: date,
    Amount: amount,
    BankAmount: bankAmount,
    CurrencyRate: rate,
    ...(typeof input.Reference === 'string' ? { Reference: input.Reference } : {}),
    IsReconciled: input.IsReconciled === true,
    Status: 'AUTHORISED',
    PaymentType: paymentType(doc),
    UpdatedDateUTC: now,
  };
  book.payments.set(payment.PaymentID, payment);
  doc.AmountPaid += amount;
  doc.UpdatedDateUTC = now;
  // FullyPaidOnDate is the date of the settling payment, not the day it was recorded.
  settleStatus(doc, date);
  const endpoint = doc.kind === 'invoice' ? 'Invoices' : 'CreditNotes';
  recordHistory(book, endpoint, doc.id, 'Payment Received', `Payment received from ${book.contacts.get(doc.ContactID)?.Name ?? ''} on ${new Date(date).toISOString().slice(0, 10)} for ${formatCents(amount)}.`, now);
  recordHistory(book, 'Payments', payment.PaymentID, 'Created', `Payment of ${formatCents(amount)} applied to ${doc.Number ?? doc.id}.`, now);
  return { ok: true, json: serializePayment(book, payment) };
}

/** POST /Payments/{id} {Status:"DELETED"}: the only change Xero allows to a payment. */
export function deletePayment(book: Book, payment: PaymentRecord, now: number): string | undefined {
  if (payment.Status === 'DELETED') return 'Payment has already been deleted.';
  if (payment.documentKind === 'prepayment') {
    payment.Status = 'DELETED';
    payment.UpdatedDateUTC = now;
    restoreRefundedCredit(book, payment, now);
    recordHistory(book, 'Payments', payment.PaymentID, 'Deleted', `Payment of ${formatCents(payment.Amount)} deleted.`, now);
    return undefined;
  }
  const doc = payment.documentKind === 'invoice' ? book.invoices.get(payment.documentId) : book.creditNotes.get(payment.documentId);
  if (doc && (doc.Status === 'VOIDED' || doc.Status === 'DELETED')) return 'The document of this payment is no longer active.';
  payment.Status = 'DELETED';
  payment.UpdatedDateUTC = now;
  if (doc) {
    doc.AmountPaid -= payment.Amount;
    doc.UpdatedDateUTC = now;
    settleStatus(doc, now);
    recordHistory(book, doc.kind === 'invoice' ? 'Invoices' : 'CreditNotes', doc.id, 'Payment Deleted', `Payment of ${formatCents(payment.Amount)} deleted.`, now);
  }
  recordHistory(book, 'Payments', payment.PaymentID, 'Deleted', `Payment of ${formatCents(payment.Amount)} deleted.`, now);
  return undefined;
}

export function createAllocation(note: DocumentRecord, raw: unknown, { book, now }: Ctx): ElementOutcome {
  const input = objectOf(raw);
  if (!input) return failed(raw, ['Allocation must be an object.']);
  const { invoice, amount, date, errors } = readAllocationInput(book, input, { checkLockDate: false });
  if (note.Status !== 'AUTHORISED') errors.push('Credit note must be AUTHORISED to allocate it.');
  if (invoice) {
    const matchingType = note.Type === 'ACCRECCREDIT' ? 'ACCREC' : 'ACCPAY';
    if (invoice.Type !== matchingType) errors.push(`A ${note.Type} credit note can only be allocated to ${matchingType} invoices.`);
    if (invoice.Status !== 'AUTHORISED') errors.push('Invoice must be AUTHORISED to allocate a credit note to it.');
    if (invoice.CurrencyCode !== note.CurrencyCode) errors.push('The credit note and the invoice must be in the same currency.');
    if (amount !== undefined && (amount > amountDue(invoice) || amount > amountDue(note))) errors.push(OVERALLOCATION_MESSAGE);
  }
  if (errors.length > 0 || !invoice || amount === undefined || date === undefined) return failed(raw, errors);

  const allocation: AllocationRecord = { AllocationID: newId(), creditNoteId: note.id, invoiceId: invoice.id, Amount: amount, Date: date, IsDeleted: false };
  book.allocations.set(allocation.AllocationID, allocation);
  for (const doc of [invoice, note]) {
    doc.AmountCredited += amount;
    doc.UpdatedDateUTC = now;
    settleStatus(doc, date);
  }
  recordHistory(book, 'CreditNotes', note.id, 'Credit Applied', `${formatCents(amount)} allocated to ${invoice.Number ?? invoice.id}.`, now);
  recordHistory(book, 'Invoices', invoice.id, 'Credit Applied', `Credit note ${note.Number ?? note.id} for ${formatCents(amount)} applied.`, now);
  return { ok: true, json: serializeAllocation(book, allocation) };
}

/** DELETE /CreditNotes/{id}/Allocations/{allocationId}. */
export function deleteAllocation(book: Book, allocation: AllocationRecord, now: number): void {
  allocation.IsDeleted = true;
  for (const doc of [book.invoices.get(allocation.invoiceId), book.creditNotes.get(allocation.creditNoteId)]) {
    if (!doc) continue;
    doc.AmountCredited -= allocation.Amount;
    doc.UpdatedDateUTC = now;
    settleStatus(doc, now);
  }
}
