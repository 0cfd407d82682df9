// The control API (reset, organisations, apps, users, consent, clock, switch-off), the developer
// portal pages, and the state file that lets a demo survive restarts.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import request from 'supertest';
import {
  API,
  basic,
  connectedClient,
  currentCertificate,
  customConnection,
  listen,
  makeEmulator,
  oauth1Header,
  REDIRECT_URI,
  tenants,
  type PrivateAppCredentials,
} from './helpers';

describe('control API', () => {
  it('reset forgets apps and tokens and re-seeds the organisations', async () => {
    const emulator = makeEmulator();
    const { tokens, tenantId } = await connectedClient(emulator);
    await request(emulator.app).post('/_emulator/organisations').send({ name: 'Extra Ltd', baseCurrency: 'EUR', countryCode: 'IE' }).expect(201);
    assert.equal(tenants(emulator).length, 3);
    const reset = await request(emulator.app).post('/_emulator/reset').expect(200);
    assert.equal(reset.body.tenants.length, 2);
    assert.deepEqual((await request(emulator.app).get('/_emulator/apps')).body, []);
    const res = await request(emulator.app).get(`${API}/Organisation`).set('Authorization', `Bearer ${tokens.access_token}`).set('xero-tenant-id', tenantId);
    assert.equal(res.status, 401);
  });

  it('seeds another organisation that can be connected', async () => {
    const emulator = makeEmulator();
    const created = await request(emulator.app).post('/_emulator/organisations').send({ name: 'Euro Gym', baseCurrency: 'EUR' }).expect(201);
    const { tokens } = await connectedClient(emulator, { tenantIds: [created.body.tenantId] });
    const res = await request(emulator.app)
      .get(`${API}/Organisation`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('xero-tenant-id', created.body.tenantId)
      .expect(200);
    assert.equal(res.body.Organisations[0].Name, 'Euro Gym');
    assert.equal((await request(emulator.app).post('/_emulator/organisations').send({ name: 'No currency' })).status, 400);
  });

  it('registers apps of each type and refuses bad registrations', async () => {
    const emulator = makeEmulator();
    const [, second] = tenants(emulator) as [string, string];
    const cert = currentCertificate(emulator);
    const priv = await request(emulator.app).post('/_emulator/apps').send({ type: 'private', certificatePem: cert.certificatePem, tenantId: second }).expect(201);
    assert.match(priv.body.consumerKey, /^[A-Z0-9]{30}$/);
    assert.match(priv.body.consumerSecret, /^[A-Z0-9]{30}$/);
    assert.equal(priv.body.tenantId, second);
    const byName = await request(emulator.app)
      .post('/_emulator/apps')
      .send({ type: 'private', certificatePem: cert.certificatePem, organisationName: emulator.accounting.getTenant(second)?.name })
      .expect(201);
    assert.equal(byName.body.tenantId, second);
    const web = await request(emulator.app).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: [REDIRECT_URI] }).expect(201);
    assert.match(web.body.clientId, /^[0-9A-F]{32}$/);
    assert.ok(web.body.clientSecret.length >= 40);
    assert.equal((await request(emulator.app).post('/_emulator/apps').send({ type: 'private', certificatePem: 'nonsense' })).status, 400);
    assert.equal((await request(emulator.app).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: ['not a url'] })).status, 400);
    assert.equal((await request(emulator.app).post('/_emulator/apps').send({ type: 'custom', scopes: ['accounting.everything'] })).status, 400);
    assert.equal((await request(emulator.app).post('/_emulator/apps').send({ type: 'partner' })).status, 400);
    assert.equal((await request(emulator.app).get('/_emulator/apps')).body.length, 3);
  });

  it('consent helper: validates like /connect/authorize, can deny, and other users can log in', async () => {
    const emulator = makeEmulator();
    const web = (await request(emulator.app).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: [REDIRECT_URI] }).expect(201)).body;
    const wrongUri = await request(emulator.app).post('/_emulator/consent').send({ clientId: web.clientId, redirectUri: 'https://x.test/cb', scope: 'openid' });
    assert.equal(wrongUri.status, 400);
    const denied = await request(emulator.app)
      .post('/_emulator/consent')
      .send({ clientId: web.clientId, redirectUri: REDIRECT_URI, scope: 'openid accounting.settings', state: 'abc', deny: true })
      .expect(200);
    assert.match(denied.body.redirectUrl, /error=access_denied/);
    assert.match(denied.body.redirectUrl, /state=abc/);
    await request(emulator.app).post('/_emulator/users').send({ email: 'accountant@example.test', password: 'pw', givenName: 'Ann' }).expect(201);
    const granted = await request(emulator.app)
      .post('/_emulator/consent')
      .send({ clientId: web.clientId, redirectUri: REDIRECT_URI, scope: 'openid email offline_access accounting.settings', state: 'abc', userEmail: 'accountant@example.test' })
      .expect(200);
    assert.equal(granted.body.tenantIds.length, 2, 'all organisations by default');
    assert.equal(new URL(granted.body.redirectUrl).searchParams.get('code'), granted.body.code);
    const token = await request(emulator.app)
      .post('/connect/token')
      .set('Authorization', basic(web))
      .type('form')
      .send({ grant_type: 'authorization_code', code: granted.body.code, redirect_uri: REDIRECT_URI })
      .expect(200);
    const info = await request(emulator.app).get('/connect/userinfo').set('Authorization', `Bearer ${token.body.access_token}`).expect(200);
    assert.equal(info.body.email, 'accountant@example.test');
  });

  it('shows, advances and speeds up the clock; refuses going backwards', async () => {
    const emulator = makeEmulator({ clockStart: Date.UTC(2026, 0, 1) });
    const before = (await request(emulator.app).get('/_emulator/clock').expect(200)).body;
    assert.equal(before.iso, '2026-01-01T00:00:00.000Z');
    assert.equal(before.speed, 0);
    const after = (await request(emulator.app).post('/_emulator/clock/advance').send({ ms: 3_600_000 }).expect(200)).body;
    assert.equal(after.now - before.now, 3_600_000);
    assert.equal((await request(emulator.app).post('/_emulator/clock/advance').send({ ms: -1 })).status, 400);
    const fast = (await request(emulator.app).post('/_emulator/clock').send({ speed: 1000 }).expect(200)).body;
    assert.equal(fast.speed, 1000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.ok(emulator.clock.now() - after.now >= 10_000);
  });

  it('can be switched off', async () => {
    const emulator = makeEmulator({ controlApi: false });
    assert.equal((await request(emulator.app).post('/_emulator/reset')).status, 404);
  });
});

describe('developer portal pages', () => {
  it('creates a private app from an uploaded certificate file, whose key then signs API calls', async () => {
    const emulator = makeEmulator();
    const served = await listen(emulator);
    try {
      const form = await request(served.baseUrl).get('/portal/apps/new/private').expect(200);
      for (const label of ['for="app-name"', 'for="certificate-file"', 'for="organisation"', 'for="certificate-pem"']) assert.ok(form.text.includes(label), label);
      const cert = currentCertificate(emulator);
      const [, second] = tenants(emulator) as [string, string];
      const created = await request(served.baseUrl)
        .post('/portal/apps/private')
        .field('name', 'Ledgerbridge private')
        .field('tenantId', second)
        .attach('certificate', Buffer.from(cert.certificatePem), { filename: 'publickey.cer', contentType: 'application/x-x509-ca-cert' })
        .expect(201);
      const consumerKey = /id="consumer-key">([^<]+)</.exec(created.text)?.[1];
      const consumerSecret = /id="consumer-secret">([^<]+)</.exec(created.text)?.[1];
      assert.ok(consumerKey && consumerSecret);
      const app: PrivateAppCredentials = { ...cert, consumerKey, consumerSecret, tenantId: second };
      const url = `${served.baseUrl}${API}/Organisation`;
      const res = await request(served.baseUrl).get(`${API}/Organisation`).set('Authorization', oauth1Header(app, emulator, { method: 'GET', url })).expect(200);
      assert.equal(res.body.Organisations[0].Name, emulator.accounting.getTenant(second)?.name);
      const list = await request(served.baseUrl).get('/portal').expect(200);
      assert.ok(list.text.includes('Ledgerbridge private'));
    } finally {
      await served.close();
    }
  });

  it('accepts a pasted PEM and DER upload, and explains a bad certificate', async () => {
    const emulator = makeEmulator();
    const cert = currentCertificate(emulator);
    await request(emulator.app).post('/portal/apps/private').type('form').send({ name: 'Pasted', certificatePem: cert.certificatePem }).expect(201);
    const der = Buffer.from(cert.certificatePem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    await request(emulator.app).post('/portal/apps/private').field('name', 'Der').attach('certificate', der, 'publickey.cer').expect(201);
    const bad = await request(emulator.app).post('/portal/apps/private').type('form').send({ name: 'Bad', certificatePem: 'hello' });
    assert.equal(bad.status, 400);
    assert.match(bad.text, /id="error"/);
    const none = await request(emulator.app).post('/portal/apps/private').type('form').send({ name: 'None' });
    assert.equal(none.status, 400);
  });

  it('creates an OAuth2 web app and a custom connection', async () => {
    const emulator = makeEmulator();
    const form = await request(emulator.app).get('/portal/apps/new/oauth2').expect(200);
    assert.ok(form.text.includes('for="redirect-uris"'));
    const created = await request(emulator.app)
      .post('/portal/apps/oauth2')
      .type('form')
      .send({ name: 'Ledgerbridge', redirectUris: `${REDIRECT_URI}\nhttp://localhost:3000/cb` })
      .expect(201);
    const clientId = /id="client-id">([^<]+)</.exec(created.text)?.[1];
    const clientSecret = /id="client-secret">([^<]+)</.exec(created.text)?.[1];
    assert.ok(clientId && clientSecret);
    const detail = await request(emulator.app).get(`/portal/apps/${clientId}`).expect(200);
    assert.equal(detail.text.includes(clientSecret), false, 'the secret is shown once');
    assert.ok(detail.text.includes('http://localhost:3000/cb'));
    const custom = await request(emulator.app)
      .post('/portal/apps/custom')
      .type('form')
      .send(`name=Nightly&tenantId=${tenants(emulator)[0]}&scope=accounting.settings&scope=accounting.invoices`)
      .expect(201);
    const customId = /id="client-id">([^<]+)</.exec(custom.text)?.[1] as string;
    const customSecret = /id="client-secret">([^<]+)</.exec(custom.text)?.[1] as string;
    const token = await request(emulator.app)
      .post('/connect/token')
      .set('Authorization', basic({ clientId: customId, clientSecret: customSecret }))
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    assert.equal(token.body.scope, 'accounting.settings accounting.invoices');
  });
});

describe('state file', () => {
  it('saves apps, tokens and books, and a new emulator started from the file carries on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'xero-emulator-'));
    const stateFile = join(dir, 'state.json');
    try {
      const first = makeEmulator({ stateFile });
      const { client, tokens, tenantId } = await connectedClient(first);
      const custom = await customConnection(first);
      await request(first.app).put(`${API}/Contacts`).set('Authorization', custom.bearer).send({ Contacts: [{ Name: 'Persisted Ltd' }] }).expect(200);
      await first.close();
      assert.equal(JSON.parse(readFileSync(stateFile, 'utf8')).version, 1);

      const second = makeEmulator({ stateFile, clockStart: first.clock.now() });
      // The access token minted before the restart still verifies (the signing key was saved).
      await request(second.app).get(`${API}/Organisation`).set('Authorization', `Bearer ${tokens.access_token}`).set('xero-tenant-id', tenantId).expect(200);
      const contacts = await request(second.app).get(`${API}/Contacts`).set('Authorization', custom.bearer).expect(200);
      assert.ok(contacts.body.Contacts.some((c: { Name: string }) => c.Name === 'Persisted Ltd'));
      await request(second.app)
        .post('/connect/token')
        .set('Authorization', basic(client))
        .type('form')
        .send({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })
        .expect(200);
      await second.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
