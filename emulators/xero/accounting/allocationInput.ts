// What every allocation names, whatever its credit (a credit note, a prepayment, an overpayment): the invoice,
// a positive Amount and a Date (the spec's Allocation requires all three). Each is read and refused here in
// the same words; the rules of each kind of credit (its status, contact, currency, what is left) follow in
// its own module.
import { parseXeroDate } from './dates';
import { findDocument } from './documents';
import type { Book, DocumentRecord } from './model';
import { toCents, type Cents } from './money';
import { lockDateError } from './rules/lockDates';

export interface AllocationInput {
  invoice: DocumentRecord | undefined;
  amount: Cents | undefined;
  date: number | undefined;
  /** Every problem found, in Xero's order of fields. */
  errors: string[];
}

export function objectOf(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** `checkLockDate`: refuse a Date inside a period locked in Xero. */
export function readAllocationInput(book: Book, input: Record<string, unknown>, opts: { checkLockDate: boolean }): AllocationInput {
  const errors: string[] = [];
  const invoiceRef = objectOf(input.Invoice);
  const key = invoiceRef?.InvoiceID ?? invoiceRef?.InvoiceNumber;
  const invoice = typeof key === 'string' ? findDocument(book, 'invoice', key) : undefined;
  if (!invoice) errors.push(invoiceRef ? 'The invoice to allocate to could not be found.' : 'An Invoice must be specified for the allocation.');
  const amount = toCents(input.Amount);
  if (amount === undefined || amount <= 0) errors.push('Allocation amount must be greater than zero.');
  const date = input.Date === undefined || input.Date === null ? undefined : parseXeroDate(input.Date);
  if (input.Date === undefined || input.Date === null) errors.push('Date is required for an allocation.');
  else if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  const locked = opts.checkLockDate && date !== undefined ? lockDateError(book, date) : undefined;
  if (locked) errors.push(locked);
  return { invoice, amount, date, errors };
}
