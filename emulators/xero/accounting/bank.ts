// Bank transactions (SPEND money / RECEIVE money) and transfers between bank accounts.
import { parseXeroDate, startOfDay } from './dates';
import { recordHistory } from './history';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import type { BankTransactionRecord, BankTransferRecord, Book } from './model';
import { formatCents, toCents } from './money';
import { findAccountRef } from './rules/accounts';
import { resolveDocumentContact } from './rules/contacts';
import { resolveCurrency } from './rules/currency';
import { buildLines, LINE_AMOUNT_TYPES, totalsOf } from './rules/lines';
import { serializeBankTransaction, serializeBankTransfer } from './serialize';
import type { LineAmountTypes } from './totals';

interface Ctx { book: Book; now: number; unitdp: 2 | 4; pathId?: string }

const TYPES = ['SPEND', 'RECEIVE'] as const;
const STATUSES = ['AUTHORISED', 'DELETED'] as const;

export function writeBankTransaction(raw: unknown, ctx: Ctx): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['BankTransaction must be an object.']);
  const input = raw as Record<string, unknown>;
  const { book, now } = ctx;
  const sentId = ctx.pathId ?? (typeof input.BankTransactionID === 'string' ? input.BankTransactionID : undefined);
  const existing = sentId ? book.bankTransactions.get(sentId.toLowerCase()) : undefined;
  if (sentId && !existing) return failed(raw, [`Bank transaction with ID ${sentId} could not be found.`]);
  if (existing && existing.Status !== 'AUTHORISED') return failed(raw, ['Bank transaction not of valid status for modification']);
  if (existing && existing.IsReconciled && input.Status !== 'DELETED') return failed(raw, ['This bank transaction cannot be edited as it has been reconciled.']);

  if (existing && String(input.Status ?? '').toUpperCase() === 'DELETED') {
    existing.Status = 'DELETED';
    existing.UpdatedDateUTC = now;
    recordHistory(book, 'BankTransactions', existing.BankTransactionID, 'Deleted', 'Bank transaction deleted.', now);
    return { ok: true, json: serializeBankTransaction(book, existing) };
  }

  const errors: string[] = [];
  const type = String(input.Type ?? existing?.Type ?? '').toUpperCase() as BankTransactionRecord['Type'];
  if (!TYPES.includes(type)) errors.push(input.Type === undefined ? 'Bank transaction Type must be specified.' : `'${String(input.Type)}' is not a supported bank transaction type.`);
  const status = String(input.Status ?? existing?.Status ?? 'AUTHORISED').toUpperCase();
  if (!(STATUSES as readonly string[]).includes(status) || (!existing && status === 'DELETED')) errors.push(`Invalid status '${status}'.`);

  const bankAccount = input.BankAccount === undefined && existing ? book.accounts.get(existing.BankAccountID) : findAccountRef(book, input.BankAccount);
  if (!bankAccount || bankAccount.Type !== 'BANK' || bankAccount.Status !== 'ACTIVE') errors.push('A valid, active BankAccount of type BANK must be specified.');

  const contactResult = input.Contact === undefined && existing
    ? { ok: true as const, contact: book.contacts.get(existing.ContactID)!, created: false }
    : resolveDocumentContact(book, input.Contact, now);
  if (!contactResult.ok) errors.push(contactResult.error);

  const date = input.Date === undefined ? (existing?.Date ?? startOfDay(now)) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  const lineAmountTypes = (input.LineAmountTypes ?? existing?.LineAmountTypes ?? 'Exclusive') as LineAmountTypes;
  if (!LINE_AMOUNT_TYPES.includes(lineAmountTypes)) errors.push(`'${String(input.LineAmountTypes)}' is not a valid LineAmountTypes value.`);
  const currency = resolveCurrency(book, input.CurrencyCode ?? existing?.CurrencyCode ?? bankAccount?.CurrencyCode, input.CurrencyRate ?? (existing ? existing.CurrencyRate : undefined));
  if (!currency.ok) errors.push(currency.error);
  if (currency.ok && bankAccount?.CurrencyCode && bankAccount.CurrencyCode !== currency.CurrencyCode) {
    errors.push(`The bank account currency ${bankAccount.CurrencyCode} does not match the transaction currency ${currency.CurrencyCode}.`);
  }
  const side = type === 'SPEND' ? 'purchases' : 'sales';
  const lines = input.LineItems === undefined && existing
    ? { lines: existing.lines, totals: totalsOf(existing.lines, existing.LineAmountTypes), errors: [] as string[] }
    : buildLines(book, input.LineItems, { side, lineAmountTypes, unitdp: ctx.unitdp, requireAccount: true }, existing?.lines ?? []);
  errors.push(...lines.errors);
  if (lines.lines.length === 0 && lines.errors.length === 0) errors.push('A bank transaction must have at least one line item.');
  if (lines.totals.total < 0) errors.push('The total of a bank transaction cannot be negative.');

  if (errors.length > 0 || !bankAccount || !contactResult.ok || !currency.ok || date === undefined) return failed(raw, errors);
  if (contactResult.created) book.contacts.set(contactResult.contact.ContactID, contactResult.contact);

  const record: BankTransactionRecord = {
    BankTransactionID: existing?.BankTransactionID ?? newId(),
    Type: type,
    ContactID: contactResult.contact.ContactID,
    BankAccountID: bankAccount.AccountID,
    Date: date,
    ...(typeof input.Reference === 'string' ? { Reference: input.Reference } : existing?.Reference !== undefined ? { Reference: existing.Reference } : {}),
    ...(typeof input.Url === 'string' ? { Url: input.Url } : existing?.Url !== undefined ? { Url: existing.Url } : {}),
    Status: 'AUTHORISED',
    LineAmountTypes: lineAmountTypes,
    CurrencyCode: currency.CurrencyCode,
    CurrencyRate: currency.CurrencyRate,
    IsReconciled: typeof input.IsReconciled === 'boolean' ? input.IsReconciled : (existing?.IsReconciled ?? false),
    lines: lines.lines,
    SubTotal: lines.totals.subTotal,
    TotalTax: lines.totals.totalTax,
    Total: lines.totals.total,
    TotalDiscount: lines.totals.totalDiscount,
    UpdatedDateUTC: now,
  };
  book.bankTransactions.set(record.BankTransactionID, record);
  recordHistory(book, 'BankTransactions', record.BankTransactionID, existing ? 'Edited' : 'Created',
    `${type === 'SPEND' ? 'Spend' : 'Receive'} money ${existing ? 'edited' : 'created'} for ${formatCents(record.Total)}.`, now);
  return { ok: true, json: serializeBankTransaction(book, record, { unitdp: ctx.unitdp, includeLines: true }) };
}

export function createBankTransfer(raw: unknown, { book, now }: { book: Book; now: number }): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['BankTransfer must be an object.']);
  const input = raw as Record<string, unknown>;
  const errors: string[] = [];
  const from = findAccountRef(book, input.FromBankAccount);
  const to = findAccountRef(book, input.ToBankAccount);
  if (!from || from.Type !== 'BANK' || from.Status !== 'ACTIVE') errors.push('FromBankAccount must be an active bank account.');
  if (!to || to.Type !== 'BANK' || to.Status !== 'ACTIVE') errors.push('ToBankAccount must be an active bank account.');
  if (from && to && from.AccountID === to.AccountID) errors.push('The from and to bank accounts must be different.');
  const amount = toCents(input.Amount);
  if (amount === undefined || amount <= 0) errors.push('Amount must be greater than zero.');
  const date = input.Date === undefined ? startOfDay(now) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  if (from?.CurrencyCode && to?.CurrencyCode && from.CurrencyCode !== to.CurrencyCode && input.CurrencyRate === undefined) {
    errors.push('A CurrencyRate is required to transfer between accounts in different currencies.');
  }
  if (errors.length > 0 || !from || !to || amount === undefined || date === undefined) return failed(raw, errors);
  const transfer: BankTransferRecord = {
    BankTransferID: newId(),
    FromAccountID: from.AccountID,
    ToAccountID: to.AccountID,
    Amount: amount,
    Date: date,
    ...(typeof input.Reference === 'string' ? { Reference: input.Reference } : {}),
    CurrencyRate: input.CurrencyRate !== undefined ? String(input.CurrencyRate) : '1',
    FromBankTransactionID: newId(),
    ToBankTransactionID: newId(),
    FromIsReconciled: input.FromIsReconciled === true,
    ToIsReconciled: input.ToIsReconciled === true,
    Status: 'AUTHORISED',
    CreatedDateUTC: now,
  };
  book.bankTransfers.set(transfer.BankTransferID, transfer);
  recordHistory(book, 'BankTransfers', transfer.BankTransferID, 'Created',
    `Bank transfer from ${from.Name} to ${to.Name} on ${new Date(date).toISOString().slice(0, 10)} for ${formatCents(amount)}.`, now);
  return { ok: true, json: serializeBankTransfer(book, transfer) };
}
