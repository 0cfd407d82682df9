// Turns zod's issues into the API's field issue list: one entry per offending field, dotted path
// into the request body (`lines.2.unitPrice`), a message a person can act on.
import type { z } from 'zod';
import type { FieldIssue } from '../errors';

/** Path used when the problem is the body as a whole (not JSON object, wrong top-level type). */
export const ROOT_PATH = '(body)';

export function joinPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? ROOT_PATH : path.map((p) => String(p)).join('.');
}

export function issuesFromZod(error: z.ZodError): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One entry per unknown key, at the key itself: a typo like `unit_price` then points at itself.
      for (const key of issue.keys) issues.push({ path: joinPath([...issue.path, key]), message: 'is not a known field' });
      continue;
    }
    issues.push({ path: joinPath(issue.path), message: issue.message });
  }
  return issues;
}
