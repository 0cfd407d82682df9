// Stripe list responses: newest first, `limit` 1–100 (default 10), cursors `starting_after` (older
// than that id) and `ending_before` (newer than it), `has_more`, and `expand[]` of id fields into
// objects (`data.source` on a list, `source` on one object; dotted paths go deeper) or of fields Stripe
// only includes when asked (a charge's `refunds`).
import type { StripeBook, StripeObject } from './book';
import { invalidRequest, missingResource } from './errors';
import { int, list, str, type Params } from './params';

export interface ListPage {
  object: 'list';
  data: StripeObject[];
  has_more: boolean;
  url: string;
}

export function paginate(items: StripeObject[], params: Params, url: string, kind: string): { page: StripeObject[]; hasMore: boolean } {
  const limit = int(params, 'limit') ?? 10;
  if (limit < 1 || limit > 100) throw invalidRequest('Invalid limit: must be between 1 and 100', 'limit');
  const after = str(params, 'starting_after');
  const before = str(params, 'ending_before');
  if (after && before) throw invalidRequest('You may only specify one of these parameters: ending_before, starting_after.', 'ending_before');
  const cursor = after ?? before;
  if (cursor === undefined) return { page: items.slice(0, limit), hasMore: items.length > limit };
  const at = items.findIndex((o) => o.id === cursor);
  if (at < 0) throw missingResource(kind, cursor, after ? 'starting_after' : 'ending_before');
  if (after) {
    const rest = items.slice(at + 1);
    return { page: rest.slice(0, limit), hasMore: rest.length > limit };
  }
  const newer = items.slice(0, at);
  return { page: newer.slice(Math.max(0, newer.length - limit)), hasMore: newer.length > limit };
}

/** Replaces id fields named by the expand paths with the objects they name (any kind this account has). */
export function expand(book: StripeBook, accountId: string, obj: StripeObject, paths: string[]): StripeObject {
  for (const path of paths) expandPath(book, accountId, obj, path.split('.'), path);
  return obj;
}

function expandPath(book: StripeBook, accountId: string, node: Record<string, unknown>, segments: string[], whole: string): void {
  const [head, ...rest] = segments;
  if (head === undefined) return;
  if (!(head in node)) {
    const included = book.included(accountId, node, head);
    if (included === undefined) throw invalidRequest(`This property cannot be expanded (${whole}).`, 'expand');
    node[head] = included;
  }
  let value = node[head];
  if (typeof value === 'string') {
    const target = book.find(accountId, value);
    if (target) value = node[head] = book.view(accountId, target);
  }
  if (rest.length === 0 || value === null || typeof value !== 'object') return;
  expandPath(book, accountId, value as Record<string, unknown>, rest, whole);
}

export function expandParam(params: Params): string[] {
  const paths = list(params, 'expand');
  if (paths.length > 0 && paths.some((p) => p.split('.').length > 4)) throw invalidRequest('You cannot expand more than 4 levels of a property.', 'expand');
  return paths;
}

export function listResponse(book: StripeBook, accountId: string, items: StripeObject[], params: Params, url: string, kind: string): ListPage {
  const paths = expandParam(params);
  const { page, hasMore } = paginate(items, params, url, kind);
  const itemPaths = paths.filter((p) => p.startsWith('data.')).map((p) => p.slice(5));
  if (paths.some((p) => !p.startsWith('data.'))) throw invalidRequest('This property cannot be expanded (expand paths on a list start with data.).', 'expand');
  return { object: 'list', data: page.map((o) => expand(book, accountId, book.view(accountId, o), itemPaths)), has_more: hasMore, url };
}
