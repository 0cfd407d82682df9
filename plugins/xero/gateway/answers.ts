// What Xero answers, normalised once from xero-node's models into plain typed values: ids and numbers as
// strings, statuses as Xero's own words, amounts as integer hundredths (Xero keeps every amount at 2 dp,
// whatever the currency: "Xero cents", payloads/arithmetic.ts), dates as epoch ms. Nothing past the gateway
// reads a xero-node model. A batch sent with summarizeErrors=false is answered element by element, in the
// order sent: each element is created (with its values) or refused (with Xero's validation messages).
import type {
  Account, Allocation, Attachment, BankTransaction, BankTransfer, Contact, CreditNote, Invoice, Organisation, Payment, Prepayment, TaxRate, TrackingCategory,
} from 'xero-node';

/** A short summary of what Xero said about one record (PascalCase, as Xero names the fields), for the audit trail. */
export type AnswerSummary = Record<string, unknown>;

export type Element<T> =
  | { ok: true; value: T; summary: AnswerSummary }
  | { ok: false; messages: string[]; summary: AnswerSummary };

export interface InvoiceAnswer {
  invoiceId: string;
  number: string | null;
  status: string | null;
  totalCents: number;
  amountDueCents: number;
  /** Epoch ms of the invoice's Date (0 when Xero gave none). */
  date: number;
  contact: { contactId: string | null; name: string | null; email: string | null } | null;
  /** ISO 4217 of the invoice (null when Xero gave none). */
  currency: string | null;
  /** The live payments applied to it (Xero lists only those not deleted). */
  payments: AppliedPayment[];
  /** Net, tax and total as Xero computed them; null when Xero's answer left any of them out. */
  totals: InvoiceTotals | null;
  summary: AnswerSummary;
}

/** An invoice's SubTotal, TotalTax and Total as Xero computed them, in Xero cents. */
export interface InvoiceTotals {
  subTotalCents: number;
  totalTaxCents: number;
  totalCents: number;
}

/** A payment as an invoice lists it. */
export interface AppliedPayment {
  paymentId: string;
  amountCents: number;
  /** Epoch ms of the payment's Date. */
  date: number;
  reference: string | null;
}

/** A record that changed, as a paged If-Modified-Since list shows it (the polling sweep). */
export interface ChangedRecord {
  kind: 'INVOICE' | 'CREDITNOTE';
  /** The invoice or credit note to look at (a payment's own document). */
  resourceId: string;
  updatedAt: number;
}

export interface CreditNoteAnswer {
  creditNoteId: string;
  number: string | null;
  status: string | null;
  totalCents: number;
  /** What earlier attempts already did on the note. */
  allocations: { amountCents: number; isDeleted: boolean }[];
  payments: { amountCents: number }[];
  summary: AnswerSummary;
}

export interface PaymentAnswer {
  paymentId: string | null;
  reference: string | null;
  status: string | null;
  invoiceId: string | null;
  summary: AnswerSummary;
}

export interface ContactAnswer {
  contactId: string;
  contactNumber: string | null;
  name: string | null;
  email: string | null;
  status: string | null;
}

export interface AccountAnswer {
  accountId: string;
  code: string | null;
  name: string;
  type: string;
  status: string;
  currencyCode: string | null;
  bankAccountNumber: string | null;
  enablePaymentsToAccount: boolean;
  systemAccount: string | null;
}

export interface TaxRateAnswer {
  taxType: string;
  name: string;
  status: string;
  /** Percent as a decimal string ("20", "8.875"): the effective rate, else the displayed one. */
  rate: string;
  canApplyToRevenue: boolean;
  canApplyToExpenses: boolean;
  canApplyToAssets: boolean;
  canApplyToLiabilities: boolean;
  canApplyToEquity: boolean;
}

export interface TrackingCategoryAnswer {
  trackingCategoryId: string;
  name: string;
  status: string;
  options: { trackingOptionId: string; name: string; status: string }[];
}

export interface OrganisationAnswer {
  organisationId: string | null;
  name: string | null;
  baseCurrency: string | null;
  /** The organisation's ShortCode (e.g. "!23eYt"), which Xero's deep links use to open it. */
  shortCode: string | null;
  /** Lock dates as calendar days (YYYY-MM-DD), or null when not set. */
  periodLockDate: string | null;
  endOfYearLockDate: string | null;
}

/** A Xero date ("/Date(1569801600000+0000)/", an ISO date, or a Date) as its calendar day. */
function calendarDay(value: unknown): string | null {
  if (value instanceof Date) return Number.isFinite(value.getTime()) ? value.toISOString().slice(0, 10) : null;
  if (typeof value !== 'string') return null;
  const ms = /^\/Date\((-?\d+)/.exec(value);
  if (ms) return new Date(Number(ms[1])).toISOString().slice(0, 10);
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  return iso ? iso[1]! : null;
}

/** A payout's record found by its Reference (a retry adopts it instead of posting it again). */
export interface ReferencedAnswer {
  id: string | null;
  reference: string | null;
  status: string | null;
}

// ---- the normalisers ----

/** xero-node's enum fields are typed as numbers but hold Xero's strings at run time. */
const text = (v: unknown): string | null => (v === undefined || v === null || v === '' ? null : String(v));

/** Xero's 2-dp amount as integer hundredths; a missing amount is 0. */
export const centsOf = (amount: number | undefined | null): number => Math.round(Number(amount ?? 0) * 100);

/** A Xero date ("/Date(1718409600000+0000)/", "2024-06-15", an ISO time or a Date) as epoch ms; 0 when unreadable. */
export function xeroTime(value: unknown): number {
  if (value instanceof Date) return value.getTime();
  const s = String(value ?? '');
  const ms = /Date\((-?\d+)/.exec(s);
  if (ms) return Number(ms[1]);
  const parsed = Date.parse(s.length === 10 ? `${s}T00:00:00Z` : /Z|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isFinite(parsed) ? parsed : 0;
}

function required(value: unknown, what: string): string {
  const id = text(value);
  // Xero always names what it created or found; an answer without it cannot be recorded, so the call is
  // treated as failed (retried, its send marks kept: the next attempt looks the records up first).
  if (id === null) throw new Error(`Xero answered without the ${what}; the answer cannot be recorded`);
  return id;
}

const SUMMARY_FIELDS = {
  InvoiceID: 'invoiceID', InvoiceNumber: 'invoiceNumber', CreditNoteID: 'creditNoteID', CreditNoteNumber: 'creditNoteNumber',
  PaymentID: 'paymentID', AllocationID: 'allocationID', ContactID: 'contactID', Status: 'status', Total: 'total',
  AmountDue: 'amountDue', Amount: 'amount', Reference: 'reference',
} as const;

interface ElementFlags {
  hasErrors?: boolean;
  hasValidationErrors?: boolean;
  statusAttributeString?: string;
  validationErrors?: { message?: string }[];
}

const messagesOf = (model: ElementFlags): string[] =>
  (model.validationErrors ?? []).map((e) => e.message).filter((m): m is string => typeof m === 'string' && m.length > 0);

export function summaryOf(model: object, extra: AnswerSummary = {}): AnswerSummary {
  const fields = model as Record<string, unknown>;
  const summary: AnswerSummary = {};
  for (const [key, name] of Object.entries(SUMMARY_FIELDS)) {
    const v = fields[name];
    if (v !== undefined && v !== null && typeof v !== 'object') summary[key] = v;
  }
  const messages = messagesOf(model as ElementFlags);
  if (messages.length) summary.ValidationErrors = messages;
  return { ...summary, ...extra };
}

/**
 * The elements of a summarizeErrors=false answer, in the order sent. An element Xero flags (HasErrors,
 * HasValidationErrors, StatusAttributeString ERROR) or gives validation messages was refused.
 */
export function elementsOf<M extends object, T>(models: readonly M[] | undefined, sent: number, collection: string, valueOf: (model: M) => T): Element<T>[] {
  const elements = models ?? [];
  if (elements.length !== sent) {
    throw new Error(`Xero answered ${elements.length} ${collection} for ${sent} sent; the batch cannot be matched element by element`);
  }
  return elements.map((model) => {
    const flags = model as ElementFlags;
    const messages = messagesOf(flags);
    const refused = flags.hasErrors === true || flags.hasValidationErrors === true || flags.statusAttributeString === 'ERROR' || messages.length > 0;
    const summary = summaryOf(model);
    return refused ? { ok: false, messages, summary } : { ok: true, value: valueOf(model), summary };
  });
}

/** SubTotal / TotalTax / Total, only when Xero gave all three (a missing one is not a zero). */
export function totalsOf(inv: Pick<Invoice, 'subTotal' | 'totalTax' | 'total'>): InvoiceTotals | null {
  const given = (v: number | undefined | null): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!given(inv.subTotal) || !given(inv.totalTax) || !given(inv.total)) return null;
  return { subTotalCents: centsOf(inv.subTotal), totalTaxCents: centsOf(inv.totalTax), totalCents: centsOf(inv.total) };
}

export const invoiceOf = (inv: Invoice): InvoiceAnswer => ({
  invoiceId: required(inv.invoiceID, 'InvoiceID'),
  number: text(inv.invoiceNumber),
  status: text(inv.status),
  totalCents: centsOf(inv.total),
  amountDueCents: centsOf(inv.amountDue),
  date: xeroTime(inv.date),
  contact: inv.contact ? { contactId: text(inv.contact.contactID), name: text(inv.contact.name), email: text(inv.contact.emailAddress) } : null,
  currency: text(inv.currencyCode),
  payments: (inv.payments ?? []).flatMap((p: Payment) => (p.paymentID ? [{ paymentId: p.paymentID, amountCents: centsOf(p.amount), date: xeroTime(p.date), reference: text(p.reference) }] : [])),
  totals: totalsOf(inv),
  summary: summaryOf(inv),
});

export const creditNoteOf = (note: CreditNote): CreditNoteAnswer => ({
  creditNoteId: required(note.creditNoteID, 'CreditNoteID'),
  number: text(note.creditNoteNumber),
  status: text(note.status),
  totalCents: centsOf(note.total),
  allocations: (note.allocations ?? []).map((a: Allocation) => ({ amountCents: centsOf(a.amount), isDeleted: a.isDeleted === true })),
  payments: (note.payments ?? []).map((p: Payment) => ({ amountCents: centsOf(p.amount) })),
  summary: summaryOf(note),
});

export const paymentOf = (p: Payment): PaymentAnswer => ({
  paymentId: text(p.paymentID),
  reference: text(p.reference),
  status: text(p.status),
  invoiceId: text(p.invoice?.invoiceID),
  summary: summaryOf(p),
});

export const createdAccountOf = (a: Account): { accountId: string } => ({ accountId: required(a.accountID, 'AccountID') });

export const contactOf = (c: Contact): ContactAnswer => ({
  contactId: required(c.contactID, 'ContactID'),
  contactNumber: text(c.contactNumber),
  name: text(c.name),
  email: text(c.emailAddress),
  status: text(c.contactStatus),
});

export const accountOf = (a: Account): AccountAnswer => ({
  accountId: text(a.accountID) ?? '',
  code: text(a.code),
  name: text(a.name) ?? '',
  type: text(a.type) ?? '',
  status: text(a.status) ?? '',
  currencyCode: text(a.currencyCode),
  bankAccountNumber: text(a.bankAccountNumber),
  enablePaymentsToAccount: a.enablePaymentsToAccount === true,
  systemAccount: text(a.systemAccount),
});

export const taxRateOf = (t: TaxRate): TaxRateAnswer => ({
  taxType: text(t.taxType) ?? '',
  name: text(t.name) ?? '',
  status: text(t.status) ?? '',
  rate: String(t.effectiveRate ?? t.displayTaxRate ?? 0),
  canApplyToRevenue: t.canApplyToRevenue === true,
  canApplyToExpenses: t.canApplyToExpenses === true,
  canApplyToAssets: t.canApplyToAssets === true,
  canApplyToLiabilities: t.canApplyToLiabilities === true,
  canApplyToEquity: t.canApplyToEquity === true,
});

export const trackingCategoryOf = (c: TrackingCategory): TrackingCategoryAnswer => ({
  trackingCategoryId: text(c.trackingCategoryID) ?? '',
  name: text(c.name) ?? '',
  status: text(c.status) ?? '',
  options: (c.options ?? []).map((o) => ({ trackingOptionId: text(o.trackingOptionID) ?? '', name: text(o.name) ?? '', status: text(o.status) ?? '' })),
});

export const organisationOf = (o: Organisation): OrganisationAnswer => ({
  organisationId: text(o.organisationID),
  name: text(o.name),
  baseCurrency: text(o.baseCurrency),
  shortCode: text(o.shortCode),
  periodLockDate: calendarDay(o.periodLockDate),
  endOfYearLockDate: calendarDay(o.endOfYearLockDate),
});

/** A customer's prepayment: what is left of it, and where its credit went (sync/deposits/). */
export interface PrepaymentAnswer {
  prepaymentId: string;
  status: string | null;
  totalCents: number;
  remainingCreditCents: number;
  allocations: { invoiceId: string | null; amountCents: number }[];
  summary: AnswerSummary;
}

export const prepaymentOf = (p: Prepayment): PrepaymentAnswer => ({
  prepaymentId: required(p.prepaymentID, 'PrepaymentID'),
  status: text(p.status),
  totalCents: centsOf(p.total),
  remainingCreditCents: centsOf(p.remainingCredit),
  allocations: (p.allocations ?? []).filter((a: Allocation) => a.isDeleted !== true).map((a: Allocation) => ({ invoiceId: text(a.invoice?.invoiceID), amountCents: centsOf(a.amount) })),
  summary: summaryOf(p),
});

/** A RECEIVE-PREPAYMENT bank transaction as created or found by Reference: its prepayment's id. */
export interface PrepaymentReceiptAnswer { bankTransactionId: string | null; prepaymentId: string | null; reference: string | null; status: string | null }
export const prepaymentReceiptOf = (t: BankTransaction): PrepaymentReceiptAnswer => ({
  bankTransactionId: text(t.bankTransactionID), prepaymentId: text(t.prepaymentID), reference: text(t.reference), status: text(t.status),
});

export const bankTransactionOf = (t: BankTransaction): ReferencedAnswer => ({ id: text(t.bankTransactionID), reference: text(t.reference), status: text(t.status) });
export const bankTransferOf = (t: BankTransfer): ReferencedAnswer => ({ id: text(t.bankTransferID), reference: text(t.reference), status: text(t.status) });

/** A file attached to a record. */
export interface AttachmentAnswer {
  attachmentId: string;
  fileName: string;
  mimeType: string | null;
  contentLength: number;
}

export const attachmentOf = (a: Attachment): AttachmentAnswer => ({
  attachmentId: required(a.attachmentID, 'AttachmentID'), fileName: text(a.fileName) ?? '', mimeType: text(a.mimeType), contentLength: Number(a.contentLength ?? 0),
});
