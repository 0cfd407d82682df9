import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, verify } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AccountingApi, Invoice, Invoices } from 'xero-node';
import { generatePrivateAppCertificate, type PrivateAppCertificate } from '../../../plugins/xero/connection/oauth1/certificate';
import { OAuth1PrivateAppAuth } from '../../../plugins/xero/connection/oauth1/xeroNodeAuth';
import { collectParameters, parseFormEncoded, signatureBaseString, type Param } from '../../../plugins/xero/connection/oauth1/baseString';

let cert: PrivateAppCertificate;
before(async () => {
  cert = await generatePrivateAppCertificate({ organisationName: 'Signer Test Ltd' });
});

/** Parse `OAuth a="b", c="d"` into decoded pairs. */
function parseAuthorization(header: string): Map<string, string> {
  assert.match(header, /^OAuth /);
  const pairs = [...header.slice(6).matchAll(/([A-Za-z0-9_%.~-]+)="([^"]*)"/g)];
  return new Map(pairs.map((m) => [decodeURIComponent(m[1] ?? ''), decodeURIComponent(m[2] ?? '')]));
}

/** What a server does: rebuild the base string from the request as received and check the signature. */
function verifyAsServer(method: string, absoluteUrl: string, authorization: string, formBody = ''): Map<string, string> {
  const oauth = parseAuthorization(authorization);
  const url = new URL(absoluteUrl);
  const oauthParams: Param[] = [...oauth].filter(([name]) => name !== 'oauth_signature');
  const base = signatureBaseString(method, url, collectParameters(url, oauthParams, parseFormEncoded(formBody)));
  const ok = verify('sha1', Buffer.from(base), createPublicKey(cert.certificatePem), Buffer.from(oauth.get('oauth_signature') ?? '', 'base64'));
  assert.ok(ok, `signature does not verify for base string ${base}`);
  return oauth;
}

test('applyToRequest on the options object xero-node builds: signs the final URL, query included', () => {
  const auth = new OAuth1PrivateAppAuth({
    consumerKey: 'CONSUMERKEY123',
    privateKeyPem: cert.privateKeyPem,
    clock: () => 1_700_000_000_123,
    nonce: () => 'fixednonce',
  });
  // The exact shape of localVarRequestOptions in xero-node v20's accountingApi.js (getInvoices), after
  // its OAuth2 authentication has run with an empty token.
  const opts = {
    method: 'GET',
    params: { where: 'Status=="AUTHORISED" AND Total>0', IDs: 'a,b', page: 2, summaryOnly: false },
    headers: { 'xero-tenant-id': 'tenant-1', Accept: 'application/json', Authorization: 'Bearer ' } as Record<string, string>,
    url: 'https://API.Xero.com:443/api.xro/2.0/Invoices',
    responseType: 'json' as const,
  };
  auth.applyToRequest(opts);

  assert.equal(opts.url, 'https://API.Xero.com:443/api.xro/2.0/Invoices?where=Status%3D%3D%22AUTHORISED%22+AND+Total%3E0&IDs=a,b&page=2&summaryOnly=false');
  assert.equal((opts as { params?: unknown }).params, undefined);
  const oauth = verifyAsServer('GET', opts.url, opts.headers.Authorization ?? '');
  assert.deepEqual(Object.fromEntries([...oauth].filter(([k]) => k !== 'oauth_signature')), {
    oauth_consumer_key: 'CONSUMERKEY123',
    oauth_token: 'CONSUMERKEY123',
    oauth_signature_method: 'RSA-SHA1',
    oauth_timestamp: '1700000000',
    oauth_nonce: 'fixednonce',
    oauth_version: '1.0',
  });
  assert.equal(Object.keys(opts.headers).filter((k) => k.toLowerCase() === 'authorization').length, 1);
});

test('a JSON body is not signed; a form body is, and is sent exactly as signed', () => {
  const auth = new OAuth1PrivateAppAuth({ consumerKey: 'CK', privateKeyPem: cert.privateKeyPem });
  const json = { method: 'PUT', url: 'https://api.xero.com/api.xro/2.0/Invoices', params: { summarizeErrors: false }, headers: {} as Record<string, string>, data: { Invoices: [{ Type: 'ACCREC' }] } };
  auth.applyToRequest(json);
  verifyAsServer('PUT', json.url, json.headers.Authorization ?? ''); // verifies without the body
  assert.deepEqual(json.data, { Invoices: [{ Type: 'ACCREC' }] });

  const form = { method: 'post', url: 'https://example.com/request', headers: { 'content-type': 'application/x-www-form-urlencoded' } as Record<string, string>, data: { a: 'x y', b: '1' } as unknown };
  auth.applyToRequest(form);
  assert.equal(form.data, 'a=x+y&b=1');
  verifyAsServer('POST', form.url, form.headers.Authorization ?? '', String(form.data));
  assert.throws(() => verifyAsServer('POST', form.url, form.headers.Authorization ?? '', 'a=x+y&b=2'), /does not verify/); // the body counts
});

test('every call gets a fresh nonce and the current timestamp', () => {
  let now = 1_700_000_000_000;
  const auth = new OAuth1PrivateAppAuth({ consumerKey: 'CK', privateKeyPem: cert.privateKeyPem, clock: () => now });
  const sign = () => {
    const o = { method: 'GET', url: 'https://api.xero.com/api.xro/2.0/Organisation', headers: {} as Record<string, string> };
    auth.applyToRequest(o);
    return parseAuthorization(o.headers.Authorization ?? '');
  };
  const a = sign();
  now += 61_000;
  const b = sign();
  assert.notEqual(a.get('oauth_nonce'), b.get('oauth_nonce'));
  assert.deepEqual([a.get('oauth_timestamp'), b.get('oauth_timestamp')], ['1700000000', '1700000061']);
});

test('a bad private key fails at construction with a message that does not repeat it', () => {
  assert.throws(() => new OAuth1PrivateAppAuth({ consumerKey: 'CK', privateKeyPem: 'not-a-key-SECRETISH' }), (err: Error) => !err.message.includes('SECRETISH'));
  assert.throws(() => new OAuth1PrivateAppAuth({ consumerKey: ' ', privateKeyPem: cert.privateKeyPem }), /consumer key/);
});

// End to end through xero-node and axios: a local HTTP server receives the real request and checks it.
let server: Server;
let baseUrl: string;
const received: { method: string; url: string; authorization: string; body: string }[] = [];
before(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', authorization: String(req.headers.authorization ?? ''), body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ Invoices: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api.xro/2.0`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('xero-node AccountingApi with this authentication: the server verifies GET and PUT requests as received', async () => {
  const api = new AccountingApi(baseUrl);
  api.setDefaultAuthentication(new OAuth1PrivateAppAuth({ consumerKey: 'PRIVATEAPPKEY', privateKeyPem: cert.privateKeyPem }));
  received.length = 0;

  await api.getInvoices('tenant-1', undefined, 'Contact.Name=="O\'Brien & Sons" AND Total>=10.5', 'Date DESC', ['id-1', 'id-2'], undefined, undefined, ['AUTHORISED', 'PAID'], 2);
  const invoices = new Invoices();
  const invoice = new Invoice();
  invoice.type = Invoice.TypeEnum.ACCREC;
  invoice.reference = 'sale 1 £5 & more';
  invoices.invoices = [invoice];
  await api.createInvoices('tenant-1', invoices, false, undefined, 'idem-1');

  assert.equal(received.length, 2);
  const [get, put] = received as [typeof received[0], typeof received[0]];
  assert.equal(get.method, 'GET');
  assert.match(get.url, /where=/);
  assert.match(get.url, /page=2/);
  const oauth = verifyAsServer('GET', `http://127.0.0.1:${new URL(baseUrl).port}${get.url}`, get.authorization);
  assert.equal(oauth.get('oauth_token'), 'PRIVATEAPPKEY');
  assert.equal(put.method, 'PUT');
  assert.match(put.url, /summarizeErrors=false/);
  assert.match(put.body, /sale 1 £5 & more/);
  verifyAsServer('PUT', `http://127.0.0.1:${new URL(baseUrl).port}${put.url}`, put.authorization);
});
