// GoCardless cursor pagination: newest first; `after` = the id of the last record of the page you have
// (next page), `before` = the id of the first (previous page); `limit` 1–500, default 50. The answer is
// `{<resources>: […], meta: {cursors: {before, after}, limit}}` with null cursors at either end.
import { GcError } from '../errors';

export interface Page<T> {
  items: T[];
  meta: { cursors: { before: string | null; after: string | null }; limit: number };
}

export function paginate<T>(sortedNewestFirst: T[], idOf: (t: T) => string, query: Record<string, unknown>): Page<T> {
  const limitRaw = query.limit;
  let limit = 50;
  if (limitRaw !== undefined && limitRaw !== '') {
    limit = Number(limitRaw);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
      throw new GcError(400, 'invalid_api_usage', 'Invalid document structure', [{ field: 'limit', message: 'must be an integer between 1 and 500', reason: 'invalid_document_structure' }]);
    }
  }
  const after = typeof query.after === 'string' && query.after ? query.after : undefined;
  const before = typeof query.before === 'string' && query.before ? query.before : undefined;
  if (after && before) throw new GcError(400, 'invalid_api_usage', 'You cannot specify both before and after', [{ reason: 'invalid_cursors', message: 'You cannot specify both before and after' }]);
  const indexOf = (cursor: string, name: string): number => {
    const i = sortedNewestFirst.findIndex((t) => idOf(t) === cursor);
    if (i < 0) throw new GcError(400, 'invalid_api_usage', 'Cursor is invalid', [{ field: name, reason: 'invalid_cursors', message: `${name} must be the id of a record in this list` }]);
    return i;
  };
  let start = 0;
  let end = Math.min(sortedNewestFirst.length, limit);
  if (after) {
    start = indexOf(after, 'after') + 1;
    end = Math.min(sortedNewestFirst.length, start + limit);
  } else if (before) {
    end = indexOf(before, 'before');
    start = Math.max(0, end - limit);
  }
  const items = sortedNewestFirst.slice(start, end);
  return {
    items,
    meta: {
      cursors: {
        before: start > 0 && items.length ? idOf(items[0]!) : null,
        after: end < sortedNewestFirst.length && items.length ? idOf(items[items.length - 1]!) : null,
      },
      limit,
    },
  };
}
