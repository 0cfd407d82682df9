// Bank transactions (SPEND money / RECEIVE money) and transfers between bank accounts.
import { parseXeroDate, startOfDay } from './dates';
import { recordHistory } from './history';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import type { AccountRecord, BankTransactionRecord, BankTransferRecord, Book } from './model';
import { divRound, formatCents, scaledToText, toCents, toScaled } from './money';
import { overpaymentEditError } from './overpayments';
import { findAccountRef } from './rules/accounts';
import { resolveDocumentContact } from './rules/contacts';
import { resolveCurrency } from './rules/currency';
import { buildLines, LINE_AMOUNT_TYPES, totalsOf } from './rules/lines';
import { createPrepaymentFrom, prepaymentEditRefusal, PREPAYMENT_BANK_TYPE, PREPAYMENT_CURRENCY_MESSAGE, voidPrepaymentOf } from './prepayments';
import { serializeBankTransaction, serializeBankTransfer } from './serialize';
import type { LineAmountTypes } from './totals';

interface Ctx { book: Book; now: number; unitdp: 2 | 4; pathId?: string }

const TYPES = ['SPEND', 'RECEIVE', PREPAYMENT_BANK_TYPE, 'RECEIVE-OVERPAYMENT'] as const;
const TRANSFER_LEG_TYPES: readonly string[] = ['SPEND-TRANSFER', 'RECEIVE-TRANSFER'];
const STATUSES = ['AUTHORISED', 'DELETED'] as const;

export function writeBankTransaction(raw: unknown, ctx: Ctx): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['BankTransaction must be an object.']);
  const input = raw as Record<string, unknown>;
  const { book, now } = ctx;
  const sentId = ctx.pathId ?? (typeof input.BankTransactionID === 'string' ? input.BankTransactionID : undefined);
  const existing = sentId ? book.bankTransactions.get(sentId.toLowerCase()) : undefined;
  if (sentId && !existing) return failed(raw, [`Bank transaction with ID ${sentId} could not be found.`]);
  // A transfer's legs belong to the BankTransfer: Xero edits or deletes them only through it.
  if (existing && TRANSFER_LEG_TYPES.includes(existing.Type)) return failed(raw, ['This bank transaction is part of a bank transfer and cannot be modified through BankTransactions.']);
  if (existing && existing.Status !== 'AUTHORISED') return failed(raw, ['Bank transaction not of valid status for modification']);
  if (existing && existing.IsReconciled && input.Status !== 'DELETED') return failed(raw, ['This bank transaction cannot be edited as it has been reconciled.']);
  const prepaymentRefusal = existing ? prepaymentEditRefusal(book, existing) : undefined;
  if (prepaymentRefusal) return failed(raw, [prepaymentRefusal]);
  const allocated = existing && overpaymentEditError(existing);
  if (allocated) return failed(raw, [allocated]);

  if (existing && String(input.Status ?? '').toUpperCase() === 'DELETED') {
    existing.Status = 'DELETED';
    existing.UpdatedDateUTC = now;
    voidPrepaymentOf(book, existing, now);
    recordHistory(book, 'BankTransactions', existing.BankTransactionID, 'Deleted', 'Bank transaction deleted.', now);
    return { ok: true, json: serializeBankTransaction(book, existing) };
  }

  const errors: string[] = [];
  const type = String(input.Type ?? existing?.Type ?? '').toUpperCase() as (typeof TYPES)[number];
  if (!TYPES.includes(type)) errors.push(input.Type === undefined ? 'Bank transaction Type must be specified.' : `'${String(input.Type)}' is not a supported bank transaction type.`);
  const status = String(input.Status ?? existing?.Status ?? 'AUTHORISED').toUpperCase();
  if (!(STATUSES as readonly string[]).includes(status) || (!existing && status === 'DELETED')) errors.push(`Invalid status '${status}'.`);

  const bankAccount = input.BankAccount === undefined && existing ? book.accounts.get(existing.BankAccountID) : findAccountRef(book, input.BankAccount);
  if (!bankAccount || bankAccount.Type !== 'BANK' || bankAccount.Status !== 'ACTIVE') errors.push('A valid, active BankAccount of type BANK must be specified.');

  const contactResult = input.Contact === undefined && existing
    ? { ok: true as const, contact: book.contacts.get(existing.ContactID ?? '')!, created: false }
    : resolveDocumentContact(book, input.Contact, now);
  if (!contactResult.ok) errors.push(contactResult.error);
  if (existing && type !== existing.Type && (type === PREPAYMENT_BANK_TYPE || existing.Type === PREPAYMENT_BANK_TYPE)) errors.push('The Type of a prepayment bank transaction cannot be changed.');

  const date = input.Date === undefined ? (existing?.Date ?? startOfDay(now)) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  // An overpayment is credit owed to the contact: one line, no account or tax of its own (Xero posts it to
  // accounts receivable), so its amounts carry no tax.
  const overpayment = type === 'RECEIVE-OVERPAYMENT';
  const lineAmountTypes = (overpayment ? 'NoTax' : input.LineAmountTypes ?? existing?.LineAmountTypes ?? 'Exclusive') as LineAmountTypes;
  if (!LINE_AMOUNT_TYPES.includes(lineAmountTypes)) errors.push(`'${String(input.LineAmountTypes)}' is not a valid LineAmountTypes value.`);
  const currency = resolveCurrency(book, input.CurrencyCode ?? existing?.CurrencyCode ?? bankAccount?.CurrencyCode, input.CurrencyRate ?? (existing ? existing.CurrencyRate : undefined));
  if (!currency.ok) errors.push(currency.error);
  // Xero's help: prepayments are in the base currency only (no multi-currency prepayments).
  if (type === PREPAYMENT_BANK_TYPE && currency.ok && currency.CurrencyCode !== book.organisation.BaseCurrency) errors.push(PREPAYMENT_CURRENCY_MESSAGE);
  if (currency.ok && bankAccount?.CurrencyCode && bankAccount.CurrencyCode !== currency.CurrencyCode) {
    errors.push(`The bank account currency ${bankAccount.CurrencyCode} does not match the transaction currency ${currency.CurrencyCode}.`);
  }
  const side = type === 'SPEND' ? 'purchases' : 'sales';
  const lines = input.LineItems === undefined && existing
    ? { lines: existing.lines, totals: totalsOf(existing.lines, existing.LineAmountTypes), errors: [] as string[] }
    : buildLines(book, overpayment ? overpaymentLines(input.LineItems) : input.LineItems, { side, lineAmountTypes, unitdp: ctx.unitdp, requireAccount: !overpayment }, existing?.lines ?? []);
  errors.push(...lines.errors);
  if (overpayment && lines.lines.length > 1) errors.push('An overpayment can only have one line item.');
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
    ...(overpayment ? { overpaymentAllocations: existing?.overpaymentAllocations ?? [] } : {}),
  };
  book.bankTransactions.set(record.BankTransactionID, record);
  if (type === PREPAYMENT_BANK_TYPE) {
    createPrepaymentFrom(book, record, now, existing?.PrepaymentID);
  }
  recordHistory(book, 'BankTransactions', record.BankTransactionID, existing ? 'Edited' : 'Created',
    `${type === 'SPEND' ? 'Spend money' : overpayment ? 'Receive overpayment' : 'Receive money'} ${existing ? 'edited' : 'created'} for ${formatCents(record.Total)}.`, now);
  return { ok: true, json: serializeBankTransaction(book, record, { unitdp: ctx.unitdp, includeLines: true }) };
}

/** An overpayment's line as Xero books it: the sent account and tax type do not apply (noted in the README). */
function overpaymentLines(items: unknown): unknown {
  if (!Array.isArray(items)) return items;
  return items.map((item) => {
    if (!item || typeof item !== 'object') return item;
    const { AccountCode: _account, AccountID: _accountId, TaxType: _tax, ...rest } = item as Record<string, unknown>;
    return rest;
  });
}

/**
 * Units of `to`'s currency per unit of `from`'s, 6 dp, from the organisation's rates (units per base
 * unit; the base currency is 1). Xero takes the day's XE rate; the emulator its seeded rates.
 */
function transferRate(book: Book, fromCode: string, toCode: string): bigint {
  const perBase = (code: string): bigint => {
    if (code === book.organisation.BaseCurrency) return RATE_ONE;
    const currency = book.currencies.find((c) => c.Code === code);
    return (currency ? toScaled(currency.defaultRate, 6) : undefined) ?? RATE_ONE;
  };
  return fromCode === toCode ? RATE_ONE : divRound(perBase(toCode) * RATE_ONE, perBase(fromCode));
}

const RATE_ONE = 1_000_000n;

/** The currency of an account: one without a CurrencyCode is in the organisation's base currency. */
export function accountCurrency(book: Book, account: AccountRecord): string {
  return account.CurrencyCode ?? book.organisation.BaseCurrency;
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
  if (errors.length > 0 || !from || !to || amount === undefined || date === undefined) return failed(raw, errors);
  // CurrencyRate is read-only in Xero's spec: one sent is ignored, the rate is Xero's own. Amount is in
  // the From account's currency; the To leg books Amount × rate in the To account's.
  const fromCurrency = accountCurrency(book, from);
  const toCurrency = accountCurrency(book, to);
  const rate = transferRate(book, fromCurrency, toCurrency);
  const toAmount = Number(divRound(BigInt(amount) * rate, RATE_ONE));
  const reference = typeof input.Reference === 'string' ? input.Reference : undefined;
  const transfer: BankTransferRecord = {
    BankTransferID: newId(),
    FromAccountID: from.AccountID,
    ToAccountID: to.AccountID,
    Amount: amount,
    Date: date,
    ...(reference !== undefined ? { Reference: reference } : {}),
    CurrencyRate: scaledToText(rate, 6),
    FromBankTransactionID: newId(),
    ToBankTransactionID: newId(),
    FromIsReconciled: input.FromIsReconciled === true,
    ToIsReconciled: input.ToIsReconciled === true,
    Status: 'AUTHORISED',
    CreatedDateUTC: now,
  };
  book.bankTransfers.set(transfer.BankTransferID, transfer);
  // The two legs Xero books, listed by GET /BankTransactions as SPEND-TRANSFER / RECEIVE-TRANSFER.
  const leg = (id: string, type: 'SPEND-TRANSFER' | 'RECEIVE-TRANSFER', account: AccountRecord, cents: number, reconciled: boolean): BankTransactionRecord => ({
    BankTransactionID: id,
    Type: type,
    BankAccountID: account.AccountID,
    Date: date,
    ...(reference !== undefined ? { Reference: reference } : {}),
    Status: 'AUTHORISED',
    LineAmountTypes: 'NoTax',
    CurrencyCode: accountCurrency(book, account),
    // As on other bank transactions: units of the leg's currency per base unit.
    CurrencyRate: scaledToText(transferRate(book, book.organisation.BaseCurrency, accountCurrency(book, account)), 6),
    IsReconciled: reconciled,
    lines: [],
    SubTotal: cents,
    TotalTax: 0,
    Total: cents,
    TotalDiscount: 0,
    UpdatedDateUTC: now,
  });
  book.bankTransactions.set(transfer.FromBankTransactionID, leg(transfer.FromBankTransactionID, 'SPEND-TRANSFER', from, amount, transfer.FromIsReconciled));
  book.bankTransactions.set(transfer.ToBankTransactionID, leg(transfer.ToBankTransactionID, 'RECEIVE-TRANSFER', to, toAmount, transfer.ToIsReconciled));
  recordHistory(book, 'BankTransfers', transfer.BankTransferID, 'Created',
    `Bank transfer from ${from.Name} to ${to.Name} on ${new Date(date).toISOString().slice(0, 10)} for ${formatCents(amount)}.`, now);
  return { ok: true, json: serializeBankTransfer(book, transfer) };
}
