// What the pure payload builders take and return. Nothing here does I/O. The builders return Xero's own
// JSON, the documents the gateway sends (gateway/documents.ts: PascalCase, exactly what goes on the wire);
// the mappings they code with are mappings/types.ts.
//
// NUMBERS: amounts, quantities and rates are JS numbers produced from exact decimals with at most 15
// significant digits, so JSON.stringify writes exactly the decimal we computed (no float arithmetic
// ever produces them). Amounts are always at Xero's 2 dp, whatever the currency's own minor unit.
import type { XeroContactRef, XeroCreditNote, XeroInvoice } from '../gateway/documents';
import type { Resolution, TrackingAssignment } from '../mappings/types';

// ---------------------------------------------------------------------------------------------------
// Builder results
// ---------------------------------------------------------------------------------------------------

/** How one line was coded, for the audit trail and the UI ("why did this go to 260?"). */
export interface LineCoding {
  /** Sale line id, or null for the rounding line. */
  saleLineId: number | null;
  account: Resolution<string>;
  taxType: Resolution<string>;
  tracking: Resolution<TrackingAssignment[]>;
  /**
   * How the line's amount was expressed to Xero:
   *  'exact'     Quantity, the host's UnitAmount and DiscountRate as sold;
   *  'unit_4dp'  the same Quantity/DiscountRate with a 4-dp UnitAmount chosen so Xero's rounding lands on the charged amount;
   *  'collapsed' Quantity 1 × the charged line amount (description keeps "q × price, d % off");
   *  'rounding'  the rounding line of a 3-dp currency.
   */
  amountForm: 'exact' | 'unit_4dp' | 'collapsed' | 'rounding';
}

export interface ExpectedTotals {
  /** What Xero's Total must read, 2 dp decimal string (e.g. "12.50", JPY "1200.00"). */
  total: string;
  /** What Xero's TotalTax must read; present when every tax rate used is known (ResolvedMappings.taxRates). */
  totalTax?: string;
}

export interface RoundingAudit {
  /** The charged total in the currency's own precision, e.g. "12.345" BHD. */
  charged: string;
  /** What Xero holds (2 dp). */
  xeroTotal: string;
  /** charged − xeroTotal in the currency's own precision; |residual| ≤ half a cent. */
  residual: string;
  /** Amount of the rounding line sent (2 dp), or null when none was needed. */
  roundingLine: string | null;
}

interface BuiltDocument {
  /** Pass as createInvoices/createCreditNotes' `unitdp`: 4 when any UnitAmount has more than 2 dp. */
  unitdp: 2 | 4;
  expected: ExpectedTotals;
  coding: LineCoding[];
  /** Only for currencies with more decimals than Xero keeps (BHD, KWD, OMR…). */
  rounding?: RoundingAudit;
}

export interface BuiltInvoice extends BuiltDocument {
  payload: XeroInvoice;
}

export interface BuiltCreditNote extends BuiltDocument {
  payload: XeroCreditNote;
  /** The charged amount of the refund at Xero's 2 dp: what to allocate to the invoice. */
  allocationAmount: string;
  /** Why lines are what they are: 'full' | 'proportional' (by amount) | 'lines'. */
  basis: 'full' | 'proportional' | 'lines';
}

export interface InvoiceBuildOptions {
  contact: XeroContactRef;
  /** Absolute link back to the sale (sent as Url). */
  saleUrl: string;
  /** Epoch ms; used only when the sale has no date of its own. */
  now: number;
  /** The organisation's timezone for the Date (default 'UTC'). */
  timeZone?: string;
  /** What people call a sale ("Sale TILL-016", engine/names.ts), for the errors; default "Sale <id>". */
  saleName?: (saleId: number) => string;
}

export interface CreditNoteBuildOptions {
  contact: XeroContactRef;
  now: number;
  timeZone?: string;
  /** As InvoiceBuildOptions.saleName. */
  saleName?: (saleId: number) => string;
}

/** What a builder's error calls a sale when the caller named none. */
export const saleNameFallback = (saleId: number): string => `Sale ${saleId}`;

/** The host customer a contact is built from (SaleSnapshot['customer']). */
export interface ContactSource {
  id: number;
  name: string;
  email: string | null;
}

// Builder signatures (implemented in payloads/invoice.ts, creditNote.ts, payment.ts, contact.ts; all
// re-exported from payloads/index.ts):
//   buildInvoice(sale: SaleSnapshot, mappings: ResolvedMappings, opts: InvoiceBuildOptions): BuiltInvoice
//   buildCreditNote(refund: RefundSnapshot, sale: SaleSnapshot, mappings, opts: CreditNoteBuildOptions): BuiltCreditNote
//   buildAllocation(creditNoteTotal: string, invoice: { InvoiceID: string }, date: string): XeroAllocation
//   buildCreditNoteRefundPayment(refund: RefundSnapshot, creditNoteId: string, mappings, opts?: { timeZone? }): XeroPayment
//   buildPayment(payment: PaymentSnapshot, invoiceId: string, mappings, opts?: { timeZone? }): XeroPayment
//   buildContact(customer: ContactSource, orgId: number): XeroContact
//   contactNameCollisionVariant(name: string, customerId: number): string
//   invoiceNumberFor(saleId, mappings) / creditNoteNumberFor(refundId, mappings): the natural keys for reconcile-before-retry
// Mapping errors (a missing payment-method account, a 3-dp sale with no rounding account) are thrown as
// PermanentError with a message meant for the admin.
