// Chart of accounts: PUT creates one account, POST /Accounts/{id} updates it (incl. archiving),
// DELETE removes an account that has never been used.
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import type { AccountRecord, Book } from './model';
import { findAccountByCode } from './rules/accounts';
import { serializeAccount } from './serialize';

const ACCOUNT_TYPES = ['BANK', 'CURRENT', 'CURRLIAB', 'DEPRECIATN', 'DIRECTCOSTS', 'EQUITY', 'EXPENSE', 'FIXED', 'INVENTORY', 'LIABILITY', 'NONCURRENT', 'OTHERINCOME', 'OVERHEADS', 'PREPAYMENT', 'REVENUE', 'SALES', 'TERMLIAB'];
const BANK_ACCOUNT_TYPES = ['BANK', 'CREDITCARD', 'PAYPAL'];

export function accountInUse(book: Book, accountId: string): boolean {
  const onLines = (lines: { AccountID?: string }[]) => lines.some((l) => l.AccountID === accountId);
  for (const doc of book.invoices.values()) if (doc.Status !== 'DELETED' && onLines(doc.lines)) return true;
  for (const doc of book.creditNotes.values()) if (doc.Status !== 'DELETED' && onLines(doc.lines)) return true;
  for (const txn of book.bankTransactions.values()) if (txn.Status !== 'DELETED' && (txn.BankAccountID === accountId || onLines(txn.lines))) return true;
  for (const payment of book.payments.values()) if (payment.Status !== 'DELETED' && payment.AccountID === accountId) return true;
  for (const transfer of book.bankTransfers.values()) if (transfer.Status !== 'DELETED' && (transfer.FromAccountID === accountId || transfer.ToAccountID === accountId)) return true;
  return false;
}

function nameTaken(book: Book, name: string, exceptId?: string): boolean {
  const wanted = name.trim().toLowerCase();
  return [...book.accounts.values()].some((a) => a.AccountID !== exceptId && a.Status !== 'DELETED' && a.Name.trim().toLowerCase() === wanted);
}

export function writeAccount(raw: unknown, ctx: { book: Book; now: number; existing?: AccountRecord }): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, ['Account must be an object.']);
  const input = raw as Record<string, unknown>;
  const { book, now, existing } = ctx;
  const errors: string[] = [];
  const type = String(input.Type ?? existing?.Type ?? '').toUpperCase();
  if (!ACCOUNT_TYPES.includes(type)) errors.push(input.Type === undefined ? 'Account Type must be specified.' : `'${String(input.Type)}' is not a valid account type.`);
  if (existing && type !== existing.Type) errors.push('The account type cannot be changed through the API.');
  const name = typeof input.Name === 'string' ? input.Name.trim() : existing?.Name;
  if (!name) errors.push('Please enter a Name.');
  else if (name.length > 150) errors.push('The account name must be 150 characters or fewer.');
  else if (nameTaken(book, name, existing?.AccountID)) errors.push('Please enter a unique Name.');
  const code = typeof input.Code === 'string' ? input.Code.trim() : existing?.Code;
  if (!code && type !== 'BANK') errors.push('Please enter a Code.');
  if (code && code.length > 10) errors.push('The account code must be 10 characters or fewer.');
  if (code) {
    const clash = findAccountByCode(book, code);
    if (clash && clash.AccountID !== existing?.AccountID) errors.push('Please enter a unique Code.');
  }
  const bankAccountNumber = typeof input.BankAccountNumber === 'string' ? input.BankAccountNumber.trim() : existing?.BankAccountNumber;
  if (type === 'BANK' && !bankAccountNumber) errors.push('Bank Account Number is required for bank accounts.');
  const bankAccountType = typeof input.BankAccountType === 'string' && input.BankAccountType ? input.BankAccountType.toUpperCase() : existing?.BankAccountType ?? (type === 'BANK' ? 'BANK' : undefined);
  if (type === 'BANK' && bankAccountType && !BANK_ACCOUNT_TYPES.includes(bankAccountType)) errors.push(`'${bankAccountType}' is not a valid BankAccountType.`);
  const taxType = typeof input.TaxType === 'string' ? input.TaxType.toUpperCase() : existing?.TaxType ?? 'NONE';
  if (!book.taxRates.has(taxType)) errors.push(`The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`);
  const status = String(input.Status ?? existing?.Status ?? 'ACTIVE').toUpperCase() as AccountRecord['Status'];
  if (status !== 'ACTIVE' && status !== 'ARCHIVED') errors.push(`Invalid account status '${status}'.`);
  if (status === 'ARCHIVED' && existing?.SystemAccount) errors.push('System accounts cannot be archived.');
  const currency = typeof input.CurrencyCode === 'string' ? input.CurrencyCode.toUpperCase() : existing?.CurrencyCode ?? (type === 'BANK' ? book.organisation.BaseCurrency : undefined);
  if (currency && type === 'BANK' && !book.currencies.some((c) => c.Code === currency)) errors.push(`Organisation is not subscribed to currency ${currency}`);
  if (errors.length > 0 || !name) return failed(raw, errors);

  const record: AccountRecord = {
    AccountID: existing?.AccountID ?? newId(),
    ...(code ? { Code: code } : {}),
    Name: name,
    Type: type,
    Status: status,
    ...(typeof input.Description === 'string' ? { Description: input.Description } : existing?.Description ? { Description: existing.Description } : {}),
    TaxType: taxType,
    ...(type === 'BANK' ? { BankAccountNumber: bankAccountNumber, BankAccountType: bankAccountType, CurrencyCode: currency } : {}),
    EnablePaymentsToAccount: typeof input.EnablePaymentsToAccount === 'boolean' ? input.EnablePaymentsToAccount : (existing?.EnablePaymentsToAccount ?? false),
    ShowInExpenseClaims: typeof input.ShowInExpenseClaims === 'boolean' ? input.ShowInExpenseClaims : (existing?.ShowInExpenseClaims ?? false),
    ...(existing?.SystemAccount ? { SystemAccount: existing.SystemAccount } : {}),
    ...(typeof input.ReportingCode === 'string' ? { ReportingCode: input.ReportingCode } : existing?.ReportingCode ? { ReportingCode: existing.ReportingCode } : {}),
    ...(typeof input.AddToWatchlist === 'boolean' ? { AddToWatchlist: input.AddToWatchlist } : {}),
    UpdatedDateUTC: now,
  };
  book.accounts.set(record.AccountID, record);
  return { ok: true, json: serializeAccount(record) };
}

/** Delete an account as Xero allows: never a system account, never one with transactions. */
export function deleteAccount(book: Book, account: AccountRecord, now: number): string | undefined {
  if (account.SystemAccount) return 'System accounts cannot be deleted.';
  if (accountInUse(book, account.AccountID)) return 'This account cannot be deleted as it has transactions; archive it instead.';
  account.Status = 'DELETED';
  account.UpdatedDateUTC = now;
  return undefined;
}
