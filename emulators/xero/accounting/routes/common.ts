// Shared route plumbing: the request's book and clock, list answers (filters, where, paging,
// If-Modified-Since, ordering), and batch writes.
import type { NextFunction, Request, Response } from 'express';
import type { Clock, XeroRequestAuth } from '../../contracts';
import { batchElements, listParam, modifiedSince, orderBy, paginate, queryParam, sendBatch, sendCollection, sendPostDataInvalid, sendQueryParseError, type ElementOutcome, type ErrorFlag } from '../http';
import type { Book } from '../model';
import type { Json, SerializeOptions } from '../serialize';
import type { BookStore } from '../store';
import { filterWhere, QueryParseError } from '../where';

export interface RouteDeps { store: BookStore; clock: Clock }

export interface RequestScope { book: Book; now: number; auth: XeroRequestAuth; unitdp: 2 | 4 }

/** Resolves res.locals.xero to the organisation's book; 400/403 defensively if upstream did not. */
export function scopeMiddleware(deps: RouteDeps) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const auth = res.locals.xero as XeroRequestAuth | undefined;
    const now = deps.clock.now();
    res.locals.accountingNow = now;
    if (!auth?.tenantId) {
      res.status(400).json({ Title: 'Bad Request', Status: 400, Detail: 'A valid xero-tenant-id header is required' });
      return;
    }
    const book = deps.store.get(auth.tenantId);
    if (!book) {
      res.status(403).json({ Title: 'Forbidden', Status: 403, Detail: 'AuthenticationUnsuccessful', Type: 'https://httpstatuses.com/403' });
      return;
    }
    const scope: RequestScope = { book, now, auth, unitdp: queryParam(req, 'unitdp') === '4' ? 4 : 2 };
    res.locals.accounting = scope;
    next();
  };
}

export function scopeOf(res: Response): RequestScope {
  return res.locals.accounting as RequestScope;
}

export interface ListSpec<T> {
  key: string;
  typeName: string;
  view: (item: T, options: SerializeOptions) => Json;
  updatedAt?: (item: T) => number;
  pageable?: boolean;
  /** Xero returns line items in lists only when paging. */
  linesOnlyWhenPaged?: boolean;
}

export function sendList<T>(req: Request, res: Response, items: T[], spec: ListSpec<T>): void {
  const { unitdp } = scopeOf(res);
  try {
    let selected = items;
    const since = modifiedSince(req);
    if (since !== undefined && spec.updatedAt) selected = selected.filter((item) => spec.updatedAt!(item) > since);
    const filterView = (item: T) => spec.view(item, { unitdp, includeLines: false });
    selected = filterWhere(selected, queryParam(req, 'where'), filterView, spec.typeName);
    selected = orderBy(selected, queryParam(req, 'order'), filterView);
    const paged = spec.pageable ? paginate(req, selected) : { items: selected };
    const summaryOnly = queryParam(req, 'summaryOnly') === 'true';
    const includeLines = !summaryOnly && (!spec.linesOnlyWhenPaged || paged.pagination !== undefined);
    const body = paged.items.map((item) => spec.view(item, { unitdp, includeLines }));
    sendCollection(res, spec.key, body, paged.pagination ? { pagination: paged.pagination } : {});
  } catch (error) {
    if (error instanceof QueryParseError) sendQueryParseError(res, error.message);
    else throw error;
  }
}

/** Keep items whose id (by `idOf`) is in the comma-separated query parameter, if given. */
export function filterByList<T>(req: Request, items: T[], param: string, valueOf: (item: T) => string | undefined): T[] {
  const wanted = listParam(req, param);
  if (!wanted) return items;
  const set = new Set(wanted.map((w) => w.toLowerCase()));
  return items.filter((item) => set.has((valueOf(item) ?? '').toLowerCase()));
}

/** Run each element of a `{Key:[…]}` body through `write` and answer as Xero does. */
export function handleBatch(req: Request, res: Response, key: string, flag: ErrorFlag, write: (element: unknown) => ElementOutcome): void {
  const elements = batchElements(req.body, key);
  if (!elements) {
    sendPostDataInvalid(res, `The request body must be a JSON object with a ${key} collection.`);
    return;
  }
  sendBatch(req, res, key, elements.map(write), flag);
}
