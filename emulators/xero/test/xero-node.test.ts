// xero-node's own AccountingApi, pointed at a listening emulator, creates and reads invoices — once
// with an OAuth2 bearer token and once signed as an OAuth 1.0a private app through
// setDefaultAuthentication, the two ways the product talks to Xero.
import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import OAuth from 'oauth-1.0a';
import { AccountingApi, Invoice, LineAmountTypes, type Invoices } from 'xero-node';
import type { XeroEmulator } from '../app';
import { API, connectedClient, listen, makeEmulator, registerPrivateApp, type PrivateAppCredentials } from './helpers';

function invoicesToCreate(reference: string): Invoices {
  return {
    invoices: [
      {
        type: Invoice.TypeEnum.ACCREC,
        contact: { name: `xero-node customer ${reference}` },
        date: '2026-03-01',
        dueDate: '2026-03-15',
        reference,
        lineAmountTypes: LineAmountTypes.Inclusive,
        status: Invoice.StatusEnum.AUTHORISED,
        lineItems: [{ description: 'Ten-visit pass', quantity: 1, unitAmount: 99.99, accountCode: '200', taxType: 'OUTPUT2' }],
      },
    ],
  };
}

/** xero-node request options → an OAuth 1.0a RSA-SHA1 Authorization header (private app). */
function privateAppAuthentication(app: PrivateAppCredentials, emulator: XeroEmulator): { applyToRequest(options: Record<string, unknown>): void } {
  const signer = new OAuth({
    consumer: { key: app.consumerKey, secret: app.consumerSecret },
    signature_method: 'RSA-SHA1',
    hash_function: (base) => createSign('RSA-SHA1').update(base).sign(app.privateKeyPem, 'base64'),
  });
  signer.getTimeStamp = () => Math.floor(emulator.clock.now() / 1000);
  return {
    applyToRequest(options) {
      const url = new URL(String(options.url));
      for (const [key, value] of Object.entries((options.params ?? {}) as Record<string, unknown>)) {
        if (value !== undefined) url.searchParams.append(key, String(value));
      }
      const data = signer.authorize({ url: url.toString(), method: String(options.method) }, { key: app.consumerKey, secret: '' });
      (options.headers as Record<string, string>).Authorization = signer.toHeader(data).Authorization;
    },
  };
}

describe('xero-node AccountingApi against the emulator', () => {
  let emulator: XeroEmulator;
  let baseUrl: string;
  let close: () => Promise<void>;

  before(async () => {
    emulator = makeEmulator();
    ({ baseUrl, close } = await listen(emulator));
  });
  after(() => close());

  it('creates and reads an invoice with an OAuth2 access token', async () => {
    const { tokens, tenantId } = await connectedClient(emulator);
    const api = new AccountingApi();
    api.basePath = `${baseUrl}${API}`;
    api.accessToken = tokens.access_token;

    const created = await api.createInvoices(tenantId, invoicesToCreate('OAUTH2-1'), false, undefined, 'xero-node-oauth2-1');
    const invoice = created.body.invoices?.[0];
    assert.ok(invoice?.invoiceID, JSON.stringify(created.body));
    assert.equal(invoice.total, 99.99);
    assert.equal(created.response.headers['x-minlimit-remaining'], '59');

    const read = await api.getInvoice(tenantId, invoice.invoiceID);
    assert.equal(read.body.invoices?.[0]?.reference, 'OAUTH2-1');
    assert.equal(read.body.invoices?.[0]?.status, Invoice.StatusEnum.AUTHORISED);

    const listed = await api.getInvoices(tenantId, undefined, 'Reference=="OAUTH2-1"');
    assert.equal(listed.body.invoices?.length, 1);

    // The Idempotency-Key xero-node sends is honoured: the same call is not booked twice.
    const repeated = await api.createInvoices(tenantId, invoicesToCreate('OAUTH2-1'), false, undefined, 'xero-node-oauth2-1');
    assert.equal(repeated.body.invoices?.[0]?.invoiceID, invoice.invoiceID);
  });

  it('creates and reads an invoice signed as a private app (OAuth 1.0a, RSA-SHA1)', async () => {
    const app = await registerPrivateApp(emulator);
    const api = new AccountingApi();
    api.basePath = `${baseUrl}${API}`;
    api.setDefaultAuthentication(privateAppAuthentication(app, emulator));

    const created = await api.createInvoices('', invoicesToCreate('OAUTH1-1'), false);
    const invoice = created.body.invoices?.[0];
    assert.ok(invoice?.invoiceID, JSON.stringify(created.body));
    const read = await api.getInvoices(app.tenantId, undefined, 'Reference=="OAUTH1-1"');
    assert.equal(read.body.invoices?.[0]?.invoiceID, invoice.invoiceID);
  });

  it('surfaces an expired token as xero-node reports it (401)', async () => {
    const { tokens, tenantId } = await connectedClient(emulator);
    const api = new AccountingApi();
    api.basePath = `${baseUrl}${API}`;
    api.accessToken = tokens.access_token;
    emulator.clock.advance(31 * 60_000);
    await assert.rejects(api.getInvoices(tenantId), (err: unknown) => {
      const text = typeof err === 'string' ? err : JSON.stringify(err);
      assert.match(text, /401/);
      assert.match(text, /TokenExpired/);
      return true;
    });
  });
});
