// Reading Xero's answers. xero-node deserialises bodies into its camelCase models; the emulator's control
// API and Xero's docs speak PascalCase. These readers accept either, so the engine does not depend on which
// side of the transport edge a body came from.
import { createHash } from 'node:crypto';

type Rec = Record<string, unknown>;

export function field(obj: unknown, ...names: string[]): unknown {
  if (!obj || typeof obj !== 'object') return undefined;
  const rec = obj as Rec;
  for (const name of names) {
    if (rec[name] !== undefined) return rec[name];
    const camel = name.charAt(0).toLowerCase() + name.slice(1);
    if (rec[camel] !== undefined) return rec[camel];
    const pascal = name.charAt(0).toUpperCase() + name.slice(1);
    if (rec[pascal] !== undefined) return rec[pascal];
  }
  return undefined;
}

export const str = (obj: unknown, ...names: string[]): string | undefined => {
  const v = field(obj, ...names);
  return v === undefined || v === null ? undefined : String(v);
};

export const num = (obj: unknown, ...names: string[]): number | undefined => {
  const v = field(obj, ...names);
  const n = Number(v);
  return v === undefined || v === null || !Number.isFinite(n) ? undefined : n;
};

export function list(obj: unknown, ...names: string[]): unknown[] {
  const v = field(obj, ...names);
  return Array.isArray(v) ? v : [];
}

/** One element of a summarizeErrors=false batch answer. */
export interface ElementResult {
  ok: boolean;
  messages: string[];
  element: unknown;
}

export function elementResult(element: unknown): ElementResult {
  const messages = list(element, 'ValidationErrors')
    .map((e) => str(e, 'Message'))
    .filter((m): m is string => typeof m === 'string' && m.length > 0);
  const flagged = field(element, 'HasErrors') === true || field(element, 'HasValidationErrors') === true || str(element, 'StatusAttributeString') === 'ERROR';
  return { ok: !flagged && messages.length === 0, messages, element };
}

/** Xero answers a batch element by element, in the order sent. */
export function splitElements(body: unknown, collection: string, sent: number): ElementResult[] {
  const elements = list(body, collection);
  if (elements.length !== sent) {
    throw new Error(`Xero answered ${elements.length} ${collection} for ${sent} sent; the batch cannot be matched element by element`);
  }
  return elements.map(elementResult);
}

/**
 * A deterministic Idempotency-Key (≤ 128 chars) for one call: the operation, the outbox item ids and the
 * exact content sent. The same batch retried within Xero's window gets the first answer back; any change
 * in what is sent (an element dropped after it succeeded) makes a new key.
 */
export function idempotencyKey(operation: string, itemIds: readonly number[], content: string): string {
  const digest = createHash('sha256').update(`${operation}|${[...itemIds].sort((a, b) => a - b).join(',')}|${content}`).digest('hex');
  return `lb-${operation}-${digest.slice(0, 48)}`.slice(0, 128);
}

/** A where-clause string literal for Xero's filter language. */
export function whereString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** `Field=="a" OR Field=="b"`, for lookups by natural key (one call for a batch). */
export function whereAnyOf(fieldName: string, values: readonly string[]): string {
  return [...new Set(values)].map((v) => `${fieldName}==${whereString(v)}`).join(' OR ');
}

/** A short summary of what Xero said about one element, for the audit trail. */
export function responseSummary(element: unknown, extra: Rec = {}): Rec {
  const summary: Rec = {};
  for (const key of ['InvoiceID', 'InvoiceNumber', 'CreditNoteID', 'CreditNoteNumber', 'PaymentID', 'AllocationID', 'ContactID', 'Status', 'Total', 'AmountDue', 'Amount', 'Reference']) {
    const v = field(element, key);
    if (v !== undefined && v !== null && typeof v !== 'object') summary[key] = v;
  }
  const messages = elementResult(element).messages;
  if (messages.length) summary.ValidationErrors = messages;
  return { ...summary, ...extra };
}
