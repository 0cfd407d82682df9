// Settings checked against the live Xero organisation before anything is saved. Pure: the catalogue is
// fetched by the caller. Every message names the bad code and the organisation, for the admin.
import type { Catalogue, CatalogueAccount, CatalogueTaxRate } from './catalogue';

export interface SettingIssue {
  /** The form field the message goes next to. */
  field: string;
  message: string;
}

const REVENUE_TYPES = new Set(['REVENUE', 'SALES', 'OTHERINCOME']);
const EXPENSE_TYPES = new Set(['EXPENSE', 'OVERHEADS', 'DIRECTCOSTS', 'DEPRECIATN']);

export type AccountUse = 'sales' | 'payments' | 'rounding' | 'tips' | 'vouchers';

/** Tips and service charges: income, or a liability when the money is held for the staff it is paid out to. */
const LIABILITY_TYPES = new Set(['CURRLIAB', 'LIABILITY', 'TERMLIAB']);

export function checkAccount(code: string, use: AccountUse, cat: Catalogue): { issue?: string; account?: CatalogueAccount } {
  const where = `in Xero (${cat.organisationName})`;
  const account = cat.accounts.find((a) => a.code.toUpperCase() === code.trim().toUpperCase());
  if (!account) return { issue: `Account ${code} does not exist ${where}` };
  if (account.status !== 'ACTIVE') return { issue: `Account ${code} (${account.name}) is ${account.status.toLowerCase()} ${where}` };
  if (use === 'payments') {
    if (account.type !== 'BANK' && !account.enablePaymentsToAccount) {
      return { issue: `Account ${code} is a ${account.type} account: payments need a bank account (or one with "enable payments to this account")` };
    }
    return { account };
  }
  if (account.systemAccount) return { issue: `Account ${code} (${account.name}) is a Xero system account that invoice lines cannot post to` };
  if (use === 'vouchers') {
    // Money held for voucher holders is owed to them: a liability, credited on sale and paid from on redemption.
    if (!LIABILITY_TYPES.has(account.type)) return { issue: `Account ${code} is a ${account.type} account: gift vouchers need a liability account (money held for the holders, not revenue)` };
    if (!account.enablePaymentsToAccount) return { issue: `Account ${code} (${account.name}) does not accept payments: turn on "enable payments to this account" in Xero, since redeemed vouchers are paid from it` };
    return { account };
  }
  if (use === 'tips') {
    if (!REVENUE_TYPES.has(account.type) && !LIABILITY_TYPES.has(account.type)) {
      return { issue: `Account ${code} is a ${account.type} account: tips and service charges need an income account, or a liability account for money held for staff` };
    }
    return { account };
  }
  const allowed = use === 'sales' ? REVENUE_TYPES.has(account.type) : REVENUE_TYPES.has(account.type) || EXPENSE_TYPES.has(account.type);
  if (!allowed) {
    return { issue: `Account ${code} is a ${account.type} account: ${use === 'sales' ? 'sales need a revenue account (REVENUE, SALES or OTHERINCOME)' : 'rounding needs an income or expense account'}` };
  }
  return { account };
}

function fitsAccount(rate: CatalogueTaxRate, account: CatalogueAccount): boolean {
  if (REVENUE_TYPES.has(account.type)) return rate.canApplyToRevenue;
  if (EXPENSE_TYPES.has(account.type)) return rate.canApplyToExpenses;
  return true;
}

/** A tax type for sales lines, checked against the account it will be used with (when known). */
export function checkTaxType(taxType: string, account: CatalogueAccount | undefined, cat: Catalogue): string | undefined {
  const rate = cat.taxRates.find((t) => t.taxType.toUpperCase() === taxType.trim().toUpperCase());
  if (!rate) return `Tax type ${taxType} does not exist in Xero (${cat.organisationName})`;
  if (rate.status !== 'ACTIVE') return `Tax type ${taxType} (${rate.name}) is ${rate.status.toLowerCase()} in Xero (${cat.organisationName})`;
  // Sales documents take output (income) rates; CanApplyToRevenue is how Xero says a rate is one.
  if (!rate.canApplyToRevenue) return `Tax type ${taxType} (${rate.name}) is not a sales tax rate: choose one for income`;
  if (account && !fitsAccount(rate, account)) return `Tax type ${taxType} (${rate.name}) cannot be used with account ${account.code} (${account.type})`;
  return undefined;
}

export function checkTracking(categoryId: string, optionId: string, cat: Catalogue): string | undefined {
  const category = cat.tracking.find((c) => c.id === categoryId);
  if (!category || category.status !== 'ACTIVE') return `Tracking category ${categoryId} does not exist or is archived in Xero (${cat.organisationName})`;
  const option = category.options.find((o) => o.id === optionId);
  if (!option || option.status !== 'ACTIVE') return `Tracking option ${optionId} does not exist in tracking category '${category.name}'`;
  return undefined;
}
