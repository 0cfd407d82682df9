// OAuth2 against the emulator: authorization code (with and without PKCE), refresh rotation and its
// grace period, lifetimes on the emulated clock, revocation, connections, client credentials, scopes,
// and id_token verification through the published JWKS.
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import request from 'supertest';
import type { XeroEmulator } from '../app';
import {
  advance,
  API,
  basic,
  connectedClient,
  consentCode,
  exchangeCode,
  FULL_SCOPE,
  listen,
  makeEmulator,
  pkcePair,
  REDIRECT_URI,
  registerOAuth2App,
  tenants,
  type OAuth2Client,
  type TokenSet,
} from './helpers';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

describe('OAuth2 authorization code flow', () => {
  let emulator: XeroEmulator;
  beforeEach(() => {
    emulator = makeEmulator();
  });

  const token = (client: OAuth2Client, form: Record<string, string>): request.Test =>
    request(emulator.app).post('/connect/token').set('Authorization', basic(client)).type('form').send(form);
  const api = (tokens: TokenSet, tenantId: string, path = '/Organisation'): request.Test =>
    request(emulator.app).get(`${API}${path}`).set('Authorization', `Bearer ${tokens.access_token}`).set('xero-tenant-id', tenantId);

  it('publishes a discovery document whose endpoints live on the emulator', async () => {
    const res = await request(emulator.app).get('/.well-known/openid-configuration').set('Host', 'xero.local:4010').expect(200);
    assert.equal(res.body.issuer, 'http://xero.local:4010');
    assert.equal(res.body.jwks_uri, 'http://xero.local:4010/.well-known/openid-configuration/jwks');
    assert.equal(res.body.token_endpoint, 'http://xero.local:4010/connect/token');
    assert.ok(res.body.scopes_supported.includes('accounting.invoices'));
  });

  it('exchanges a code for Xero-shaped tokens (access JWT 30 min, refresh, id_token) and opens the API', async () => {
    const { tokens, tenantId, client } = await connectedClient(emulator);
    assert.equal(tokens.expires_in, 1800);
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.refresh_token && tokens.id_token);
    const claims = decodeJwt(tokens.access_token);
    assert.equal(claims.client_id, client.clientId);
    assert.deepEqual(claims.scope, FULL_SCOPE.split(' '));
    assert.equal((claims.exp ?? 0) - (claims.iat ?? 0), 1800);
    for (const claim of ['iss', 'sub', 'xero_userid', 'authentication_event_id', 'jti', 'nbf', 'global_session_id']) assert.ok(claims[claim], claim);
    const res = await api(tokens, tenantId).expect(200);
    assert.equal(res.headers['x-minlimit-remaining'], '59');
  });

  it('accepts client_secret_post as well as HTTP Basic', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client);
    const res = await request(emulator.app)
      .post('/connect/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.clientId, client_secret: client.clientSecret });
    assert.equal(res.status, 200, res.text);
  });

  it('refuses a wrong client secret with 401 invalid_client', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client);
    const res = await token({ ...client, clientSecret: 'wrong' }, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, { error: 'invalid_client' });
  });

  it('refuses a redirect_uri that differs from the authorization request', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client);
    const res = await token(client, { grant_type: 'authorization_code', code, redirect_uri: 'https://app.example.test/other' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('refuses a reused code and revokes what the first exchange issued', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client);
    const first = await exchangeCode(emulator, client, code);
    const again = await token(client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
    assert.equal((await api(first, tenants(emulator)[0] as string)).status, 401);
  });

  it('expires codes after 5 minutes', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client);
    await advance(emulator, 5 * MINUTE + 1000);
    const res = await token(client, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI });
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('answers unsupported_grant_type and invalid_request', async () => {
    const client = await registerOAuth2App(emulator);
    assert.equal((await token(client, { grant_type: 'password' })).body.error, 'unsupported_grant_type');
    assert.equal((await token(client, { grant_type: 'authorization_code' })).body.error, 'invalid_request');
    assert.equal((await token(client, {})).body.error, 'invalid_request');
  });

  it('checks the PKCE verifier when a challenge was sent', async () => {
    const client = await registerOAuth2App(emulator);
    const { verifier, challenge } = pkcePair();
    const missing = await token(client, { grant_type: 'authorization_code', code: await consentCode(emulator, client, { codeChallenge: challenge }), redirect_uri: REDIRECT_URI });
    assert.equal(missing.body.error, 'invalid_grant');
    const wrong = await token(client, {
      grant_type: 'authorization_code',
      code: await consentCode(emulator, client, { codeChallenge: challenge }),
      redirect_uri: REDIRECT_URI,
      code_verifier: pkcePair().verifier,
    });
    assert.equal(wrong.body.error, 'invalid_grant');
    const good = await token(client, {
      grant_type: 'authorization_code',
      code: await consentCode(emulator, client, { codeChallenge: challenge }),
      redirect_uri: REDIRECT_URI,
      code_verifier: verifier,
    });
    assert.equal(good.status, 200, good.text);
  });

  it('lets a public PKCE client exchange without a secret', async () => {
    const client = await registerOAuth2App(emulator, { public: true });
    assert.equal(client.clientSecret, null);
    const { verifier, challenge } = pkcePair();
    const code = await consentCode(emulator, { clientId: client.clientId, clientSecret: '' }, { codeChallenge: challenge });
    const res = await request(emulator.app)
      .post('/connect/token')
      .type('form')
      .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.clientId, code_verifier: verifier });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.refresh_token !== undefined, true);
  });

  it('refuses an expired access token with 401 TokenExpired after 30 minutes', async () => {
    const { tokens, tenantId } = await connectedClient(emulator);
    await advance(emulator, 29 * MINUTE);
    await api(tokens, tenantId).expect(200);
    await advance(emulator, 1 * MINUTE + 1000);
    const res = await api(tokens, tenantId);
    assert.equal(res.status, 401);
    assert.equal(res.body.Title, 'Unauthorized');
    assert.equal(res.body.Status, 401);
    assert.match(res.body.Detail, /^TokenExpired: token expired at \d\d\/\d\d\/\d{4} /);
    assert.ok(res.body.Instance);
    assert.deepEqual(res.body.Extensions, {});
    assert.match(String(res.headers['www-authenticate']), /^Bearer/);
  });

  it('rotates refresh tokens; the old one returns the same new set within 30 minutes, then invalid_grant', async () => {
    const { client, tokens, tenantId } = await connectedClient(emulator);
    const first = await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }).expect(200);
    assert.notEqual(first.body.refresh_token, tokens.refresh_token);
    assert.notEqual(first.body.access_token, tokens.access_token);
    await api(first.body as TokenSet, tenantId).expect(200);

    await advance(emulator, 29 * MINUTE);
    const replay = await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }).expect(200);
    assert.deepEqual(replay.body, first.body);

    await advance(emulator, 2 * MINUTE);
    const late = await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string });
    assert.equal(late.status, 400);
    assert.deepEqual(late.body, { error: 'invalid_grant' });

    // The new refresh token keeps working, and rotates in turn.
    const next = await token(client, { grant_type: 'refresh_token', refresh_token: first.body.refresh_token }).expect(200);
    assert.notEqual(next.body.refresh_token, first.body.refresh_token);
  });

  it('refuses a refresh token from another client', async () => {
    const { tokens } = await connectedClient(emulator);
    const other = await registerOAuth2App(emulator);
    const res = await token(other, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string });
    assert.equal(res.body.error, 'invalid_grant');
  });

  it('lets an unused refresh token die after 60 days', async () => {
    const { client, tokens } = await connectedClient(emulator);
    await advance(emulator, 59 * DAY);
    const stillAlive = await connectedClient(emulator);
    await token(stillAlive.client, { grant_type: 'refresh_token', refresh_token: stillAlive.tokens.refresh_token as string }).expect(200);
    const fresh = await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string }).expect(200);
    await advance(emulator, 60 * DAY + MINUTE);
    const dead = await token(client, { grant_type: 'refresh_token', refresh_token: fresh.body.refresh_token });
    assert.equal(dead.body.error, 'invalid_grant');
  });

  it('issues no refresh token without offline_access', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client, { scope: 'openid accounting.settings.read' });
    const tokens = await exchangeCode(emulator, client, code);
    assert.equal(tokens.refresh_token, undefined);
  });

  it('revocation cuts access: API 401 and refresh invalid_grant', async () => {
    const { client, tokens, tenantId } = await connectedClient(emulator);
    await request(emulator.app).post('/connect/revocation').set('Authorization', basic(client)).type('form').send({ token: tokens.refresh_token }).expect(200);
    assert.equal((await api(tokens, tenantId)).status, 401);
    assert.equal((await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string })).body.error, 'invalid_grant');
    const connections = await request(emulator.app).get('/connections').set('Authorization', `Bearer ${tokens.access_token}`);
    assert.equal(connections.status, 401);
  });

  it('lists connections and DELETE /connections/{id} cuts access', async () => {
    const [first, second] = tenants(emulator) as [string, string];
    const { client, tokens } = await connectedClient(emulator, { tenantIds: [first, second] });
    const list = await request(emulator.app).get('/connections').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    assert.equal(list.body.length, 2);
    const claims = decodeJwt(tokens.access_token);
    for (const c of list.body) {
      assert.deepEqual(Object.keys(c).sort(), ['authEventId', 'createdDateUtc', 'id', 'tenantId', 'tenantName', 'tenantType', 'updatedDateUtc']);
      assert.equal(c.authEventId, claims.authentication_event_id);
      assert.equal(c.tenantType, 'ORGANISATION');
    }
    const firstConnection = list.body.find((c: { tenantId: string }) => c.tenantId === first);
    await request(emulator.app).delete(`/connections/${firstConnection.id}`).set('Authorization', `Bearer ${tokens.access_token}`).expect(204);
    // The other organisation stays connected; the removed one is no longer reachable.
    assert.equal((await api(tokens, first)).status, 403);
    await api(tokens, second).expect(200);
    const secondConnection = list.body.find((c: { tenantId: string }) => c.tenantId === second);
    await request(emulator.app).delete(`/connections/${secondConnection.id}`).set('Authorization', `Bearer ${tokens.access_token}`).expect(204);
    assert.equal((await api(tokens, second)).status, 401);
    assert.equal((await token(client, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token as string })).body.error, 'invalid_grant');
  });

  it('refuses a tenant that is not connected, and a missing tenant header, with 403', async () => {
    const { tokens } = await connectedClient(emulator);
    const other = await api(tokens, tenants(emulator)[1] as string);
    assert.equal(other.status, 403);
    assert.equal(other.body.Detail, 'AuthorizationUnsuccessful');
    const none = await request(emulator.app).get(`${API}/Organisation`).set('Authorization', `Bearer ${tokens.access_token}`);
    assert.equal(none.status, 403);
  });

  it('refuses a call outside the granted scopes with 403', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client, { scope: 'openid offline_access accounting.settings.read accounting.contacts.read' });
    const tokens = await exchangeCode(emulator, client, code);
    const tenantId = tenants(emulator)[0] as string;
    await api(tokens, tenantId, '/Organisation').expect(200);
    const invoices = await api(tokens, tenantId, '/Invoices');
    assert.equal(invoices.status, 403);
    assert.equal(invoices.body.Title, 'Forbidden');
    const write = await request(emulator.app)
      .put(`${API}/Contacts`)
      .set('Authorization', `Bearer ${tokens.access_token}`)
      .set('xero-tenant-id', tenantId)
      .send({ Contacts: [{ Name: 'Read only' }] });
    assert.equal(write.status, 403);
  });

  it('accepts granular scopes for the endpoints they cover', async () => {
    const client = await registerOAuth2App(emulator);
    const code = await consentCode(emulator, client, { scope: 'offline_access accounting.invoices accounting.contacts' });
    const tokens = await exchangeCode(emulator, client, code);
    const tenantId = tenants(emulator)[0] as string;
    await api(tokens, tenantId, '/Invoices').expect(200);
    assert.equal((await api(tokens, tenantId, '/Organisation')).status, 403);
  });

  it('signs id_tokens verifiable through the JWKS, with aud = client_id and the nonce echoed', async () => {
    const served = await listen(emulator);
    try {
      const client = await registerOAuth2App(emulator);
      const code = await consentCode(emulator, client, { nonce: 'n-0S6_WzA2Mj' });
      const res = await request(served.baseUrl)
        .post('/connect/token')
        .set('Authorization', basic(client))
        .type('form')
        .send({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI })
        .expect(200);
      const discovery = await request(served.baseUrl).get('/.well-known/openid-configuration').expect(200);
      const jwks = createRemoteJWKSet(new URL(discovery.body.jwks_uri));
      const now = new Date(emulator.clock.now());
      const { payload } = await jwtVerify(res.body.id_token, jwks, { issuer: discovery.body.issuer, audience: client.clientId, currentDate: now });
      assert.equal(payload.nonce, 'n-0S6_WzA2Mj');
      assert.equal(payload.email, 'demo@ledgerbridge.test');
      assert.ok(payload.xero_userid && payload.at_hash);
      const access = await jwtVerify(res.body.access_token, jwks, { issuer: discovery.body.issuer, currentDate: now });
      assert.equal(access.payload.client_id, client.clientId);
    } finally {
      await served.close();
    }
  });

  it('serves userinfo for openid tokens', async () => {
    const { tokens } = await connectedClient(emulator);
    const res = await request(emulator.app).get('/connect/userinfo').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    assert.equal(res.body.email, 'demo@ledgerbridge.test');
  });
});

describe('custom connections (client credentials)', () => {
  it('issues an access token without refresh token, bound to one organisation', async () => {
    const emulator = makeEmulator();
    const [first, second] = tenants(emulator) as [string, string];
    const created = await request(emulator.app)
      .post('/_emulator/apps')
      .send({ type: 'custom', tenantId: first, scopes: ['accounting.settings', 'accounting.invoices'] })
      .expect(201);
    const client = created.body as OAuth2Client;
    const res = await request(emulator.app).post('/connect/token').set('Authorization', basic(client)).type('form').send({ grant_type: 'client_credentials' }).expect(200);
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.id_token, undefined);
    assert.equal(res.body.scope, 'accounting.settings accounting.invoices');
    const bearer = `Bearer ${res.body.access_token}`;
    await request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer).expect(200);
    await request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer).set('xero-tenant-id', first).expect(200);
    assert.equal((await request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer).set('xero-tenant-id', second)).status, 403);
    assert.equal((await request(emulator.app).get(`${API}/Contacts`).set('Authorization', bearer)).status, 403);
    const connections = await request(emulator.app).get('/connections').set('Authorization', bearer).expect(200);
    assert.equal(connections.body[0].tenantId, first);
  });

  it('refuses scopes beyond the connection and client_credentials for a web app', async () => {
    const emulator = makeEmulator();
    const created = await request(emulator.app).post('/_emulator/apps').send({ type: 'custom', scopes: ['accounting.settings'] }).expect(201);
    const res = await request(emulator.app)
      .post('/connect/token')
      .set('Authorization', basic(created.body))
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'accounting.contacts' });
    assert.equal(res.body.error, 'invalid_scope');
    const web = await registerOAuth2App(emulator);
    const refused = await request(emulator.app).post('/connect/token').set('Authorization', basic(web)).type('form').send({ grant_type: 'client_credentials' });
    assert.equal(refused.body.error, 'unauthorized_client');
  });
});

describe('login and consent pages', () => {
  function formFields(html: string): Record<string, string> {
    const interaction = /name="interaction" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(interaction, 'interaction field');
    return { interaction };
  }

  it('logs in, connects the ticked organisations and redirects with code and state', async () => {
    const emulator = makeEmulator();
    const client = await registerOAuth2App(emulator);
    const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: FULL_SCOPE, state: 'xyz 123' });
    const login = await request(emulator.app).get(`/connect/authorize?${query}`).expect(200);
    assert.match(login.text, /<label for="email">/);
    const bad = await request(emulator.app).post('/connect/authorize/login').type('form').send({ ...formFields(login.text), email: 'demo@ledgerbridge.test', password: 'nope' });
    assert.equal(bad.status, 401);
    const consent = await request(emulator.app)
      .post('/connect/authorize/login')
      .type('form')
      .send({ ...formFields(login.text), email: 'demo@ledgerbridge.test', password: 'demo-password' })
      .expect(200);
    const [first, second] = tenants(emulator) as [string, string];
    assert.match(consent.text, new RegExp(`id="tenant-${first}"`));
    const none = await request(emulator.app).post('/connect/authorize/consent').type('form').send({ ...formFields(consent.text), decision: 'allow' });
    assert.equal(none.status, 400);
    const allowed = await request(emulator.app)
      .post('/connect/authorize/consent')
      .type('form')
      .send(`interaction=${formFields(consent.text).interaction}&decision=allow&tenantId=${first}&tenantId=${second}`)
      .expect(302);
    const location = new URL(allowed.headers.location as string);
    assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
    assert.equal(location.searchParams.get('state'), 'xyz 123');
    const tokens = await exchangeCode(emulator, client, location.searchParams.get('code') as string);
    const list = await request(emulator.app).get('/connections').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    assert.equal(list.body.length, 2);
  });

  it('redirects with error=access_denied and the state when the user denies', async () => {
    const emulator = makeEmulator();
    const client = await registerOAuth2App(emulator);
    const query = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: FULL_SCOPE, state: 's1' });
    const login = await request(emulator.app).get(`/connect/authorize?${query}`).expect(200);
    const consent = await request(emulator.app).post('/connect/authorize/login').type('form').send({ ...formFields(login.text), email: 'demo@ledgerbridge.test', password: 'demo-password' });
    const denied = await request(emulator.app).post('/connect/authorize/consent').type('form').send({ ...formFields(consent.text), decision: 'deny' }).expect(302);
    const location = new URL(denied.headers.location as string);
    assert.equal(location.searchParams.get('error'), 'access_denied');
    assert.equal(location.searchParams.get('state'), 's1');
  });

  it('does not redirect to an unregistered redirect_uri, and bounces a bad scope back with the state', async () => {
    const emulator = makeEmulator();
    const client = await registerOAuth2App(emulator);
    const wrong = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: 'https://evil.example/cb', scope: FULL_SCOPE });
    const res = await request(emulator.app).get(`/connect/authorize?${wrong}`);
    assert.equal(res.status, 400);
    assert.equal(res.headers.location, undefined);
    const badScope = new URLSearchParams({ response_type: 'code', client_id: client.clientId, redirect_uri: REDIRECT_URI, scope: 'openid accounting.everything', state: 'q' });
    const bounced = await request(emulator.app).get(`/connect/authorize?${badScope}`).expect(302);
    const location = new URL(bounced.headers.location as string);
    assert.equal(location.searchParams.get('error'), 'invalid_scope');
    assert.equal(location.searchParams.get('state'), 'q');
  });
});
