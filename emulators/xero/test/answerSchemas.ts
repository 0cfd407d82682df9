// Which component of Xero's OpenAPI document (xero_accounting.yaml) each Accounting API answer is, by
// method and path, so that every answer of every test can be read against it (accountingHarness.ts for
// the accounting half, checkedApp below for the whole emulator). An answer with no known schema is a
// failure too: a new endpoint cannot land without saying what it answers.
import express, { type NextFunction, type Request, type Response } from 'express';
import { matchesSchema, schemaErrors } from './openapi';

export const ACCOUNTING_PREFIX = '/api.xro/2.0';

/** Collections whose answer (GET, PUT, POST, by id or not) is `{<Collection>: […]}`. */
const COLLECTIONS = ['Accounts', 'BankTransactions', 'BankTransfers', 'Contacts', 'CreditNotes', 'Currencies', 'Invoices', 'ManualJournals', 'Overpayments', 'Payments', 'Prepayments', 'TaxRates', 'TrackingCategories'];

/** The component schema of a 200 answer to `method path` (path below /api.xro/2.0), or undefined if unknown. */
export function answerSchemaFor(method: string, path: string): string | undefined {
  const segments = path.split('?')[0]!.split('/').filter(Boolean);
  const [first, , third, fourth] = segments;
  const verb = method.toUpperCase();
  if (!first) return undefined;
  if (third === 'History' && segments.length === 3) return 'HistoryRecords';
  // A list, or a file just attached; a GET of one file answers its bytes, not JSON.
  if (third === 'Attachments' && (segments.length === 3 || verb !== 'GET')) return 'Attachments';
  if ((first === 'CreditNotes' || first === 'Prepayments' || first === 'Overpayments') && third === 'Allocations') return verb === 'DELETE' && fourth ? 'Allocation' : segments.length === 3 ? 'Allocations' : undefined;
  if (first === 'Organisation' && segments.length === 1) return 'Organisations';
  if (COLLECTIONS.includes(first) && segments.length <= 2) return first;
  return undefined;
}

function isGatewayProblem(body: unknown): boolean {
  return !!body && typeof body === 'object' && 'Title' in body && 'Detail' in body && 'Status' in body && !('ErrorNumber' in body);
}

/** Problems with one answer: a 200 against its component, a 400 against `Error`. Empty when it conforms. */
export function answerProblems(method: string, path: string, status: number, body: unknown): string[] {
  // Xero's API gateway (limits, idempotency) answers with an RFC 7807-like problem that the accounting
  // document does not describe; the Accounting API's own 400s are its `Error`.
  if (status === 400 && isGatewayProblem(body)) return [];
  if (status === 400) return matchesSchema('Error', body) ? [] : schemaErrors('Error', body);
  if (status !== 200) return [];
  const component = answerSchemaFor(method, path);
  if (!component) return [`no schema of xero_accounting.yaml is known for ${method} ${path} (add it to answerSchemas.ts)`];
  return matchesSchema(component, body) ? [] : schemaErrors(component, body);
}

/** Problems with the answer `res` is about to end with (a JSON answer to `method path`), as one text, or undefined. */
function problemsOf(method: string, path: string, res: Response, chunk: unknown): string | undefined {
  const json = /json/.test(String(res.getHeader('content-type') ?? ''));
  if (!json || chunk === undefined || chunk === null || typeof chunk === 'function') return undefined;
  const body: unknown = JSON.parse(Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk));
  const problems = answerProblems(method, path, res.statusCode, body);
  return problems.length > 0 ? `Answer to ${method} ${ACCOUNTING_PREFIX}${path} (${res.statusCode}) does not match xero_accounting.yaml:\n  ${problems.join('\n  ')}` : undefined;
}

/** `app` behind a layer that calls `onAnswer` as each Accounting API answer ends (a text back replaces it with a 500). */
function layered(app: express.Express, onAnswer: (method: string, path: string, res: Response, chunk: unknown) => string | undefined): express.Express {
  const outer = express();
  outer.use((req: Request, res: Response, next: NextFunction) => {
    if (!req.path.startsWith(`${ACCOUNTING_PREFIX}/`)) return next();
    // Taken now: the emulator's routers rewrite req.url (and so req.path) below their mount points.
    const method = req.method;
    const path = req.path.slice(ACCOUNTING_PREFIX.length);
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    res.end = ((...args: unknown[]) => {
      const replacement = res.headersSent ? undefined : onAnswer(method, path, res, args[0]);
      if (replacement === undefined) return end(...args);
      res.statusCode = 500;
      res.setHeader('content-type', 'text/plain; charset=utf-8');
      res.setHeader('content-length', Buffer.byteLength(replacement));
      return end(replacement);
    }) as Response['end'];
    next();
  }, app);
  return outer;
}

/**
 * The emulator's app behind a layer that reads every JSON answer of the Accounting API against Xero's
 * schemas. One that does not conform is replaced by a 500 naming the schema errors, so the test that
 * received it fails whatever it expected.
 */
export function checkedApp(app: express.Express): express.Express {
  return layered(app, problemsOf);
}

/**
 * The same reading for the product's tests, where a 500 would only be retried: the answer goes out as it
 * is and each non-conforming one is added to `problems` (the test's emulator fails on close()).
 */
export function recordingApp(app: express.Express, problems: string[]): express.Express {
  return layered(app, (method, path, res, chunk) => {
    const found = problemsOf(method, path, res, chunk);
    if (found) problems.push(found);
    return undefined;
  });
}
