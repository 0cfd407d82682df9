// Seeded organisations: a UK VAT-registered demo company in GBP and a US one in USD, each with a
// realistic chart of accounts, tax rates, tracking categories and a few contacts. Any other
// organisation added through the control API gets a generic chart in its own currency.
import { shortCodeFor, stableUuid } from './ids';
import type { AccountRecord, Book, ContactRecord, CurrencyRecord, OrganisationRecord, TaxRateRecord, TaxUsage, TrackingCategoryRecord } from './model';

export const UK_TENANT_ID = stableUuid('ledgerbridge-emulator', 'Demo Company (UK)');
export const US_TENANT_ID = stableUuid('ledgerbridge-emulator', 'Demo Company (US)');

type AccountSeed = [code: string, name: string, type: string, taxType: string, extra?: Partial<AccountRecord>];
type TaxSeed = [taxType: string, name: string, rate: string, usage: TaxUsage, reportTaxType: string];

const UK_ACCOUNTS: AccountSeed[] = [
  ['090', 'Business Bank Account', 'BANK', 'NONE', { BankAccountNumber: '20-00-00 12345678', BankAccountType: 'BANK', CurrencyCode: 'GBP' }],
  ['091', 'Business Savings Account', 'BANK', 'NONE', { BankAccountNumber: '20-00-00 87654321', BankAccountType: 'BANK', CurrencyCode: 'GBP' }],
  ['200', 'Sales', 'REVENUE', 'OUTPUT2'],
  ['260', 'Other Revenue', 'REVENUE', 'OUTPUT2'],
  ['270', 'Interest Income', 'REVENUE', 'NONE'],
  ['310', 'Cost of Goods Sold', 'DIRECTCOSTS', 'INPUT2'],
  ['400', 'Advertising', 'OVERHEADS', 'INPUT2'],
  ['404', 'Bank Fees', 'OVERHEADS', 'NONE'],
  ['429', 'General Expenses', 'OVERHEADS', 'INPUT2'],
  ['610', 'Accounts Receivable', 'CURRENT', 'NONE', { SystemAccount: 'DEBTORS' }],
  ['620', 'Prepayments', 'CURRENT', 'NONE'],
  ['800', 'Accounts Payable', 'CURRLIAB', 'NONE', { SystemAccount: 'CREDITORS' }],
  ['820', 'VAT', 'CURRLIAB', 'NONE', { SystemAccount: 'GST' }],
  ['840', 'Historical Adjustment', 'CURRLIAB', 'NONE', { SystemAccount: 'HISTORICAL' }],
  ['860', 'Rounding', 'CURRLIAB', 'NONE', { SystemAccount: 'ROUNDING' }],
  ['877', 'Tracking Transfers', 'CURRLIAB', 'NONE', { SystemAccount: 'TRACKINGTRANSFERS' }],
  ['880', 'Owner A Drawings', 'CURRLIAB', 'NONE'],
  ['881', 'Owner A Funds Introduced', 'CURRLIAB', 'NONE'],
  ['960', 'Retained Earnings', 'EQUITY', 'NONE', { SystemAccount: 'RETAINEDEARNINGS' }],
  ['970', 'Owner A Share Capital', 'EQUITY', 'NONE'],
];

const UK_TAX_RATES: TaxSeed[] = [
  ['OUTPUT2', '20% (VAT on Income)', '20', 'sales', 'OUTPUT'],
  ['RROUTPUT', '5% (VAT on Income)', '5', 'sales', 'OUTPUT'],
  ['ZERORATEDOUTPUT', 'Zero Rated Income', '0', 'sales', 'ZERORATEDOUTPUT'],
  ['EXEMPTOUTPUT', 'Exempt Income', '0', 'sales', 'EXEMPTOUTPUT'],
  ['ECZROUTPUT', 'Zero Rated EC Goods Income', '0', 'sales', 'ECOUTPUT'],
  ['INPUT2', '20% (VAT on Expenses)', '20', 'purchases', 'INPUT'],
  ['RRINPUT', '5% (VAT on Expenses)', '5', 'purchases', 'INPUT'],
  ['ZERORATEDINPUT', 'Zero Rated Expenses', '0', 'purchases', 'ZERORATEDINPUT'],
  ['EXEMPTINPUT', 'Exempt Expenses', '0', 'purchases', 'EXEMPTINPUT'],
  ['NONE', 'No VAT', '0', 'any', 'NONE'],
];

const US_ACCOUNTS: AccountSeed[] = [
  ['090', 'Checking Account', 'BANK', 'NONE', { BankAccountNumber: '021000021 123456789', BankAccountType: 'BANK', CurrencyCode: 'USD' }],
  ['091', 'Savings Account', 'BANK', 'NONE', { BankAccountNumber: '021000021 987654321', BankAccountType: 'BANK', CurrencyCode: 'USD' }],
  ['120', 'Accounts Receivable', 'CURRENT', 'NONE', { SystemAccount: 'DEBTORS' }],
  ['200', 'Sales', 'REVENUE', 'TAX001'],
  ['260', 'Other Revenue', 'REVENUE', 'TAX001'],
  ['404', 'Bank Service Charges', 'EXPENSE', 'NONE'],
  ['429', 'General Expenses', 'EXPENSE', 'NONE'],
  ['800', 'Accounts Payable', 'CURRLIAB', 'NONE', { SystemAccount: 'CREDITORS' }],
  ['820', 'Sales Tax', 'CURRLIAB', 'NONE', { SystemAccount: 'GST' }],
  ['877', 'Tracking Transfers', 'CURRLIAB', 'NONE', { SystemAccount: 'TRACKINGTRANSFERS' }],
  ['960', 'Retained Earnings', 'EQUITY', 'NONE', { SystemAccount: 'RETAINEDEARNINGS' }],
];

const US_TAX_RATES: TaxSeed[] = [
  ['TAX001', 'NY City Sales Tax', '8.875', 'sales', 'USSALESTAX'],
  ['TAX002', 'Reduced Sales Tax', '4', 'sales', 'USSALESTAX'],
  ['INPUT', 'Tax on Purchases', '0', 'purchases', 'INPUT'],
  ['NONE', 'Tax Exempt', '0', 'any', 'NONE'],
];

const GENERIC_ACCOUNTS: AccountSeed[] = [
  ['090', 'Business Bank Account', 'BANK', 'NONE', { BankAccountNumber: '000000 00000001', BankAccountType: 'BANK' }],
  ['200', 'Sales', 'REVENUE', 'OUTPUT'],
  ['260', 'Other Revenue', 'REVENUE', 'OUTPUT'],
  ['404', 'Bank Fees', 'EXPENSE', 'NONE'],
  ['429', 'General Expenses', 'EXPENSE', 'INPUT'],
  ['610', 'Accounts Receivable', 'CURRENT', 'NONE', { SystemAccount: 'DEBTORS' }],
  ['800', 'Accounts Payable', 'CURRLIAB', 'NONE', { SystemAccount: 'CREDITORS' }],
  ['820', 'Sales Tax', 'CURRLIAB', 'NONE', { SystemAccount: 'GST' }],
  ['960', 'Retained Earnings', 'EQUITY', 'NONE', { SystemAccount: 'RETAINEDEARNINGS' }],
];

const GENERIC_TAX_RATES: TaxSeed[] = [
  ['OUTPUT', 'Tax on Sales', '10', 'sales', 'OUTPUT'],
  ['INPUT', 'Tax on Purchases', '10', 'purchases', 'INPUT'],
  ['NONE', 'No Tax', '0', 'any', 'NONE'],
];

/** Fallback CurrencyRate (foreign units per base unit) when a foreign-currency document sends none; Xero would use XE's daily rate. */
const CURRENCIES: Record<string, Record<string, [description: string, rate: string]>> = {
  GBP: { GBP: ['British Pound', '1'], EUR: ['Euro', '1.17'], USD: ['United States Dollar', '1.27'] },
  USD: { USD: ['United States Dollar', '1'], GBP: ['British Pound', '0.79'], CAD: ['Canadian Dollar', '1.36'] },
};

function account(orgId: string, now: number, [code, name, type, taxType, extra]: AccountSeed): AccountRecord {
  return {
    AccountID: stableUuid(orgId, 'account', code),
    Code: code,
    Name: name,
    Type: type,
    Status: 'ACTIVE',
    TaxType: taxType,
    EnablePaymentsToAccount: false,
    ShowInExpenseClaims: type === 'OVERHEADS' || type === 'EXPENSE',
    UpdatedDateUTC: now,
    ...extra,
  };
}

function taxRate([taxType, name, rate, usage, reportTaxType]: TaxSeed): TaxRateRecord {
  const sales = usage !== 'purchases';
  const purchases = usage !== 'sales';
  return {
    Name: name,
    TaxType: taxType,
    ReportTaxType: reportTaxType,
    rate,
    Status: 'ACTIVE',
    usage,
    CanApplyToAssets: true,
    CanApplyToEquity: true,
    CanApplyToLiabilities: true,
    CanApplyToExpenses: purchases,
    CanApplyToRevenue: sales,
  };
}

function trackingCategory(orgId: string, name: string, options: string[]): TrackingCategoryRecord {
  const id = stableUuid(orgId, 'tracking', name);
  return {
    TrackingCategoryID: id,
    Name: name,
    Status: 'ACTIVE',
    Options: options.map((option) => ({ TrackingOptionID: stableUuid(id, option), Name: option, Status: 'ACTIVE' })),
  };
}

function contact(orgId: string, now: number, name: string, fields: Record<string, unknown>): ContactRecord {
  return { ContactID: stableUuid(orgId, 'contact', name), Name: name, ContactStatus: 'ACTIVE', fields, IsCustomer: false, IsSupplier: false, UpdatedDateUTC: now };
}

function emptyBook(organisation: OrganisationRecord, currencies: CurrencyRecord[]): Book {
  return {
    organisation,
    currencies,
    accounts: new Map(),
    taxRates: new Map(),
    trackingCategories: new Map(),
    contacts: new Map(),
    invoices: new Map(),
    creditNotes: new Map(),
    payments: new Map(),
    allocations: new Map(),
    bankTransactions: new Map(),
    bankTransfers: new Map(),
    prepayments: new Map(),
    prepaymentAllocations: new Map(),
    manualJournals: new Map(),
    history: [],
    sequences: { invoice: 0, creditNote: 0 },
  };
}

interface OrgSeed {
  id: string;
  name: string;
  baseCurrency: string;
  countryCode: string;
}

function currenciesFor(baseCurrency: string): CurrencyRecord[] {
  const table = CURRENCIES[baseCurrency] ?? { [baseCurrency]: [baseCurrency, '1'] };
  return Object.entries(table).map(([code, [description, rate]]) => ({ Code: code, Description: description, defaultRate: rate }));
}

export function buildBook(seed: OrgSeed, now: number): Book {
  const isUk = seed.countryCode === 'GB';
  const isUs = seed.countryCode === 'US';
  const organisation: OrganisationRecord = {
    OrganisationID: seed.id,
    Name: seed.name,
    LegalName: seed.name,
    ShortCode: shortCodeFor(seed.id),
    BaseCurrency: seed.baseCurrency,
    CountryCode: seed.countryCode,
    Version: isUk ? 'UK' : isUs ? 'US' : 'GLOBAL',
    Timezone: isUk ? 'GMTSTANDARDTIME' : isUs ? 'EASTERNSTANDARDTIME' : 'UTC',
    OrganisationType: 'COMPANY',
    Class: 'DEMO',
    Edition: 'BUSINESS',
    IsDemoCompany: true,
    PaysTax: true,
    SalesTaxBasis: isUk ? 'ACCRUALS' : 'ACCRUAL',
    SalesTaxPeriod: isUk ? 'QUARTERLY1' : 'MONTHLY',
    DefaultSalesTax: 'Tax Exclusive',
    DefaultPurchasesTax: 'Tax Exclusive',
    FinancialYearEndDay: isUk ? 31 : 31,
    FinancialYearEndMonth: isUk ? 3 : 12,
    ...(isUk ? { TaxNumber: 'GB 123 4567 89' } : {}),
    CreatedDateUTC: now,
  };
  const book = emptyBook(organisation, currenciesFor(seed.baseCurrency));
  const accounts = isUk ? UK_ACCOUNTS : isUs ? US_ACCOUNTS : GENERIC_ACCOUNTS;
  const taxRates = isUk ? UK_TAX_RATES : isUs ? US_TAX_RATES : GENERIC_TAX_RATES;
  for (const seedAccount of accounts) {
    const record = account(seed.id, now, seedAccount);
    if (record.Type === 'BANK') record.CurrencyCode ??= seed.baseCurrency;
    book.accounts.set(record.AccountID, record);
  }
  for (const seedRate of taxRates) book.taxRates.set(seedRate[0], taxRate(seedRate));
  for (const category of [
    trackingCategory(seed.id, 'Region', ['North', 'South', 'East', 'West']),
    trackingCategory(seed.id, 'Venue', ['Main Hall', 'Studio', 'Pool']),
  ]) book.trackingCategories.set(category.TrackingCategoryID, category);
  if (isUk || isUs) {
    for (const record of [
      contact(seed.id, now, 'Ridgeway University', { EmailAddress: 'accounts@ridgeway.example', ContactNumber: 'C-0001' }),
      contact(seed.id, now, 'City Agency', { EmailAddress: 'finance@cityagency.example' }),
      contact(seed.id, now, 'Marine Systems', { FirstName: 'Sam', LastName: 'Harbour' }),
    ]) book.contacts.set(record.ContactID, record);
  }
  return book;
}

export function defaultBooks(now: number): Book[] {
  return [
    buildBook({ id: UK_TENANT_ID, name: 'Demo Company (UK)', baseCurrency: 'GBP', countryCode: 'GB' }, now),
    buildBook({ id: US_TENANT_ID, name: 'Demo Company (US)', baseCurrency: 'USD', countryCode: 'US' }, now),
  ];
}
