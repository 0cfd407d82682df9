// Records → Xero's JSON shapes (checked against components/schemas in xero_accounting.yaml).
// Every known field is emitted, undefined when empty: JSON.stringify drops those, while the `where`
// evaluator can still tell a known-but-empty field from an unknown one.
import { dateString, msDate } from './dates';
import { centsToNumber, FINE_SCALE, rescale, scaledToNumber, toScaled, type Cents } from './money';
import {
  accountClass, amountDue,
  type AccountRecord, type AllocationRecord, type BankTransactionRecord, type BankTransferRecord, type Book, type ContactRecord,
  type DocumentRecord, type HistoryRecordEntry, type ManualJournalRecord, type LineRecord, type PaymentRecord, type TaxRateRecord, type TrackingCategoryRecord,
} from './model';

export type Json = Record<string, unknown>;

export interface SerializeOptions {
  /** unitdp=4 shows unit amounts to 4 dp; otherwise Xero rounds them to 2. */
  unitdp: 2 | 4;
  /** List responses without paging omit line items, as Xero does. */
  includeLines: boolean;
}

export const DEFAULT_SERIALIZE: SerializeOptions = { unitdp: 2, includeLines: true };

export function money(cents: number | undefined): number | undefined {
  return cents === undefined ? undefined : centsToNumber(cents);
}

function decimal(text: string | undefined, dp: number = FINE_SCALE): number | undefined {
  if (text === undefined) return undefined;
  const scaled = toScaled(text, FINE_SCALE);
  return scaled === undefined ? undefined : scaledToNumber(rescale(scaled, FINE_SCALE, dp), dp);
}

/** A currency rate as Xero shows it: up to 6 decimal places (rates are kept at 6 dp). */
export function currencyRate(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const scaled = toScaled(text, 6);
  return scaled === undefined ? undefined : scaledToNumber(scaled, 6);
}

export function day(ms: number | undefined, name: string): Json {
  return ms === undefined ? { [name]: undefined, [`${name}String`]: undefined } : { [name]: msDate(ms), [`${name}String`]: dateString(ms) };
}

export function accountRef(book: Book, accountId: string): Json {
  const account = book.accounts.get(accountId);
  return { AccountID: accountId, Code: account?.Code, Name: account?.Name };
}

export function serializeAccount(account: AccountRecord): Json {
  return {
    AccountID: account.AccountID,
    Code: account.Code,
    Name: account.Name,
    Status: account.Status,
    Type: account.Type,
    TaxType: account.TaxType,
    Description: account.Description,
    Class: accountClass(account.Type),
    SystemAccount: account.SystemAccount,
    EnablePaymentsToAccount: account.EnablePaymentsToAccount,
    ShowInExpenseClaims: account.ShowInExpenseClaims,
    BankAccountNumber: account.BankAccountNumber,
    BankAccountType: account.Type === 'BANK' ? (account.BankAccountType ?? 'BANK') : '',
    CurrencyCode: account.CurrencyCode,
    ReportingCode: account.ReportingCode,
    ReportingCodeName: account.ReportingCodeName,
    AddToWatchlist: account.AddToWatchlist,
    HasAttachments: false,
    UpdatedDateUTC: msDate(account.UpdatedDateUTC),
  };
}

export function serializeTaxRate(rate: TaxRateRecord): Json {
  const percent = decimal(rate.rate) ?? 0;
  return {
    Name: rate.Name,
    TaxType: rate.TaxType,
    ReportTaxType: rate.ReportTaxType,
    CanApplyToAssets: rate.CanApplyToAssets,
    CanApplyToEquity: rate.CanApplyToEquity,
    CanApplyToExpenses: rate.CanApplyToExpenses,
    CanApplyToLiabilities: rate.CanApplyToLiabilities,
    CanApplyToRevenue: rate.CanApplyToRevenue,
    DisplayTaxRate: percent,
    EffectiveRate: percent,
    Status: rate.Status,
    TaxComponents: [{ Name: rate.TaxType === 'NONE' ? 'None' : 'Tax', Rate: percent, IsCompound: false, IsNonRecoverable: false }],
  };
}

export function serializeTrackingCategory(category: TrackingCategoryRecord): Json {
  return {
    TrackingCategoryID: category.TrackingCategoryID,
    Name: category.Name,
    Status: category.Status,
    Options: category.Options.map((option) => ({ TrackingOptionID: option.TrackingOptionID, Name: option.Name, Status: option.Status })),
  };
}

const CONTACT_PASSTHROUGH = [
  'ContactNumber', 'AccountNumber', 'FirstName', 'LastName', 'CompanyNumber', 'EmailAddress', 'BankAccountDetails', 'TaxNumber',
  'AccountsReceivableTaxType', 'AccountsPayableTaxType', 'Addresses', 'Phones', 'ContactPersons', 'DefaultCurrency',
  'SalesDefaultAccountCode', 'PurchasesDefaultAccountCode', 'SalesDefaultLineAmountType', 'PurchasesDefaultLineAmountType',
  'XeroNetworkKey', 'Website', 'PaymentTerms', 'TrackingCategoryName', 'TrackingCategoryOption',
] as const;

export const CONTACT_WRITABLE_FIELDS: readonly string[] = CONTACT_PASSTHROUGH.filter((f) => f !== 'Website');

export function serializeContact(contact: ContactRecord): Json {
  const passthrough: Json = {};
  for (const field of CONTACT_PASSTHROUGH) passthrough[field] = contact.fields[field];
  return {
    ContactID: contact.ContactID,
    ContactStatus: contact.ContactStatus,
    Name: contact.Name,
    ...passthrough,
    Addresses: contact.fields.Addresses ?? [],
    Phones: contact.fields.Phones ?? [],
    ContactGroups: [],
    IsSupplier: contact.IsSupplier,
    IsCustomer: contact.IsCustomer,
    HasAttachments: false,
    HasValidationErrors: false,
    UpdatedDateUTC: msDate(contact.UpdatedDateUTC),
  };
}

export function contactRef(book: Book, contactId: string): Json {
  const contact = book.contacts.get(contactId);
  return contact ? serializeContact(contact) : { ContactID: contactId };
}

export function serializeLine(line: LineRecord, options: SerializeOptions): Json {
  return {
    LineItemID: line.LineItemID,
    Description: line.Description,
    Quantity: decimal(line.Quantity),
    UnitAmount: decimal(line.UnitAmount, options.unitdp),
    ItemCode: line.ItemCode,
    AccountCode: line.AccountCode,
    AccountID: line.AccountID,
    TaxType: line.TaxType,
    TaxAmount: money(line.TaxAmount),
    LineAmount: money(line.LineAmount),
    DiscountRate: decimal(line.DiscountRate),
    Tracking: line.Tracking.map((t) => ({ TrackingCategoryID: t.TrackingCategoryID, TrackingOptionID: t.TrackingOptionID, Name: t.Name, Option: t.Option })),
  };
}

export function paymentSummary(payment: PaymentRecord): Json {
  return {
    PaymentID: payment.PaymentID,
    ...day(payment.Date, 'Date'),
    Amount: money(payment.Amount),
    BankAmount: money(payment.BankAmount),
    Reference: payment.Reference,
    CurrencyRate: currencyRate(payment.CurrencyRate),
    HasAccount: false,
    HasValidationErrors: false,
  };
}

function livePayments(book: Book, documentId: string): PaymentRecord[] {
  return [...book.payments.values()].filter((p) => p.documentId === documentId && p.Status === 'AUTHORISED');
}

function liveAllocations(book: Book, predicate: (a: AllocationRecord) => boolean): AllocationRecord[] {
  return [...book.allocations.values()].filter((a) => !a.IsDeleted && predicate(a));
}

/** Fields common to invoices and credit notes. */
function documentCore(book: Book, doc: DocumentRecord, options: SerializeOptions): Json {
  return {
    Type: doc.Type,
    Reference: doc.Reference,
    Contact: contactRef(book, doc.ContactID),
    ...day(doc.Date, 'Date'),
    Status: doc.Status,
    LineAmountTypes: doc.LineAmountTypes,
    LineItems: options.includeLines ? doc.lines.map((line) => serializeLine(line, options)) : undefined,
    SubTotal: money(doc.SubTotal),
    TotalTax: money(doc.TotalTax),
    Total: money(doc.Total),
    CurrencyCode: doc.CurrencyCode,
    CurrencyRate: currencyRate(doc.CurrencyRate),
    ...day(doc.FullyPaidOnDate, 'FullyPaidOnDate'),
    BrandingThemeID: doc.BrandingThemeID,
    HasAttachments: (doc.attachments?.length ?? 0) > 0,
    HasErrors: false,
    UpdatedDateUTC: msDate(doc.UpdatedDateUTC),
  };
}

export function serializeInvoice(book: Book, doc: DocumentRecord, options: SerializeOptions = DEFAULT_SERIALIZE): Json {
  const allocations = liveAllocations(book, (a) => a.invoiceId === doc.id);
  return {
    InvoiceID: doc.id,
    InvoiceNumber: doc.Number,
    ...documentCore(book, doc, options),
    ...day(doc.DueDate, 'DueDate'),
    ...day(doc.ExpectedPaymentDate, 'ExpectedPaymentDate'),
    ...day(doc.PlannedPaymentDate, 'PlannedPaymentDate'),
    TotalDiscount: doc.TotalDiscount ? money(doc.TotalDiscount) : undefined,
    IsDiscounted: doc.TotalDiscount !== 0,
    AmountDue: money(amountDue(doc)),
    AmountPaid: money(doc.AmountPaid),
    AmountCredited: money(doc.AmountCredited),
    SentToContact: doc.SentToContact ?? false,
    Url: doc.Url,
    Payments: livePayments(book, doc.id).map(paymentSummary),
    CreditNotes: allocations.map((allocation) => {
      const note = book.creditNotes.get(allocation.creditNoteId);
      return {
        CreditNoteID: allocation.creditNoteId,
        CreditNoteNumber: note?.Number,
        AppliedAmount: money(allocation.Amount),
        ...day(allocation.Date, 'Date'),
        Total: money(note?.Total),
        HasErrors: false,
      };
    }),
    Prepayments: [...book.prepaymentAllocations.values()].filter((a) => !a.IsDeleted && a.invoiceId === doc.id).map((a) => ({
      PrepaymentID: a.prepaymentId, ...day(a.Date, 'Date'), AppliedAmount: money(a.Amount), Total: money(book.prepayments.get(a.prepaymentId)?.Total),
    })),
    Overpayments: overpaymentsApplied(book, doc.id),
  };
}

/** The overpayments allocated to an invoice, as its `Overpayments` list shows them. */
function overpaymentsApplied(book: Book, invoiceId: string): Json[] {
  const applied: Json[] = [];
  for (const txn of book.bankTransactions.values()) {
    for (const a of txn.overpaymentAllocations ?? []) {
      if (a.IsDeleted || a.invoiceId !== invoiceId) continue;
      applied.push({ OverpaymentID: txn.BankTransactionID, Type: txn.Type, AppliedAmount: money(a.Amount), ...day(a.Date, 'Date'), Total: money(txn.Total), CurrencyCode: txn.CurrencyCode });
    }
  }
  return applied;
}

export function serializeCreditNote(book: Book, doc: DocumentRecord, options: SerializeOptions = DEFAULT_SERIALIZE): Json {
  const allocations = liveAllocations(book, (a) => a.creditNoteId === doc.id);
  return {
    CreditNoteID: doc.id,
    CreditNoteNumber: doc.Number,
    ...documentCore(book, doc, options),
    ...day(doc.DueDate, 'DueDate'),
    RemainingCredit: money(amountDue(doc)),
    SentToContact: doc.SentToContact ?? false,
    Payments: livePayments(book, doc.id).map(paymentSummary),
    Allocations: allocations.map((allocation) => serializeAllocation(book, allocation, false)),
  };
}

/**
 * What every allocation answers (`Allocation`), whatever its credit: itself and the invoice it went to, with
 * the invoice's total of what `applied` counts (AmountCredited for credit notes and overpayments, AmountPaid
 * for prepayments). The credit itself follows in the caller's own field.
 */
export function allocationAnswer(
  book: Book, a: { AllocationID: string; invoiceId: string; Amount: Cents; Date: number; IsDeleted: boolean }, applied: 'AmountCredited' | 'AmountPaid',
): Json {
  const invoice = book.invoices.get(a.invoiceId);
  return {
    AllocationID: a.AllocationID,
    Amount: money(a.Amount),
    ...day(a.Date, 'Date'),
    IsDeleted: a.IsDeleted,
    Invoice: {
      InvoiceID: a.invoiceId,
      InvoiceNumber: invoice?.Number,
      Type: invoice?.Type,
      Status: invoice?.Status,
      AmountDue: invoice ? money(amountDue(invoice)) : undefined,
      [applied]: money(invoice?.[applied]),
      HasErrors: false,
    },
  };
}

export function serializeAllocation(book: Book, allocation: AllocationRecord, withCreditNote = true): Json {
  const note = book.creditNotes.get(allocation.creditNoteId);
  return {
    ...allocationAnswer(book, allocation, 'AmountCredited'),
    CreditNote: withCreditNote && note
      ? { CreditNoteID: note.id, CreditNoteNumber: note.Number, Type: note.Type, Status: note.Status, RemainingCredit: money(amountDue(note)), HasErrors: false }
      : undefined,
  };
}

export function serializePayment(book: Book, payment: PaymentRecord): Json {
  const doc = payment.documentKind === 'invoice' ? book.invoices.get(payment.documentId) : book.creditNotes.get(payment.documentId);
  const docSummary: Json | undefined = doc && {
    Type: doc.Type,
    Contact: { ContactID: doc.ContactID, Name: book.contacts.get(doc.ContactID)?.Name, HasValidationErrors: false },
    CurrencyCode: doc.CurrencyCode,
    Status: doc.Status,
    Total: money(doc.Total),
    HasErrors: false,
  };
  return {
    PaymentID: payment.PaymentID,
    ...day(payment.Date, 'Date'),
    Amount: money(payment.Amount),
    BankAmount: money(payment.BankAmount),
    CurrencyRate: currencyRate(payment.CurrencyRate),
    Reference: payment.Reference,
    IsReconciled: payment.IsReconciled,
    Status: payment.Status,
    PaymentType: payment.PaymentType,
    UpdatedDateUTC: msDate(payment.UpdatedDateUTC),
    HasAccount: true,
    HasValidationErrors: false,
    Account: accountRef(book, payment.AccountID),
    Invoice: payment.documentKind === 'invoice' ? { InvoiceID: payment.documentId, InvoiceNumber: doc?.Number, ...docSummary } : undefined,
    CreditNote: payment.documentKind === 'creditnote' ? { CreditNoteID: payment.documentId, CreditNoteNumber: doc?.Number, ...docSummary } : undefined,
    Prepayment: payment.documentKind === 'prepayment' ? { PrepaymentID: payment.documentId } : undefined,
  };
}

export function serializeBankTransaction(book: Book, txn: BankTransactionRecord, options: SerializeOptions = DEFAULT_SERIALIZE): Json {
  return {
    BankTransactionID: txn.BankTransactionID,
    OverpaymentID: txn.Type === 'RECEIVE-OVERPAYMENT' ? txn.BankTransactionID : undefined,
    Type: txn.Type,
    PrepaymentID: txn.PrepaymentID,
    Contact: txn.ContactID === undefined ? undefined : contactRef(book, txn.ContactID),
    BankAccount: accountRef(book, txn.BankAccountID),
    ...day(txn.Date, 'Date'),
    Reference: txn.Reference,
    Url: txn.Url,
    Status: txn.Status,
    LineAmountTypes: txn.LineAmountTypes,
    LineItems: options.includeLines ? txn.lines.map((line) => serializeLine(line, options)) : undefined,
    SubTotal: money(txn.SubTotal),
    TotalTax: money(txn.TotalTax),
    Total: money(txn.Total),
    CurrencyCode: txn.CurrencyCode,
    CurrencyRate: currencyRate(txn.CurrencyRate),
    IsReconciled: txn.IsReconciled,
    HasAttachments: false,
    UpdatedDateUTC: msDate(txn.UpdatedDateUTC),
  };
}

export function serializeBankTransfer(book: Book, transfer: BankTransferRecord): Json {
  return {
    BankTransferID: transfer.BankTransferID,
    FromBankAccount: accountRef(book, transfer.FromAccountID),
    ToBankAccount: accountRef(book, transfer.ToAccountID),
    Amount: money(transfer.Amount),
    ...day(transfer.Date, 'Date'),
    Reference: transfer.Reference,
    CurrencyRate: currencyRate(transfer.CurrencyRate),
    FromBankTransactionID: transfer.FromBankTransactionID,
    ToBankTransactionID: transfer.ToBankTransactionID,
    FromIsReconciled: transfer.FromIsReconciled,
    ToIsReconciled: transfer.ToIsReconciled,
    Status: transfer.Status,
    HasAttachments: false,
    CreatedDateUTC: msDate(transfer.CreatedDateUTC),
  };
}

export function serializeManualJournal(book: Book, journal: ManualJournalRecord): Json {
  return {
    ManualJournalID: journal.ManualJournalID,
    ...day(journal.Date, 'Date'),
    Status: journal.Status,
    LineAmountTypes: journal.LineAmountTypes,
    Narration: journal.Narration,
    ...(journal.Url ? { Url: journal.Url } : {}),
    ShowOnCashBasisReports: journal.ShowOnCashBasisReports,
    HasAttachments: false,
    UpdatedDateUTC: msDate(journal.UpdatedDateUTC),
    JournalLines: journal.lines.map((l) => {
      const account = book.accounts.get(l.AccountID);
      return { LineAmount: money(l.LineAmount), AccountCode: account?.Code, AccountID: l.AccountID, Description: l.Description, TaxType: l.TaxType, TaxAmount: 0, IsBlank: false };
    }),
  };
}

export function serializeHistory(entry: HistoryRecordEntry): Json {
  return {
    Changes: entry.Changes,
    DateUTCString: dateString(entry.DateUTC),
    DateUTC: msDate(entry.DateUTC),
    User: entry.User,
    Details: entry.Details,
  };
}

export function serializeOrganisation(book: Book): Json {
  const org = book.organisation;
  return {
    OrganisationID: org.OrganisationID,
    APIKey: undefined,
    Name: org.Name,
    LegalName: org.LegalName,
    PaysTax: org.PaysTax,
    Version: org.Version,
    OrganisationType: org.OrganisationType,
    BaseCurrency: org.BaseCurrency,
    CountryCode: org.CountryCode,
    IsDemoCompany: org.IsDemoCompany,
    OrganisationStatus: 'ACTIVE',
    TaxNumber: org.TaxNumber,
    FinancialYearEndDay: org.FinancialYearEndDay,
    FinancialYearEndMonth: org.FinancialYearEndMonth,
    SalesTaxBasis: org.SalesTaxBasis,
    SalesTaxPeriod: org.SalesTaxPeriod,
    DefaultSalesTax: org.DefaultSalesTax,
    DefaultPurchasesTax: org.DefaultPurchasesTax,
    CreatedDateUTC: msDate(org.CreatedDateUTC),
    ...(org.PeriodLockDate !== undefined ? { PeriodLockDate: msDate(org.PeriodLockDate) } : {}),
    ...(org.EndOfYearLockDate !== undefined ? { EndOfYearLockDate: msDate(org.EndOfYearLockDate) } : {}),
    OrganisationEntityType: org.OrganisationType,
    Timezone: org.Timezone,
    ShortCode: org.ShortCode,
    Edition: org.Edition,
    Class: org.Class,
    Addresses: [],
    Phones: [],
    ExternalLinks: [],
    PaymentTerms: {},
  };
}
