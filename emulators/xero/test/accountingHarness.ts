// Test-only harness for the accounting half: mounts createAccountingModule().router behind a stand-in
// for the infrastructure (which sets res.locals.xero), drives it over HTTP with supertest, and checks
// every JSON response — and every request body the API accepted — against Xero's OpenAPI schemas.
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { ObjectSerializer } from 'xero-node';
import type { Clock, XeroRequestAuth } from '../contracts';
import { createAccountingModule, UK_TENANT_ID } from '../accounting';
import { answerSchemaFor } from './answerSchemas';
import { assertMatchesSchema } from './openapi';

export const API = '/api.xro/2.0';
export const START = Date.UTC(2024, 4, 1, 9, 0, 0);

export class FrozenClock implements Clock {
  constructor(private current = START) {}
  now(): number { return this.current; }
  advance(ms: number): void { this.current += ms; }
}

export interface CallOptions {
  body?: unknown;
  /** Raw text body (malformed JSON tests); skips request validation. */
  rawBody?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  /** null sends no xero-tenant-id (res.locals.xero stays unset). */
  tenantId?: string | null;
  /** Component schema of the request body (validated when the API accepts it with 2xx). */
  requestSchema?: string;
  /** Component schema of a 200 response (found from the path when not given); 400 responses are checked against `Error`. */
  responseSchema?: string;
}

export interface CallResult {
  status: number;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the emulator
  text: string;
}

export function harness() {
  const clock = new FrozenClock();
  const accounting = createAccountingModule({ clock });
  const app = express();
  app.use(API, (req, res, next) => {
    const auth: XeroRequestAuth = { tenantId: req.get('xero-tenant-id') ?? '', appId: 'test-app', authKind: 'oauth2', scopes: ['accounting.transactions'] };
    if (auth.tenantId) res.locals.xero = auth;
    next();
  }, accounting.router);
  app.use('/_emulator', express.json(), accounting.controlRouter);

  async function call(method: 'get' | 'put' | 'post' | 'delete', path: string, options: CallOptions = {}): Promise<CallResult> {
    let req = request(app)[method](path.startsWith('/_emulator') ? path : `${API}${path}`);
    if (options.tenantId !== null) req = req.set('xero-tenant-id', options.tenantId ?? UK_TENANT_ID);
    for (const [name, value] of Object.entries(options.headers ?? {})) req = req.set(name, value);
    if (options.query) req = req.query(options.query);
    if (options.rawBody !== undefined) req = req.set('Content-Type', 'application/json').send(options.rawBody);
    else if (options.body !== undefined) req = req.send(options.body as object);
    const res = await req;
    const isJson = /json/.test(String(res.headers['content-type'] ?? ''));
    if (isJson && !path.startsWith('/_emulator')) {
      // Every answer, not only those a test names a schema for: the schema is found from the path.
      const schema = options.responseSchema ?? answerSchemaFor(method, path);
      if (res.status === 200) {
        assert.ok(schema, `no schema of xero_accounting.yaml is known for ${method.toUpperCase()} ${path} (add it to answerSchemas.ts)`);
        if (options.responseSchema) assert.equal(answerSchemaFor(method, path), options.responseSchema, `answerSchemas.ts names another schema for ${method.toUpperCase()} ${path}`);
        assertMatchesSchema(schema, res.body, `${method.toUpperCase()} ${path} response`);
      }
      if (res.status === 400) assertMatchesSchema('Error', res.body, `${method.toUpperCase()} ${path} error response`);
    }
    if (res.status >= 200 && res.status < 300 && options.requestSchema && options.body !== undefined) {
      assertMatchesSchema(options.requestSchema, options.body, `${method.toUpperCase()} ${path} request`);
    }
    return { status: res.status, body: res.body, text: res.text };
  }

  return {
    clock,
    accounting,
    app,
    call,
    get: (path: string, options: CallOptions = {}) => call('get', path, options),
    put: (path: string, body: unknown, options: CallOptions = {}) => call('put', path, { ...options, body }),
    post: (path: string, body: unknown, options: CallOptions = {}) => call('post', path, { ...options, body }),
    control: (method: 'get' | 'post' | 'delete', path: string) => call(method, `/_emulator${path}`),
  };
}

export type Harness = ReturnType<typeof harness>;

/** Read a response the way the product will: through xero-node's ObjectSerializer. */
export function readWithXeroNode<T = unknown>(body: unknown, type: string): T {
  return ObjectSerializer.deserialize(body, type) as T;
}

export function contact(name = 'Ridgeway University') {
  return { Name: name };
}

/** A small ACCREC invoice body. */
export function salesInvoice(overrides: Record<string, unknown> = {}, lines: Record<string, unknown>[] = [{ Description: 'Yoga class', Quantity: 1, UnitAmount: 10, AccountCode: '200', TaxType: 'OUTPUT2' }]) {
  return { Type: 'ACCREC', Contact: contact(), Date: '2024-05-01', DueDate: '2024-05-15', LineAmountTypes: 'Exclusive', Status: 'AUTHORISED', LineItems: lines, ...overrides };
}

/** PUT one invoice and return it (asserting success). */
export async function createInvoice(h: Harness, overrides: Record<string, unknown> = {}, lines?: Record<string, unknown>[]) {
  const res = await h.put('/Invoices', { Invoices: [salesInvoice(overrides, lines)] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.Invoices[0];
}

export function accountIdByCode(h: Harness, code: string, tenantId = UK_TENANT_ID): string {
  const snapshot = h.accounting.snapshot() as { books: { organisation: { OrganisationID: string }; accounts: { AccountID: string; Code?: string }[] }[] };
  const book = snapshot.books.find((b) => b.organisation.OrganisationID === tenantId);
  const account = book?.accounts.find((a) => a.Code === code);
  assert.ok(account, `account ${code}`);
  return account.AccountID;
}
