// OAuth 1.0a private apps over HTTP: a correctly signed call passes, and each way Xero refused one
// comes back as 401 with a form-encoded oauth_problem body.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import type { XeroEmulator } from '../app';
import {
  API,
  listen,
  makeCertificate,
  makeEmulator,
  oauth1Header,
  registerPrivateApp,
  tenants,
  type PrivateAppCredentials,
} from './helpers';

function problemOf(res: request.Response): Record<string, string> {
  assert.equal(res.status, 401, res.text);
  assert.match(String(res.headers['content-type']), /application\/x-www-form-urlencoded/);
  return Object.fromEntries(new URLSearchParams(res.text));
}

describe('OAuth 1.0a private apps', () => {
  let emulator: XeroEmulator;
  let baseUrl: string;
  let close: () => Promise<void>;
  let app: PrivateAppCredentials;

  before(async () => {
    emulator = makeEmulator();
    ({ baseUrl, close } = await listen(emulator));
    app = await registerPrivateApp(emulator);
  });
  after(() => close());

  const get = (path: string, header: string): request.Test => request(baseUrl).get(path).set('Authorization', header);

  it('accepts a correctly signed call and binds it to the app organisation', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url }));
    assert.equal(res.status, 200, res.text);
    assert.equal(app.tenantId, tenants(emulator)[0]);
    assert.ok(res.headers['x-minlimit-remaining']);
  });

  it('signs over query parameters too (RFC 5849 §3.4.1.3)', async () => {
    const path = `${API}/Invoices?where=${encodeURIComponent('Status=="AUTHORISED"')}&page=1`;
    const res = await get(path, oauth1Header(app, emulator, { method: 'GET', url: `${baseUrl}${path}` }));
    assert.equal(res.status, 200, res.text);
    const tampered = await get(path.replace('page=1', 'page=2'), oauth1Header(app, emulator, { method: 'GET', url: `${baseUrl}${path}` }));
    assert.equal(problemOf(tampered).oauth_problem, 'signature_invalid');
  });

  it('accepts an empty or matching xero-tenant-id and refuses another organisation with 403', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const sign = (): string => oauth1Header(app, emulator, { method: 'GET', url });
    assert.equal((await get(`${API}/Organisation`, sign()).set('xero-tenant-id', app.tenantId)).status, 200);
    assert.equal((await get(`${API}/Organisation`, sign()).set('xero-tenant-id', '')).status, 200);
    const other = await get(`${API}/Organisation`, sign()).set('xero-tenant-id', tenants(emulator)[1] as string);
    assert.equal(other.status, 403);
    assert.equal(other.body.Detail, 'AuthorizationUnsuccessful');
  });

  it('refuses a bad signature: signature_invalid', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const wrongKey = makeCertificate({ notBefore: emulator.clock.now() - 1000, notAfter: emulator.clock.now() + 3_600_000 }, true);
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, privateKeyPem: wrongKey.privateKeyPem }));
    const problem = problemOf(res);
    assert.equal(problem.oauth_problem, 'signature_invalid');
    assert.equal(problem.oauth_problem_advice, 'Failed to validate signature');
    assert.match(res.text, /^oauth_problem=signature_invalid&oauth_problem_advice=Failed%20to%20validate%20signature/);
  });

  it('refuses an unknown consumer key: consumer_key_unknown', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, consumerKey: 'NOPE', token: 'NOPE' }));
    assert.equal(problemOf(res).oauth_problem, 'consumer_key_unknown');
  });

  it('refuses an oauth_token that is not the consumer key: token_rejected', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, token: 'SOMETHINGELSE' }));
    assert.equal(problemOf(res).oauth_problem, 'token_rejected');
  });

  it('refuses a request without oauth_token: parameter_absent', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const problem = problemOf(await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, token: null })));
    assert.equal(problem.oauth_problem, 'parameter_absent');
    assert.equal(problem.oauth_parameters_absent, 'oauth_token');
  });

  it('refuses HMAC-SHA1 for a private app: signature_method_rejected', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, signatureMethod: 'HMAC-SHA1' }));
    assert.equal(problemOf(res).oauth_problem, 'signature_method_rejected');
  });

  it('refuses a timestamp more than 5 minutes from the emulator clock: timestamp_refused', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const nowSeconds = Math.floor(emulator.clock.now() / 1000);
    const stale = problemOf(await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, timestampSeconds: nowSeconds - 301 })));
    assert.equal(stale.oauth_problem, 'timestamp_refused');
    assert.equal(stale.oauth_acceptable_timestamps, `${nowSeconds - 300}-${nowSeconds + 300}`);
    const future = problemOf(await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, timestampSeconds: nowSeconds + 301 })));
    assert.equal(future.oauth_problem, 'timestamp_refused');
    const edge = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, timestampSeconds: nowSeconds - 299 }));
    assert.equal(edge.status, 200);
  });

  it("answers timestamp_refused as Xero does, with Xero's clock in the Date header (the emulated clock)", async () => {
    emulator.clock.advance(60 * 60_000); // the emulated clock an hour from the host's, so its Date cannot be the host's
    const url = `${baseUrl}${API}/Organisation`;
    const nowSeconds = Math.floor(emulator.clock.now() / 1000);
    const res = await get(`${API}/Organisation`, oauth1Header(app, emulator, { method: 'GET', url, timestampSeconds: nowSeconds - 600 }));
    assert.equal(res.headers['www-authenticate'], 'OAuth realm="Xero"');
    assert.equal(problemOf(res).oauth_problem, 'timestamp_refused');
    assert.equal(Date.parse(String(res.headers.date)), nowSeconds * 1000);
  });

  it('refuses a replayed nonce: nonce_used', async () => {
    const url = `${baseUrl}${API}/Organisation`;
    const header = oauth1Header(app, emulator, { method: 'GET', url, nonce: 'once-only-nonce' });
    assert.equal((await get(`${API}/Organisation`, header)).status, 200);
    assert.equal(problemOf(await get(`${API}/Organisation`, header)).oauth_problem, 'nonce_used');
  });

  it('signs over a form-encoded body and rejects a changed one', async () => {
    const url = `${baseUrl}${API}/Contacts`;
    const form = { Name: 'Form Signed Ltd' };
    const header = oauth1Header(app, emulator, { method: 'POST', url, form });
    const changed = await request(baseUrl).post(`${API}/Contacts`).set('Authorization', header).type('form').send({ Name: 'Someone else' });
    assert.equal(problemOf(changed).oauth_problem, 'signature_invalid');
  });

  it('refuses calls once the certificate has expired (emulated clock)', async () => {
    const now = emulator.clock.now();
    const shortLived = await registerPrivateApp(emulator, makeCertificate({ notBefore: now - 1000, notAfter: now + 10 * 60_000 }));
    const url = `${baseUrl}${API}/Organisation`;
    assert.equal((await get(`${API}/Organisation`, oauth1Header(shortLived, emulator, { method: 'GET', url }))).status, 200);
    emulator.clock.advance(11 * 60_000);
    const problem = problemOf(await get(`${API}/Organisation`, oauth1Header(shortLived, emulator, { method: 'GET', url })));
    assert.equal(problem.oauth_problem, 'token_rejected');
    assert.match(problem.oauth_problem_advice ?? '', /certificate/);
  });

  it('refuses to register an already expired certificate', async () => {
    const now = emulator.clock.now();
    const expired = makeCertificate({ notBefore: now - 2 * 86_400_000, notAfter: now - 86_400_000 });
    const res = await request(emulator.app).post('/_emulator/apps').send({ type: 'private', certificatePem: expired.certificatePem });
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /expired/);
  });

  it('treats a call without credentials as an OAuth2 call: 401 problem JSON', async () => {
    const res = await request(baseUrl).get(`${API}/Organisation`);
    assert.equal(res.status, 401);
    assert.equal(res.body.Title, 'Unauthorized');
    assert.ok(res.headers['www-authenticate']);
  });

  it('verifies against the public URL when the emulator runs behind a proxy', async () => {
    const proxied = makeEmulator({ publicUrl: 'https://xero.example.test/emulated' });
    const privateApp = await registerPrivateApp(proxied);
    const url = `https://xero.example.test/emulated${API}/Organisation`;
    const res = await request(proxied.app).get(`${API}/Organisation`).set('Authorization', oauth1Header(privateApp, proxied, { method: 'GET', url }));
    assert.equal(res.status, 200, res.text);
  });
});
