// Overpayments: money received from a contact above what they owed. Xero creates one from a bank
// transaction of type RECEIVE-OVERPAYMENT (same id: the OverpaymentID is the BankTransactionID); its
// RemainingCredit is allocated to the contact's invoices (PUT /Overpayments/{id}/Allocations), never
// more than the credit left or the invoice's AmountDue, only to an AUTHORISED ACCREC invoice of the same
// contact and currency. An allocation counts in the invoice's AmountCredited, as Xero shows it.
import { msDate } from './dates';
import { settleStatus } from './documents';
import { recordHistory } from './history';
import { objectOf, readAllocationInput } from './allocationInput';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import { amountDue, type BankTransactionRecord, type Book, type OverpaymentAllocationRecord } from './model';
import { formatCents } from './money';
import { OVERALLOCATION_MESSAGE } from './payments';
import { allocationAnswer, contactRef, currencyRate, day, money, serializeLine, DEFAULT_SERIALIZE, type Json, type SerializeOptions } from './serialize';

export const OVERPAYMENT_TYPES: readonly string[] = ['RECEIVE-OVERPAYMENT'];

export const isOverpayment = (txn: Pick<BankTransactionRecord, 'Type'>): boolean => OVERPAYMENT_TYPES.includes(txn.Type);

const liveAllocations = (txn: BankTransactionRecord): OverpaymentAllocationRecord[] => (txn.overpaymentAllocations ?? []).filter((a) => !a.IsDeleted);

/** Credit not yet allocated. */
export function remainingCredit(txn: BankTransactionRecord): number {
  return txn.Total - liveAllocations(txn).reduce((sum, a) => sum + a.Amount, 0);
}

/** AUTHORISED while credit is left, PAID once all of it is allocated, VOIDED when its bank transaction was deleted. */
export function overpaymentStatus(txn: BankTransactionRecord): 'AUTHORISED' | 'PAID' | 'VOIDED' {
  if (txn.Status !== 'AUTHORISED') return 'VOIDED';
  return remainingCredit(txn) === 0 ? 'PAID' : 'AUTHORISED';
}

/** Why an overpayment may not be edited or deleted through BankTransactions, or undefined. */
export function overpaymentEditError(txn: BankTransactionRecord): string | undefined {
  return isOverpayment(txn) && liveAllocations(txn).length > 0 ? 'This overpayment has been allocated and cannot be modified. Remove its allocations first.' : undefined;
}

export function serializeOverpayment(book: Book, txn: BankTransactionRecord, options: SerializeOptions = DEFAULT_SERIALIZE): Json {
  return {
    OverpaymentID: txn.BankTransactionID,
    Type: txn.Type,
    Contact: txn.ContactID === undefined ? undefined : contactRef(book, txn.ContactID),
    ...day(txn.Date, 'Date'),
    Status: overpaymentStatus(txn),
    LineAmountTypes: txn.LineAmountTypes,
    LineItems: options.includeLines ? txn.lines.map((line) => serializeLine(line, options)) : undefined,
    SubTotal: money(txn.SubTotal),
    TotalTax: money(txn.TotalTax),
    Total: money(txn.Total),
    UpdatedDateUTC: msDate(txn.UpdatedDateUTC),
    CurrencyCode: txn.CurrencyCode,
    CurrencyRate: currencyRate(txn.CurrencyRate),
    RemainingCredit: money(remainingCredit(txn)),
    Allocations: liveAllocations(txn).map((a) => allocationView(book, txn, a, false)),
    Payments: [],
    HasAttachments: false,
    Reference: txn.Reference,
  };
}

/** An allocation as PUT/DELETE answer it (`Allocation`), with its overpayment in brief. */
export function allocationView(book: Book, txn: BankTransactionRecord, a: OverpaymentAllocationRecord, withOverpayment = true): Json {
  return {
    ...allocationAnswer(book, a, 'AmountCredited'),
    Overpayment: withOverpayment
      ? { OverpaymentID: txn.BankTransactionID, Type: txn.Type, Status: overpaymentStatus(txn), RemainingCredit: money(remainingCredit(txn)), Total: money(txn.Total), CurrencyCode: txn.CurrencyCode }
      : undefined,
  };
}

export function createOverpaymentAllocation(txn: BankTransactionRecord, raw: unknown, { book, now }: { book: Book; now: number }): ElementOutcome {
  const input = objectOf(raw);
  if (!input) return failed(raw, ['Allocation must be an object.']);
  const { invoice, amount, date, errors } = readAllocationInput(book, input, { checkLockDate: true });
  if (overpaymentStatus(txn) !== 'AUTHORISED') errors.push('Overpayment must be AUTHORISED to allocate it.');
  if (invoice) {
    if (invoice.Type !== 'ACCREC') errors.push('A RECEIVE-OVERPAYMENT can only be allocated to ACCREC invoices.');
    if (invoice.Status !== 'AUTHORISED') errors.push('Invoice must be AUTHORISED to allocate an overpayment to it.');
    if (invoice.ContactID !== txn.ContactID) errors.push('The overpayment and the invoice must be for the same contact.');
    if (invoice.CurrencyCode !== txn.CurrencyCode) errors.push('The overpayment and the invoice must be in the same currency.');
    if (amount !== undefined && (amount > amountDue(invoice) || amount > remainingCredit(txn))) errors.push(OVERALLOCATION_MESSAGE);
  }
  if (errors.length > 0 || !invoice || amount === undefined || date === undefined) return failed(raw, errors);

  const allocation: OverpaymentAllocationRecord = { AllocationID: newId(), invoiceId: invoice.id, Amount: amount, Date: date, IsDeleted: false };
  txn.overpaymentAllocations = [...(txn.overpaymentAllocations ?? []), allocation];
  txn.UpdatedDateUTC = now;
  invoice.AmountCredited += amount;
  invoice.UpdatedDateUTC = now;
  settleStatus(invoice, date);
  recordHistory(book, 'BankTransactions', txn.BankTransactionID, 'Credit Applied', `${formatCents(amount)} allocated to ${invoice.Number ?? invoice.id}.`, now);
  recordHistory(book, 'Invoices', invoice.id, 'Credit Applied', `Overpayment for ${formatCents(amount)} applied.`, now);
  return { ok: true, json: allocationView(book, txn, allocation) };
}

/** DELETE /Overpayments/{id}/Allocations/{allocationId}: the credit comes back, the invoice owes it again. */
export function deleteOverpaymentAllocation(book: Book, txn: BankTransactionRecord, allocation: OverpaymentAllocationRecord, now: number): void {
  allocation.IsDeleted = true;
  txn.UpdatedDateUTC = now;
  const invoice = book.invoices.get(allocation.invoiceId);
  if (!invoice) return;
  invoice.AmountCredited -= allocation.Amount;
  invoice.UpdatedDateUTC = now;
  settleStatus(invoice, now);
}

