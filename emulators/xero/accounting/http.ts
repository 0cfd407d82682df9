// The HTTP edge of the Accounting API: response envelope, Xero's error bodies, batch outcomes with
// summarizeErrors, paging and If-Modified-Since. Route modules stay free of response-shape details.
import type { Request, Response } from 'express';
import { msDate, parseXeroDateTime } from './dates';
import { newId } from './ids';
import type { Json } from './serialize';

export const NOT_FOUND_TEXT = "The resource you're looking for cannot be found";

/** Outcome of one element of a batch (one invoice of {Invoices:[…]}). */
export type ElementOutcome = { ok: true; json: Json } | { ok: false; json: Json; errors: string[] };

export function failed(input: unknown, errors: string[]): ElementOutcome {
  const echo = input && typeof input === 'object' && !Array.isArray(input) ? (input as Json) : {};
  return { ok: false, json: echo, errors };
}

/** Envelope fields Xero puts around every collection. */
export function envelope(res: Response, body: Json): Json {
  const auth = res.locals.xero as { appId?: string } | undefined;
  return { Id: newId(), Status: 'OK', ProviderName: auth?.appId ?? 'Xero API Partner', DateTimeUTC: msDate(Number(res.locals.accountingNow ?? Date.now())), ...body };
}

export function sendCollection(res: Response, key: string, items: Json[], extra: Json = {}): void {
  res.status(200).json(envelope(res, { ...extra, [key]: items }));
}

export function sendNotFound(res: Response): void {
  res.status(404).type('text/plain').send(NOT_FOUND_TEXT);
}

export function validationException(elements: Json[]): Json {
  return { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred', Elements: elements };
}

/** A 400 ValidationException carrying one element with the given messages. */
export function sendValidationError(res: Response, element: Json, messages: string[]): void {
  res.status(400).json(validationException([{ ...element, ValidationErrors: messages.map((Message) => ({ Message })) }]));
}

export function sendQueryParseError(res: Response, message: string): void {
  res.status(400).json({ ErrorNumber: 16, Type: 'QueryParseException', Message: message });
}

export function sendPostDataInvalid(res: Response, message: string): void {
  res.status(400).json({ ErrorNumber: 14, Type: 'PostDataInvalidException', Message: message });
}

/** Which flag a record type uses to say it failed (Invoices say HasErrors, Contacts and Payments HasValidationErrors). */
export type ErrorFlag = 'HasErrors' | 'HasValidationErrors' | undefined;

/**
 * Answer a batch the way Xero does. summarizeErrors=false: 200 with every element marked OK/ERROR.
 * Default: if any element failed, 400 ValidationException listing the failed elements — the valid
 * ones have already been saved and their ids are not returned.
 */
export function sendBatch(req: Request, res: Response, key: string, outcomes: ElementOutcome[], flag: ErrorFlag): void {
  const summarize = String(req.query.summarizeErrors ?? 'true').toLowerCase() !== 'false';
  const marked = outcomes.map((outcome) => {
    if (outcome.ok) return { ...outcome.json, ...(flag ? { [flag]: false } : {}), StatusAttributeString: 'OK' };
    return {
      ...outcome.json,
      ...(flag ? { [flag]: true } : {}),
      StatusAttributeString: 'ERROR',
      ValidationErrors: outcome.errors.map((Message) => ({ Message })),
    };
  });
  if (!summarize) {
    sendCollection(res, key, marked);
    return;
  }
  const failures = marked.filter((_, i) => !outcomes[i]?.ok);
  if (failures.length > 0) {
    res.status(400).json(validationException(failures));
    return;
  }
  sendCollection(res, key, outcomes.map((o) => o.json));
}

/** The elements of a batch body `{Key:[…]}`; a single bare object counts as a batch of one. */
export function batchElements(body: unknown, key: string): unknown[] | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const record = body as Json;
  const list = Object.entries(record).find(([k]) => k.toLowerCase() === key.toLowerCase())?.[1];
  if (Array.isArray(list)) return list;
  if (list === undefined && !Array.isArray(body)) return [body];
  return undefined;
}

export interface PageResult<T> { items: T[]; pagination?: { page: number; pageSize: number; pageCount: number; itemCount: number } }

/** Xero paging: only when `page` is given; 100 per page unless pageSize (max 1000). */
export function paginate<T>(req: Request, items: T[]): PageResult<T> {
  if (req.query.page === undefined) return { items };
  const page = Math.max(1, Number.parseInt(String(req.query.page), 10) || 1);
  const requested = Number.parseInt(String(req.query.pageSize ?? '100'), 10) || 100;
  const pageSize = Math.min(1000, Math.max(1, requested));
  const start = (page - 1) * pageSize;
  return {
    items: items.slice(start, start + pageSize),
    pagination: { page, pageSize, pageCount: Math.ceil(items.length / pageSize), itemCount: items.length },
  };
}

/** If-Modified-Since: only records updated after the given instant (ISO or HTTP date). */
export function modifiedSince(req: Request): number | undefined {
  const header = req.get('If-Modified-Since');
  if (!header) return undefined;
  return parseXeroDateTime(header);
}

/** `?IDs=a,b` style comma-separated query parameters. */
export function listParam(req: Request, name: string): string[] | undefined {
  const key = Object.keys(req.query).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const raw = req.query[key];
  const values = (Array.isArray(raw) ? raw : [raw]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter(Boolean);
  return values;
}

export function queryParam(req: Request, name: string): string | undefined {
  const key = Object.keys(req.query).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return undefined;
  const raw = req.query[key];
  return Array.isArray(raw) ? String(raw[0]) : raw === undefined ? undefined : String(raw);
}

/** `order=InvoiceNumber DESC` on a serialized view. */
export function orderBy<T>(items: T[], order: string | undefined, view: (item: T) => Json): T[] {
  if (!order) return items;
  const [field = '', direction = 'ASC'] = order.trim().split(/\s+/);
  const sign = direction.toUpperCase() === 'DESC' ? -1 : 1;
  const key = (item: T): unknown => {
    const json = view(item);
    const found = Object.keys(json).find((k) => k.toLowerCase() === field.toLowerCase());
    const value = found === undefined ? undefined : json[found];
    const ms = typeof value === 'string' ? /^\/Date\((-?\d+)/.exec(value) : null;
    return ms ? Number(ms[1]) : value;
  };
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === kb) return 0;
    if (ka === undefined || ka === null) return -sign;
    if (kb === undefined || kb === null) return sign;
    return (ka < kb ? -1 : 1) * sign;
  });
}
