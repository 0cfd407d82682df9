// Which accounts and tax rates a line may use. Xero refuses bank accounts and control accounts
// (receivables, payables, VAT…) on document lines, archived accounts anywhere, and tax rates from the
// wrong side of the ledger (an input rate on a sale) or that do not apply to the account's class.
import { accountClass, type AccountRecord, type Book, type TaxRateRecord } from '../model';

/** Control accounts Xero will not let a document line post to. */
const LOCKED_SYSTEM_ACCOUNTS = new Set(['DEBTORS', 'CREDITORS', 'GST', 'GSTONIMPORTS', 'RETAINEDEARNINGS', 'HISTORICAL', 'ROUNDING', 'TRACKINGTRANSFERS', 'UNPAIDEXPCLM', 'WAGEPAYABLES']);

export type LedgerSide = 'sales' | 'purchases';

export function findAccountByCode(book: Book, code: string): AccountRecord | undefined {
  const wanted = code.trim().toUpperCase();
  for (const account of book.accounts.values()) {
    if (account.Status !== 'DELETED' && account.Code?.toUpperCase() === wanted) return account;
  }
  return undefined;
}

/** An account referenced as {AccountID} or {Code} (payments, bank transactions). */
export function findAccountRef(book: Book, ref: unknown): AccountRecord | undefined {
  if (!ref || typeof ref !== 'object') return undefined;
  const { AccountID, Code } = ref as { AccountID?: unknown; Code?: unknown };
  if (typeof AccountID === 'string' && AccountID) {
    const account = book.accounts.get(AccountID.toLowerCase()) ?? book.accounts.get(AccountID);
    return account?.Status === 'DELETED' ? undefined : account;
  }
  if (typeof Code === 'string' && Code) return findAccountByCode(book, Code);
  return undefined;
}

export function invalidAccountCodeMessage(code: string): string {
  return `Account code '${code}' is not a valid code for this document.`;
}

export function invalidTaxTypeMessage(taxType: string): string {
  return `The TaxType code '${taxType}' does not exist or cannot be used for this type of transaction.`;
}

/** Can a document line post to this account? */
export function lineAccountUsable(account: AccountRecord): boolean {
  if (account.Status !== 'ACTIVE') return false;
  if (account.Type === 'BANK') return false;
  return !(account.SystemAccount && LOCKED_SYSTEM_ACCOUNTS.has(account.SystemAccount));
}

export function taxRateUsableOnSide(rate: TaxRateRecord, side: LedgerSide): boolean {
  return rate.Status === 'ACTIVE' && (rate.usage === 'any' || rate.usage === side);
}

export function taxRateFitsAccount(rate: TaxRateRecord, account: AccountRecord): boolean {
  switch (accountClass(account.Type)) {
    case 'ASSET': return rate.CanApplyToAssets;
    case 'EQUITY': return rate.CanApplyToEquity;
    case 'EXPENSE': return rate.CanApplyToExpenses;
    case 'LIABILITY': return rate.CanApplyToLiabilities;
    case 'REVENUE': return rate.CanApplyToRevenue;
  }
}

/** Can payments be made into/out of this account (bank accounts, or EnablePaymentsToAccount)? */
export function acceptsPayments(account: AccountRecord): boolean {
  return account.Status === 'ACTIVE' && (account.Type === 'BANK' || account.EnablePaymentsToAccount);
}
