// The books of one organisation, as plain JSON-serialisable records (amounts in integer cents, dates in
// epoch ms, quantities/unit amounts/rates as decimal strings) so snapshot() is a plain copy.
import type { Cents } from './money';
import type { LineAmountTypes } from './totals';

export type AccountClass = 'ASSET' | 'EQUITY' | 'EXPENSE' | 'LIABILITY' | 'REVENUE';

export interface AccountRecord {
  AccountID: string;
  Code?: string;
  Name: string;
  Type: string;
  Status: 'ACTIVE' | 'ARCHIVED' | 'DELETED';
  Description?: string;
  TaxType?: string;
  BankAccountNumber?: string;
  BankAccountType?: string;
  CurrencyCode?: string;
  EnablePaymentsToAccount: boolean;
  ShowInExpenseClaims: boolean;
  SystemAccount?: string;
  ReportingCode?: string;
  ReportingCodeName?: string;
  AddToWatchlist?: boolean;
  UpdatedDateUTC: number;
}

/** Which side of the ledger a tax rate belongs to: output (sales) rates, input (purchase) rates, or both (NONE). */
export type TaxUsage = 'sales' | 'purchases' | 'any';

export interface TaxRateRecord {
  Name: string;
  TaxType: string;
  ReportTaxType?: string;
  /** Effective rate in percent, decimal text ("20", "8.875"). */
  rate: string;
  Status: 'ACTIVE' | 'DELETED' | 'ARCHIVED' | 'PENDING';
  usage: TaxUsage;
  CanApplyToAssets: boolean;
  CanApplyToEquity: boolean;
  CanApplyToExpenses: boolean;
  CanApplyToLiabilities: boolean;
  CanApplyToRevenue: boolean;
}

export interface TrackingOptionRecord { TrackingOptionID: string; Name: string; Status: 'ACTIVE' | 'ARCHIVED' }
export interface TrackingCategoryRecord {
  TrackingCategoryID: string;
  Name: string;
  Status: 'ACTIVE' | 'ARCHIVED';
  Options: TrackingOptionRecord[];
}

export interface ContactRecord {
  ContactID: string;
  Name: string;
  ContactStatus: 'ACTIVE' | 'ARCHIVED' | 'GDPRREQUEST';
  /** Writable passthrough fields (FirstName, EmailAddress, Addresses, Phones, ContactNumber, …). */
  fields: Record<string, unknown>;
  IsCustomer: boolean;
  IsSupplier: boolean;
  UpdatedDateUTC: number;
}

export interface LineTrackingRecord { TrackingCategoryID: string; TrackingOptionID: string; Name: string; Option: string }

export interface LineRecord {
  LineItemID: string;
  Description?: string;
  /** Decimal text, 4 dp at most. */
  Quantity: string;
  UnitAmount: string;
  DiscountRate?: string;
  ItemCode?: string;
  AccountCode?: string;
  AccountID?: string;
  TaxType?: string;
  LineAmount: Cents;
  TaxAmount: Cents;
  DiscountAmount: Cents;
  Tracking: LineTrackingRecord[];
}

export type DocumentStatus = 'DRAFT' | 'SUBMITTED' | 'AUTHORISED' | 'PAID' | 'VOIDED' | 'DELETED';

export interface Totals { SubTotal: Cents; TotalTax: Cents; Total: Cents; TotalDiscount: Cents }

/** An invoice (ACCREC/ACCPAY) or a credit note (ACCRECCREDIT/ACCPAYCREDIT). */
export interface DocumentRecord extends Totals {
  kind: 'invoice' | 'creditnote';
  id: string;
  Type: 'ACCREC' | 'ACCPAY' | 'ACCRECCREDIT' | 'ACCPAYCREDIT';
  Number?: string;
  Reference?: string;
  ContactID: string;
  Date: number;
  DueDate?: number;
  ExpectedPaymentDate?: number;
  PlannedPaymentDate?: number;
  Status: DocumentStatus;
  LineAmountTypes: LineAmountTypes;
  CurrencyCode: string;
  CurrencyRate: string;
  BrandingThemeID?: string;
  Url?: string;
  SentToContact?: boolean;
  lines: LineRecord[];
  AmountPaid: Cents;
  /** Credit notes applied to an invoice, or for a credit note the amount allocated to invoices. */
  AmountCredited: Cents;
  FullyPaidOnDate?: number;
  UpdatedDateUTC: number;
  CreatedDateUTC: number;
  createdByAppId: string;
  /** Files attached through …/{id}/Attachments (absent: none). */
  attachments?: AttachmentRecord[];
}

/** A file attached to a document; the bytes are kept as base64 so snapshots stay plain JSON. */
export interface AttachmentRecord {
  AttachmentID: string;
  FileName: string;
  MimeType: string;
  ContentLength: number;
  IncludeOnline: boolean;
  contentBase64: string;
  createdByAppId: string;
  CreatedDateUTC: number;
}

export interface PaymentRecord {
  PaymentID: string;
  /** 'prepayment': a refund of a prepayment (documentId is its PrepaymentID). */
  documentKind: 'invoice' | 'creditnote' | 'prepayment';
  documentId: string;
  AccountID: string;
  Date: number;
  Amount: Cents;
  /** Amount in the bank account's currency. */
  BankAmount: Cents;
  CurrencyRate: string;
  Reference?: string;
  IsReconciled: boolean;
  Status: 'AUTHORISED' | 'DELETED';
  PaymentType: 'ACCRECPAYMENT' | 'ACCPAYPAYMENT' | 'ARCREDITPAYMENT' | 'APCREDITPAYMENT' | 'ARPREPAYMENTPAYMENT';
  UpdatedDateUTC: number;
}

export interface AllocationRecord {
  AllocationID: string;
  creditNoteId: string;
  invoiceId: string;
  Amount: Cents;
  Date: number;
  IsDeleted: boolean;
}

/** Part of an overpayment applied to an invoice of its contact (PUT /Overpayments/{id}/Allocations). */
export interface OverpaymentAllocationRecord {
  AllocationID: string;
  invoiceId: string;
  Amount: Cents;
  Date: number;
  IsDeleted: boolean;
}

export interface BankTransactionRecord extends Totals {
  BankTransactionID: string;
  /**
   * SPEND-TRANSFER / RECEIVE-TRANSFER are the two legs Xero books for a BankTransfer (read-only here).
   * RECEIVE-PREPAYMENT creates a Prepayment (prepayments.ts).
   * RECEIVE-OVERPAYMENT is money received above what was owed: an Overpayment (same id) with credit to allocate.
   */
  Type: 'SPEND' | 'RECEIVE' | 'SPEND-TRANSFER' | 'RECEIVE-TRANSFER' | 'RECEIVE-PREPAYMENT' | 'RECEIVE-OVERPAYMENT';
  /** Absent on transfer legs: a transfer has no contact. */
  ContactID?: string;
  /** RECEIVE-PREPAYMENT only: the Prepayment it created (prepayments.ts). */
  PrepaymentID?: string;
  BankAccountID: string;
  Date: number;
  Reference?: string;
  Url?: string;
  Status: 'AUTHORISED' | 'DELETED' | 'VOIDED';
  LineAmountTypes: LineAmountTypes;
  CurrencyCode: string;
  CurrencyRate: string;
  IsReconciled: boolean;
  lines: LineRecord[];
  UpdatedDateUTC: number;
  /** RECEIVE-OVERPAYMENT only: its allocations to invoices (overpayments.ts). */
  overpaymentAllocations?: OverpaymentAllocationRecord[];
}

/**
 * A customer's prepayment (money received before its invoice), created by a RECEIVE-PREPAYMENT bank
 * transaction; its credit is allocated to invoices of the same contact and currency, or refunded.
 */
export interface PrepaymentRecord extends Totals {
  PrepaymentID: string;
  BankTransactionID: string;
  Type: 'RECEIVE-PREPAYMENT';
  ContactID: string;
  Date: number;
  Status: 'AUTHORISED' | 'PAID' | 'VOIDED';
  LineAmountTypes: LineAmountTypes;
  CurrencyCode: string;
  CurrencyRate: string;
  lines: LineRecord[];
  /** Allocated to invoices plus refunded: RemainingCredit = Total − AmountApplied. */
  AmountApplied: Cents;
  UpdatedDateUTC: number;
}

export interface PrepaymentAllocationRecord {
  AllocationID: string;
  prepaymentId: string;
  invoiceId: string;
  Amount: Cents;
  Date: number;
  IsDeleted: boolean;
}

export interface BankTransferRecord {
  BankTransferID: string;
  FromAccountID: string;
  ToAccountID: string;
  Amount: Cents;
  Date: number;
  Reference?: string;
  /** Units of the To account's currency per unit of the From account's ("1" when both are the same). */
  CurrencyRate: string;
  FromBankTransactionID: string;
  ToBankTransactionID: string;
  FromIsReconciled: boolean;
  ToIsReconciled: boolean;
  Status: 'AUTHORISED' | 'DELETED';
  CreatedDateUTC: number;
}

export interface ManualJournalLineRecord {
  AccountID: string;
  /** Debits positive, credits negative. */
  LineAmount: Cents;
  Description?: string;
  TaxType: string;
}

export interface ManualJournalRecord {
  ManualJournalID: string;
  Narration: string;
  Date: number;
  Status: 'DRAFT' | 'POSTED';
  LineAmountTypes: 'NoTax' | 'Exclusive' | 'Inclusive';
  ShowOnCashBasisReports: boolean;
  Url?: string;
  lines: ManualJournalLineRecord[];
  UpdatedDateUTC: number;
}

export type HistoryEndpoint = 'Invoices' | 'CreditNotes' | 'Payments' | 'BankTransactions' | 'BankTransfers' | 'Contacts';

export interface HistoryRecordEntry {
  endpoint: HistoryEndpoint;
  objectId: string;
  DateUTC: number;
  User: string;
  Changes: string;
  Details: string;
}

export interface OrganisationRecord {
  OrganisationID: string;
  Name: string;
  LegalName: string;
  ShortCode: string;
  BaseCurrency: string;
  CountryCode: string;
  Version: string;
  Timezone: string;
  OrganisationType: string;
  Class: string;
  Edition: 'BUSINESS' | 'PARTNER';
  IsDemoCompany: boolean;
  PaysTax: boolean;
  SalesTaxBasis?: string;
  SalesTaxPeriod?: string;
  DefaultSalesTax?: string;
  DefaultPurchasesTax?: string;
  FinancialYearEndDay: number;
  FinancialYearEndMonth: number;
  TaxNumber?: string;
  CreatedDateUTC: number;
  /** Lock dates (UTC midnight of the day): nothing posted on or before them (rules/lockDates.ts). */
  PeriodLockDate?: number;
  EndOfYearLockDate?: number;
}

export interface CurrencyRecord { Code: string; Description: string; /** Units of this currency per base unit, used when CurrencyRate is not sent. */ defaultRate: string }

export interface Book {
  organisation: OrganisationRecord;
  currencies: CurrencyRecord[];
  accounts: Map<string, AccountRecord>;
  taxRates: Map<string, TaxRateRecord>;
  trackingCategories: Map<string, TrackingCategoryRecord>;
  contacts: Map<string, ContactRecord>;
  invoices: Map<string, DocumentRecord>;
  creditNotes: Map<string, DocumentRecord>;
  payments: Map<string, PaymentRecord>;
  allocations: Map<string, AllocationRecord>;
  bankTransactions: Map<string, BankTransactionRecord>;
  bankTransfers: Map<string, BankTransferRecord>;
  prepayments: Map<string, PrepaymentRecord>;
  prepaymentAllocations: Map<string, PrepaymentAllocationRecord>;
  manualJournals: Map<string, ManualJournalRecord>;
  history: HistoryRecordEntry[];
  sequences: { invoice: number; creditNote: number };
}

/** Book with Maps flattened to arrays: the snapshot format. */
export type BookData = {
  [K in keyof Book]: Book[K] extends Map<string, infer V> ? V[] : Book[K];
};

const MAP_KEYS = {
  accounts: 'AccountID',
  taxRates: 'TaxType',
  trackingCategories: 'TrackingCategoryID',
  contacts: 'ContactID',
  invoices: 'id',
  creditNotes: 'id',
  payments: 'PaymentID',
  allocations: 'AllocationID',
  bankTransactions: 'BankTransactionID',
  bankTransfers: 'BankTransferID',
  prepayments: 'PrepaymentID',
  prepaymentAllocations: 'AllocationID',
  manualJournals: 'ManualJournalID',
} as const;

export function bookToData(book: Book): BookData {
  return structuredClone({
    ...book,
    accounts: [...book.accounts.values()],
    taxRates: [...book.taxRates.values()],
    trackingCategories: [...book.trackingCategories.values()],
    contacts: [...book.contacts.values()],
    invoices: [...book.invoices.values()],
    creditNotes: [...book.creditNotes.values()],
    payments: [...book.payments.values()],
    allocations: [...book.allocations.values()],
    bankTransactions: [...book.bankTransactions.values()],
    bankTransfers: [...book.bankTransfers.values()],
    prepayments: [...book.prepayments.values()],
    prepaymentAllocations: [...book.prepaymentAllocations.values()],
    manualJournals: [...book.manualJournals.values()],
  });
}

function toMap<V>(items: V[], key: string): Map<string, V> {
  return new Map(items.map((item) => [String((item as Record<string, unknown>)[key]), item]));
}

export function dataToBook(data: BookData): Book {
  const copy = structuredClone(data);
  return {
    ...copy,
    accounts: toMap(copy.accounts, MAP_KEYS.accounts),
    taxRates: toMap(copy.taxRates, MAP_KEYS.taxRates),
    trackingCategories: toMap(copy.trackingCategories, MAP_KEYS.trackingCategories),
    contacts: toMap(copy.contacts, MAP_KEYS.contacts),
    invoices: toMap(copy.invoices, MAP_KEYS.invoices),
    creditNotes: toMap(copy.creditNotes, MAP_KEYS.creditNotes),
    payments: toMap(copy.payments, MAP_KEYS.payments),
    allocations: toMap(copy.allocations, MAP_KEYS.allocations),
    bankTransactions: toMap(copy.bankTransactions, MAP_KEYS.bankTransactions),
    bankTransfers: toMap(copy.bankTransfers, MAP_KEYS.bankTransfers),
    // Snapshots saved before prepayments existed have none.
    prepayments: toMap(copy.prepayments ?? [], MAP_KEYS.prepayments),
    prepaymentAllocations: toMap(copy.prepaymentAllocations ?? [], MAP_KEYS.prepaymentAllocations),
    // Snapshots from before manual journals have none.
    manualJournals: toMap(copy.manualJournals ?? [], MAP_KEYS.manualJournals),
  };
}

export function accountClass(type: string): AccountClass {
  switch (type) {
    case 'BANK': case 'CURRENT': case 'FIXED': case 'INVENTORY': case 'NONCURRENT': case 'PREPAYMENT': return 'ASSET';
    case 'CURRLIAB': case 'LIABILITY': case 'TERMLIAB': case 'PAYG': return 'LIABILITY';
    case 'EQUITY': return 'EQUITY';
    case 'REVENUE': case 'SALES': case 'OTHERINCOME': return 'REVENUE';
    default: return 'EXPENSE';
  }
}

/** Amount still owed on an invoice, or credit still unapplied on a credit note. */
export function amountDue(doc: Pick<DocumentRecord, 'Total' | 'AmountPaid' | 'AmountCredited'>): Cents {
  return doc.Total - doc.AmountPaid - doc.AmountCredited;
}
