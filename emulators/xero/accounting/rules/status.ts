// Document status rules as Xero applies them to invoices and credit notes:
//   DRAFT → SUBMITTED → AUTHORISED (either step may be skipped); DRAFT/SUBMITTED → DELETED;
//   AUTHORISED → VOIDED only, and only while nothing is paid or allocated;
//   an AUTHORISED document may be edited only while nothing is paid or allocated;
//   PAID, VOIDED and DELETED documents are final.
import type { DocumentRecord, DocumentStatus } from '../model';

export const DOCUMENT_STATUSES: readonly DocumentStatus[] = ['DRAFT', 'SUBMITTED', 'AUTHORISED', 'PAID', 'VOIDED', 'DELETED'];

const CREATABLE: ReadonlySet<DocumentStatus> = new Set(['DRAFT', 'SUBMITTED', 'AUTHORISED']);

const ALLOWED: Record<DocumentStatus, ReadonlySet<DocumentStatus>> = {
  DRAFT: new Set(['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED']),
  SUBMITTED: new Set(['DRAFT', 'SUBMITTED', 'AUTHORISED', 'DELETED']),
  AUTHORISED: new Set(['AUTHORISED', 'VOIDED']),
  PAID: new Set([]),
  VOIDED: new Set([]),
  DELETED: new Set([]),
};

export const MESSAGES = {
  notValidStatus: (label: string) => `${label} not of valid status for modification`,
  hasPayments: 'This document cannot be edited as it has a payment or credit note allocated to it.',
  invalidStatus: (status: string) => `Invalid status '${status}'.`,
  cannotCreateWith: (label: string, status: string) => `A ${label.toLowerCase()} cannot be created with status ${status}.`,
  cannotDeleteAuthorised: (label: string) => `An AUTHORISED ${label.toLowerCase()} cannot be deleted; it can only be voided.`,
};

function label(doc: Pick<DocumentRecord, 'kind'>): string {
  return doc.kind === 'invoice' ? 'Invoice' : 'Credit note';
}

export function parseStatus(raw: unknown): DocumentStatus | undefined {
  if (typeof raw !== 'string') return undefined;
  const upper = raw.trim().toUpperCase();
  return (DOCUMENT_STATUSES as readonly string[]).includes(upper) ? (upper as DocumentStatus) : undefined;
}

/** The problem with creating a document in this status, if any. */
export function creationStatusError(kind: DocumentRecord['kind'], status: DocumentStatus): string | undefined {
  return CREATABLE.has(status) ? undefined : MESSAGES.cannotCreateWith(kind === 'invoice' ? 'Invoice' : 'Credit note', status);
}

/** Something paid or allocated against the document (which freezes it). */
export function hasSettlements(doc: Pick<DocumentRecord, 'AmountPaid' | 'AmountCredited'>): boolean {
  return doc.AmountPaid !== 0 || doc.AmountCredited !== 0;
}

/** The problem with moving `doc` to `next` (undefined when allowed). */
export function transitionError(doc: DocumentRecord, next: DocumentStatus): string | undefined {
  if (doc.Status === next && (next === 'DRAFT' || next === 'SUBMITTED')) return undefined;
  if (doc.Status === 'AUTHORISED' && next === 'DELETED') return MESSAGES.cannotDeleteAuthorised(label(doc));
  if (!ALLOWED[doc.Status].has(next)) return MESSAGES.notValidStatus(label(doc));
  if (doc.Status === 'AUTHORISED' && next === 'VOIDED' && hasSettlements(doc)) return MESSAGES.hasPayments;
  return undefined;
}

/** The problem with editing the content (lines, contact, dates…) of `doc`. */
export function editError(doc: DocumentRecord): string | undefined {
  if (doc.Status === 'PAID' || doc.Status === 'VOIDED' || doc.Status === 'DELETED') return MESSAGES.notValidStatus(label(doc));
  if (hasSettlements(doc)) return MESSAGES.hasPayments;
  return undefined;
}
