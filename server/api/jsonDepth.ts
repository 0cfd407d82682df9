// A JSON body nested deeper than any request of this API needs is refused before anything walks it: a
// 200,000-deep array once overflowed the stack of the idempotency hash (canonicalJson) and came back a 500.
import type { RequestHandler } from 'express';
import { AppError } from '../errors';

/** The sale body is the deepest this API takes: body → lines → line → value (4 levels). */
export const MAX_JSON_DEPTH = 16;

/** Depth of nested arrays/objects, measured without recursion (stops as soon as `limit` is passed). */
export function jsonDepthExceeds(value: unknown, limit: number): boolean {
  const stack: { node: unknown; depth: number }[] = [{ node: value, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth + 1 > limit) return true;
    for (const child of Array.isArray(node) ? node : Object.values(node as object)) stack.push({ node: child, depth: depth + 1 });
  }
  return false;
}

export function refuseDeepJson(limit = MAX_JSON_DEPTH): RequestHandler {
  return (req, _res, next) => {
    if (jsonDepthExceeds(req.body, limit)) {
      return next(new AppError({ statusCode: 400, code: 'JSON_TOO_DEEP', message: `The request body is nested more than ${limit} levels deep`, help: 'Send the documented shape: a JSON object of fields, lists and objects a few levels deep.' }));
    }
    next();
  };
}
