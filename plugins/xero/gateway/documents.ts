// What the gateway sends: Xero's own JSON, PascalCase, exactly what goes on the wire. The payload builders
// (payloads/) and the payout plan (payouts/plan.ts) produce these; the gateway turns each into xero-node's
// model at the last moment (toXeroNode*, with xero-node's own ObjectSerializer, which serialises back to
// the identical JSON). Why not xero-node's model classes throughout: (1) the audit trail stores what was
// sent, and Xero's messages name PascalCase fields; (2) the emulator and the tests speak that JSON;
// (3) xero-node's enum typings are numeric while its runtime values are strings, so typed model literals
// would need casts everywhere.
//
// NUMBERS: amounts, quantities and rates are JS numbers made from exact decimals (at most 15 significant
// digits), so JSON.stringify writes exactly the decimal computed. Amounts are at Xero's 2 dp.
import {
  ObjectSerializer, type Account, type Allocation, type BankTransaction, type BankTransfer, type Contact, type CreditNote, type Invoice, type ManualJournal, type Payment,
} from 'xero-node';

export type XeroLineAmountTypes = 'Exclusive' | 'Inclusive' | 'NoTax';

export interface XeroTracking {
  Name: string;
  Option: string;
  TrackingCategoryID?: string;
  TrackingOptionID?: string;
}

export interface XeroLineItem {
  Description: string;
  /** At most 4 dp. */
  Quantity: number;
  /** At most 4 dp; the built document says when it needs `unitdp=4`. */
  UnitAmount: number;
  /** Percent, at most 2 dp; omitted when there is no discount. */
  DiscountRate?: number;
  /** 2 dp; always equal to Xero's Quantity × UnitAmount × (1 − DiscountRate/100) rounded, so Xero accepts it. */
  LineAmount: number;
  AccountCode: string;
  TaxType: string;
  Tracking?: XeroTracking[];
}

export type XeroContactRef = { ContactID: string } | { Name: string; ContactNumber: string; EmailAddress?: string };

export interface XeroInvoice {
  Type: 'ACCREC';
  Contact: XeroContactRef;
  InvoiceNumber: string;
  Reference: string;
  Url?: string;
  CurrencyCode: string;
  /** YYYY-MM-DD. */
  Date: string;
  DueDate: string;
  Status: 'DRAFT' | 'AUTHORISED';
  LineAmountTypes: XeroLineAmountTypes;
  LineItems: XeroLineItem[];
  BrandingThemeID?: string;
}

export interface XeroCreditNote {
  Type: 'ACCRECCREDIT';
  Contact: XeroContactRef;
  CreditNoteNumber: string;
  Reference: string;
  CurrencyCode: string;
  Date: string;
  Status: 'AUTHORISED';
  LineAmountTypes: XeroLineAmountTypes;
  LineItems: XeroLineItem[];
  BrandingThemeID?: string;
}

/** An account named by code (a mapped account) or by id (a clearing account, which may have no code). */
export type XeroAccountRef = { Code: string } | { AccountID: string };

export interface XeroPayment {
  Invoice?: { InvoiceID: string };
  CreditNote?: { CreditNoteID: string };
  /** A refund paid out of a customer's prepayment (sync/deposits/). */
  Prepayment?: { PrepaymentID: string };
  Account: XeroAccountRef;
  Date: string;
  /** 2 dp, in the document's currency. */
  Amount: number;
  /** Units of the document's currency per unit of the account's, 6 dp: a payment the provider converted. */
  CurrencyRate?: number;
  Reference: string;
}

export interface XeroAllocation {
  Amount: number;
  Invoice: { InvoiceID: string };
  Date: string;
}

export interface XeroContact {
  Name: string;
  ContactNumber: string;
  EmailAddress?: string;
}

/** Money into (RECEIVE) or out of (SPEND) a bank account, coded to another account: a payout's fees, disputes, suspense. */
export interface XeroBankTransaction {
  Type: 'SPEND' | 'RECEIVE';
  Contact: { Name: string };
  BankAccount: { AccountID: string };
  Date: string;
  Reference: string;
  CurrencyCode: string;
  LineAmountTypes: XeroLineAmountTypes;
  LineItems: { Description: string; Quantity: number; UnitAmount: number; AccountCode: string; TaxType: string }[];
}

/**
 * Money received above what the customer owed, kept as their credit: a RECEIVE-OVERPAYMENT bank transaction
 * into the payment method's account, one line with no account or tax (Xero books it to receivables).
 */
export interface XeroOverpaymentDraft {
  Type: 'RECEIVE-OVERPAYMENT';
  Contact: { ContactID: string };
  BankAccount: XeroAccountRef;
  Date: string;
  Reference: string;
  CurrencyCode: string;
  LineAmountTypes: 'NoTax';
  LineItems: { Description: string; LineAmount: number }[];
}

/** A customer's deposit received before its invoice exists: Xero makes a Prepayment of it (sync/deposits/). */
export interface XeroPrepaymentReceipt {
  Type: 'RECEIVE-PREPAYMENT';
  Contact: { ContactID: string };
  BankAccount: XeroAccountRef;
  Date: string;
  Reference: string;
  CurrencyCode: string;
  LineAmountTypes: XeroLineAmountTypes;
  LineItems: { Description: string; Quantity: number; UnitAmount: number; AccountCode: string; TaxType: string }[];
}

export interface XeroBankTransfer {
  FromBankAccount: XeroAccountRef;
  ToBankAccount: XeroAccountRef;
  Amount: number;
  Date: string;
  Reference: string;
}

/** A manual journal: debits positive, credits negative, the lines balancing to zero. */
export interface XeroManualJournal {
  Narration: string;
  Date: string;
  Status: 'POSTED';
  LineAmountTypes: 'NoTax';
  JournalLines: { AccountCode: string; LineAmount: number; Description: string; TaxType: string }[];
}

/** A bank account we create (a provider's clearing account). */
export interface XeroBankAccountDraft {
  Name: string;
  Type: 'BANK';
  BankAccountNumber: string;
  CurrencyCode: string;
  Description: string;
}

// Each document as xero-node's model of it (what AccountingApi's create methods take).
export const toXeroNodeInvoice = (d: XeroInvoice): Invoice => ObjectSerializer.deserialize(d, 'Invoice') as Invoice;
export const toXeroNodeCreditNote = (d: XeroCreditNote): CreditNote => ObjectSerializer.deserialize(d, 'CreditNote') as CreditNote;
export const toXeroNodePayment = (d: XeroPayment): Payment => ObjectSerializer.deserialize(d, 'Payment') as Payment;
export const toXeroNodeAllocation = (d: XeroAllocation): Allocation => ObjectSerializer.deserialize(d, 'Allocation') as Allocation;
export const toXeroNodeContact = (d: XeroContact): Contact => ObjectSerializer.deserialize(d, 'Contact') as Contact;
export const toXeroNodeBankTransaction = (d: XeroBankTransaction): BankTransaction => ObjectSerializer.deserialize(d, 'BankTransaction') as BankTransaction;
export const toXeroNodeOverpaymentDraft = (d: XeroOverpaymentDraft): BankTransaction => ObjectSerializer.deserialize(d, 'BankTransaction') as BankTransaction;
export const toXeroNodePrepaymentReceipt = (d: XeroPrepaymentReceipt): BankTransaction => ObjectSerializer.deserialize(d, 'BankTransaction') as BankTransaction;
export const toXeroNodeBankTransfer = (d: XeroBankTransfer): BankTransfer => ObjectSerializer.deserialize(d, 'BankTransfer') as BankTransfer;
export const toXeroNodeAccount = (d: XeroBankAccountDraft): Account => ObjectSerializer.deserialize(d, 'Account') as Account;
export const toXeroNodeManualJournal = (d: XeroManualJournal): ManualJournal => ObjectSerializer.deserialize(d, 'ManualJournal') as ManualJournal;
