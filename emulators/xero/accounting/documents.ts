// Invoices and credit notes: create or update one element of a batch, applying Xero's rules
// (contact, currency, lines and totals, numbering, status transitions, freezing once settled).
// Nothing is stored unless the whole element is valid.
import { formatCents } from './money';
import { parseXeroDate, startOfDay } from './dates';
import { lockDateError } from './rules/lockDates';
import { recordHistory } from './history';
import { failed, type ElementOutcome } from './http';
import { newId } from './ids';
import { amountDue, type Book, type DocumentRecord, type DocumentStatus } from './model';
import { resolveDocumentContact } from './rules/contacts';
import { resolveCurrency } from './rules/currency';
import { buildLines, LINE_AMOUNT_TYPES, totalsOf } from './rules/lines';
import { creationStatusError, editError, parseStatus, transitionError } from './rules/status';
import { DEFAULT_SERIALIZE, serializeCreditNote, serializeInvoice, type SerializeOptions } from './serialize';
import type { LineAmountTypes } from './totals';

export type DocumentKind = DocumentRecord['kind'];

export interface WriteContext {
  book: Book;
  now: number;
  appId: string;
  unitdp: 2 | 4;
  /** POST may update an invoice found by InvoiceNumber; PUT only creates. */
  method: 'PUT' | 'POST';
  /** Set when the URL names the document (POST /Invoices/{id}). */
  pathId?: string;
}

interface KindInfo {
  idField: 'InvoiceID' | 'CreditNoteID';
  numberField: 'InvoiceNumber' | 'CreditNoteNumber';
  types: readonly DocumentRecord['Type'][];
  salesType: DocumentRecord['Type'];
  prefix: string;
  label: string;
  endpoint: 'Invoices' | 'CreditNotes';
}

export const KINDS: Record<DocumentKind, KindInfo> = {
  invoice: { idField: 'InvoiceID', numberField: 'InvoiceNumber', types: ['ACCREC', 'ACCPAY'], salesType: 'ACCREC', prefix: 'INV-', label: 'Invoice', endpoint: 'Invoices' },
  creditnote: { idField: 'CreditNoteID', numberField: 'CreditNoteNumber', types: ['ACCRECCREDIT', 'ACCPAYCREDIT'], salesType: 'ACCRECCREDIT', prefix: 'CN-', label: 'Credit Note', endpoint: 'CreditNotes' },
};

export function documentsOf(book: Book, kind: DocumentKind): Map<string, DocumentRecord> {
  return kind === 'invoice' ? book.invoices : book.creditNotes;
}

export function serializeDocument(book: Book, doc: DocumentRecord, options: SerializeOptions = DEFAULT_SERIALIZE) {
  return doc.kind === 'invoice' ? serializeInvoice(book, doc, options) : serializeCreditNote(book, doc, options);
}

/** Find by id, or by number (Xero accepts /Invoices/INV-001). */
export function findDocument(book: Book, kind: DocumentKind, idOrNumber: string): DocumentRecord | undefined {
  const docs = documentsOf(book, kind);
  const byId = docs.get(idOrNumber.toLowerCase());
  if (byId) return byId;
  for (const doc of docs.values()) if (doc.Number === idOrNumber && doc.Status !== 'DELETED') return doc;
  return undefined;
}

function numberTaken(book: Book, kind: DocumentKind, number: string, exceptId?: string): boolean {
  const wanted = number.trim().toLowerCase();
  for (const doc of documentsOf(book, kind).values()) {
    // Deleted documents give their number back; voided ones keep it.
    if (doc.id !== exceptId && doc.Type === KINDS[kind].salesType && doc.Status !== 'DELETED' && doc.Number?.toLowerCase() === wanted) return true;
  }
  return false;
}

function nextNumber(book: Book, kind: DocumentKind): string {
  for (;;) {
    const counter = kind === 'invoice' ? ++book.sequences.invoice : ++book.sequences.creditNote;
    const candidate = `${KINDS[kind].prefix}${String(counter).padStart(4, '0')}`;
    if (!numberTaken(book, kind, candidate)) return candidate;
  }
}

function sideOf(type: DocumentRecord['Type']): 'sales' | 'purchases' {
  return type === 'ACCREC' || type === 'ACCRECCREDIT' ? 'sales' : 'purchases';
}

function optionalText(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Apply Xero's rule that a settled-to-zero AUTHORISED document is PAID. */
export function settleStatus(doc: DocumentRecord, at: number): void {
  if (doc.Status === 'AUTHORISED' && amountDue(doc) === 0) {
    doc.Status = 'PAID';
    doc.FullyPaidOnDate = startOfDay(at);
  } else if (doc.Status === 'PAID' && amountDue(doc) !== 0) {
    doc.Status = 'AUTHORISED';
    delete doc.FullyPaidOnDate;
  }
}

function statusHistory(status: DocumentStatus): string | undefined {
  switch (status) {
    case 'SUBMITTED': return 'Submitted';
    case 'AUTHORISED': return 'Approved';
    case 'VOIDED': return 'Voided';
    case 'DELETED': return 'Deleted';
    default: return undefined;
  }
}

export function writeDocument(kind: DocumentKind, raw: unknown, ctx: WriteContext): ElementOutcome {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return failed(raw, [`${KINDS[kind].label} must be an object.`]);
  const input = raw as Record<string, unknown>;
  const info = KINDS[kind];
  const { book } = ctx;
  const docs = documentsOf(book, kind);

  let existing: DocumentRecord | undefined;
  const sentId = ctx.pathId ?? optionalText(input[info.idField]);
  if (sentId) {
    existing = findDocument(book, kind, sentId);
    if (!existing) return failed(raw, [`${info.label} with ID ${sentId} could not be found.`]);
  } else if (ctx.method === 'POST' && typeof input[info.numberField] === 'string') {
    const number = String(input[info.numberField]);
    existing = [...docs.values()].find((d) => d.Type === info.salesType && d.Status !== 'DELETED' && d.Number === number);
  }

  const requestedStatus = input.Status === undefined ? undefined : parseStatus(input.Status);
  if (input.Status !== undefined && !requestedStatus) return failed(raw, [`Invalid status '${String(input.Status)}'.`]);

  if (existing) {
    // A change of status alone (void, delete, approve) is judged on the transition rules only.
    const onlyStatus = Object.keys(input).every((k) => ['Status', info.idField, info.numberField].includes(k));
    if (requestedStatus && requestedStatus !== existing.Status) {
      const problem = transitionError(existing, requestedStatus);
      if (problem) return failed(raw, [problem]);
    }
    if (onlyStatus) {
      if (requestedStatus && requestedStatus !== existing.Status) {
        existing.Status = requestedStatus;
        existing.UpdatedDateUTC = ctx.now;
        settleStatus(existing, ctx.now);
        const change = statusHistory(requestedStatus);
        if (change) recordHistory(book, info.endpoint, existing.id, change, `${info.label} ${existing.Number ?? ''} ${change.toLowerCase()}.`.replace('  ', ' '), ctx.now);
      }
      return { ok: true, json: serializeDocument(book, existing, { unitdp: ctx.unitdp, includeLines: true }) };
    }
    const problem = editError(existing);
    if (problem) return failed(raw, [problem]);
  }

  const errors: string[] = [];
  const type = (input.Type === undefined ? existing?.Type : String(input.Type).toUpperCase()) as DocumentRecord['Type'] | undefined;
  if (!type || !info.types.includes(type)) errors.push(type ? `'${type}' is not a valid ${info.label.toLowerCase()} type.` : `${info.label} Type must be specified.`);
  if (existing && type && type !== existing.Type) errors.push(`The ${info.label.toLowerCase()} type cannot be changed.`);

  const contactResult = input.Contact === undefined && existing
    ? { ok: true as const, contact: book.contacts.get(existing.ContactID)!, created: false }
    : resolveDocumentContact(book, input.Contact, ctx.now);
  if (!contactResult.ok) errors.push(contactResult.error);

  const date = input.Date === undefined || input.Date === null ? (existing?.Date ?? startOfDay(ctx.now)) : parseXeroDate(input.Date);
  if (date === undefined) errors.push(`The date '${String(input.Date)}' is not a valid date.`);
  const dueDate = input.DueDate === undefined || input.DueDate === null ? existing?.DueDate : parseXeroDate(input.DueDate);
  if (input.DueDate !== undefined && input.DueDate !== null && dueDate === undefined) errors.push(`The due date '${String(input.DueDate)}' is not a valid date.`);

  const lineAmountTypes = (input.LineAmountTypes === undefined ? (existing?.LineAmountTypes ?? 'Exclusive') : input.LineAmountTypes) as LineAmountTypes;
  if (!LINE_AMOUNT_TYPES.includes(lineAmountTypes)) errors.push(`'${String(input.LineAmountTypes)}' is not a valid LineAmountTypes value.`);

  const currency = input.CurrencyCode === undefined && input.CurrencyRate === undefined && existing
    ? { ok: true as const, CurrencyCode: existing.CurrencyCode, CurrencyRate: existing.CurrencyRate }
    : resolveCurrency(book, input.CurrencyCode ?? existing?.CurrencyCode, input.CurrencyRate);
  if (!currency.ok) errors.push(currency.error);

  const status: DocumentStatus = requestedStatus ?? existing?.Status ?? 'DRAFT';
  if (date !== undefined && status !== 'DRAFT') {
    const locked = lockDateError(book, date);
    if (locked) errors.push(locked);
  }
  if (!existing) {
    const problem = creationStatusError(kind, status);
    if (problem) errors.push(problem);
  }

  let number = optionalText(input[info.numberField]) ?? existing?.Number;
  if (type === info.salesType && number !== undefined && numberTaken(book, kind, number, existing?.id)) {
    errors.push(`${info.label} # must be unique.`);
  }

  const side = sideOf(type ?? info.salesType);
  const lineResult = input.LineItems === undefined && existing
    ? { lines: existing.lines, totals: totalsOf(existing.lines, existing.LineAmountTypes), errors: [] as string[], reused: true }
    : { ...buildLines(book, input.LineItems, { side, lineAmountTypes, unitdp: ctx.unitdp, requireAccount: status !== 'DRAFT' }, existing?.lines ?? []), reused: false };
  errors.push(...lineResult.errors);
  if (status !== 'DRAFT' && lineResult.lines.length === 0 && errors.length === 0) errors.push(`${info.label} must have at least one line item.`);
  if (lineResult.totals.total < 0) errors.push(`The total of a ${info.label.toLowerCase()} cannot be negative.`);
  if (lineResult.reused && input.LineAmountTypes !== undefined && existing && lineAmountTypes !== existing.LineAmountTypes) {
    errors.push('LineItems must be sent again when LineAmountTypes changes.');
  }

  if (errors.length > 0 || !contactResult.ok || !currency.ok || !type || date === undefined) return failed(raw, errors);

  if (contactResult.created) book.contacts.set(contactResult.contact.ContactID, contactResult.contact);
  const contact = contactResult.contact;
  if (side === 'sales' && !contact.IsCustomer) { contact.IsCustomer = true; contact.UpdatedDateUTC = ctx.now; }
  if (side === 'purchases' && !contact.IsSupplier) { contact.IsSupplier = true; contact.UpdatedDateUTC = ctx.now; }
  if (number === undefined && type === info.salesType) number = nextNumber(book, kind);

  const totals = lineResult.totals;
  const record: DocumentRecord = {
    kind,
    id: existing?.id ?? newId(),
    Type: type,
    ...(number !== undefined ? { Number: number } : {}),
    ...(input.Reference !== undefined ? (typeof input.Reference === 'string' ? { Reference: input.Reference } : {}) : existing?.Reference !== undefined ? { Reference: existing.Reference } : {}),
    ContactID: contact.ContactID,
    Date: date,
    ...(dueDate !== undefined ? { DueDate: dueDate } : {}),
    ...(input.ExpectedPaymentDate ? { ExpectedPaymentDate: parseXeroDate(input.ExpectedPaymentDate) } : existing?.ExpectedPaymentDate ? { ExpectedPaymentDate: existing.ExpectedPaymentDate } : {}),
    Status: status,
    LineAmountTypes: lineAmountTypes,
    CurrencyCode: currency.CurrencyCode,
    CurrencyRate: currency.CurrencyRate,
    ...(optionalText(input.BrandingThemeID) ?? existing?.BrandingThemeID ? { BrandingThemeID: optionalText(input.BrandingThemeID) ?? existing?.BrandingThemeID } : {}),
    ...(optionalText(input.Url) ?? existing?.Url ? { Url: optionalText(input.Url) ?? existing?.Url } : {}),
    ...(typeof input.SentToContact === 'boolean' ? { SentToContact: input.SentToContact } : existing?.SentToContact !== undefined ? { SentToContact: existing.SentToContact } : {}),
    lines: lineResult.lines,
    SubTotal: totals.subTotal,
    TotalTax: totals.totalTax,
    Total: totals.total,
    TotalDiscount: totals.totalDiscount,
    AmountPaid: existing?.AmountPaid ?? 0,
    AmountCredited: existing?.AmountCredited ?? 0,
    UpdatedDateUTC: ctx.now,
    CreatedDateUTC: existing?.CreatedDateUTC ?? ctx.now,
    createdByAppId: existing?.createdByAppId ?? ctx.appId,
  };
  settleStatus(record, ctx.now);
  docs.set(record.id, record);

  const who = contact.Name;
  if (!existing) {
    recordHistory(book, info.endpoint, record.id, 'Created', `${info.label} ${record.Number ?? ''} to ${who} for ${formatCents(record.Total)}.`.replace('  ', ' '), ctx.now);
  } else {
    recordHistory(book, info.endpoint, record.id, 'Edited', `${info.label} ${record.Number ?? ''} edited; total ${formatCents(record.Total)}.`.replace('  ', ' '), ctx.now);
  }
  if (existing?.Status !== record.Status) {
    const change = statusHistory(record.Status);
    if (change && record.Status !== 'DRAFT') recordHistory(book, info.endpoint, record.id, change, `${info.label} ${record.Number ?? ''} ${change.toLowerCase()}.`.replace('  ', ' '), ctx.now);
  }
  return { ok: true, json: serializeDocument(book, record, { unitdp: ctx.unitdp, includeLines: true }) };
}
