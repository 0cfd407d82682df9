// Shared steps of the OAuth2 tests: an emulator with a registered web app, the app booted against it,
// and the admin's path through "Connect to Xero" → Xero's consent (its HTML pages, or the control API's
// shortcut with the very state / code_challenge / nonce our start route sent) → our callback.
import assert from 'node:assert/strict';
import request, { type Response as SuperResponse } from 'supertest';
import type { DbKind } from '../../support/db';
import { bootXeroApp, logIn, postForm, seedOrg, startXeroEmulator, type Agent, type RunningEmulator, type SeededOrg, type XeroTestApp, type XeroTestAppOptions } from '../../support/xero';
import type { ConnectionDeps } from '../../../plugins/xero/connection/deps';
import { getLiveConnection, openConnectionSecret, type ConnectionRow } from '../../../plugins/xero/connection/store';

export const PUBLIC_URL = 'http://books.ledgerbridge.test';
export const REDIRECT_URI = `${PUBLIC_URL}/plugins/xero/oauth2/callback`;
export const CONNECTION_PAGE = '/plugins/xero/connection';
export const DEMO_EMAIL = 'demo@ledgerbridge.test';
export const DEMO_PASSWORD = 'demo-password';

export interface OAuth2World {
  emu: RunningEmulator;
  x: XeroTestApp;
  org: SeededOrg;
  client: { clientId: string; clientSecret: string };
  tenants: { tenantId: string; name: string; shortCode: string }[];
  /** Connection deps whose clock is the emulator's (token expiry is judged on Xero's time). */
  deps: ConnectionDeps;
  close(): Promise<void>;
}

export async function oauth2World(kind: DbKind, opts: Partial<XeroTestAppOptions> & { withClient?: boolean } = {}): Promise<OAuth2World> {
  const emu = await startXeroEmulator();
  const created = await request(emu.url).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: [REDIRECT_URI], name: 'Ledgerbridge' }).expect(201);
  const client = created.body as { clientId: string; clientSecret: string };
  const x = await bootXeroApp(kind, {
    ...opts,
    emulatorUrl: emu.url,
    env: {
      PUBLIC_URL,
      ...(opts.withClient === false ? {} : { XERO_CLIENT_ID: client.clientId, XERO_CLIENT_SECRET: client.clientSecret }),
      ...opts.env,
    },
  });
  const org = await seedOrg(x.host.deps.db, 'Riverside Climbing');
  const tenants = emu.emulator.accounting.listTenants().map((t) => ({ tenantId: t.tenantId, name: t.name, shortCode: t.shortCode }));
  return {
    emu, x, org, client, tenants,
    deps: { ...x.deps, now: () => emu.emulator.clock.now() },
    async close() {
      await x.close();
      await emu.close();
    },
  };
}

export interface ConsentRequest {
  url: URL;
  state: string;
  nonce: string;
  codeChallenge: string;
  scope: string;
}

/** POST "Connect to Xero" (with the page's CSRF token); returns the consent URL we were sent to. */
export async function startConsent(world: OAuth2World, agent: Agent): Promise<ConsentRequest> {
  const res = await postForm(agent, CONNECTION_PAGE, '/plugins/xero/oauth2/start');
  assert.equal(res.status, 303, `start: ${res.status} ${res.text.slice(0, 400)}`);
  const url = new URL(String(res.headers.location));
  assert.equal(url.origin, world.emu.url);
  assert.equal(url.pathname, '/connect/authorize');
  const q = url.searchParams;
  assert.equal(q.get('code_challenge_method'), 'S256');
  assert.equal(q.get('redirect_uri'), REDIRECT_URI);
  return { url, state: q.get('state')!, nonce: q.get('nonce')!, codeChallenge: q.get('code_challenge')!, scope: q.get('scope')! };
}

/** The control API's consent shortcut for the request we started: the URL Xero would redirect back to. */
export async function consentShortcut(world: OAuth2World, consent: ConsentRequest, opts: { tenantIds?: string[]; deny?: boolean } = {}): Promise<URL> {
  const res = await request(world.emu.url)
    .post('/_emulator/consent')
    .send({
      clientId: world.client.clientId, redirectUri: REDIRECT_URI, scope: consent.scope, state: consent.state,
      codeChallenge: consent.codeChallenge, nonce: consent.nonce,
      tenantIds: opts.tenantIds ?? [world.tenants[0]!.tenantId],
      ...(opts.deny ? { deny: true } : {}),
    });
  assert.equal(res.status, 200, res.text);
  return new URL(res.body.redirectUrl as string);
}

/** Xero's own pages: log in as the demo user, tick organisations, allow (or cancel). */
export async function consentThroughPages(world: OAuth2World, consent: ConsentRequest, tenantIds: string[], decision: 'allow' | 'deny' = 'allow'): Promise<URL> {
  const emu = request(world.emu.url);
  const login = await emu.get(`${consent.url.pathname}${consent.url.search}`).expect(200);
  const interaction = (page: SuperResponse) => /name="interaction" value="([^"]+)"/.exec(page.text)?.[1] ?? assert.fail('no interaction id on the page');
  const consentPage = await emu.post('/connect/authorize/login').type('form').send({ interaction: interaction(login), email: DEMO_EMAIL, password: DEMO_PASSWORD }).expect(200);
  for (const id of tenantIds) assert.match(consentPage.text, new RegExp(`value="${id}"`));
  const form = new URLSearchParams({ interaction: interaction(consentPage), decision });
  for (const id of tenantIds) form.append('tenantId', id);
  const back = await emu.post('/connect/authorize/consent').type('form').send(form.toString());
  assert.ok([302, 303].includes(back.status), `consent answered ${back.status}: ${back.text.slice(0, 200)}`);
  return new URL(String(back.headers.location));
}

/** Follow Xero's redirect to our callback (same session). */
export async function followCallback(agent: Agent, redirect: URL): Promise<SuperResponse> {
  assert.equal(`${redirect.origin}${redirect.pathname}`, REDIRECT_URI);
  return agent.get(`${redirect.pathname}${redirect.search}`);
}

/** Log in as the org's admin and connect to the first organisation through the shortcut. */
export async function connectOneTenant(world: OAuth2World, agent?: Agent): Promise<{ agent: Agent; connection: ConnectionRow }> {
  const admin = agent ?? (await logIn(world.x.app, world.org.emails.admin));
  const consent = await startConsent(world, admin);
  const res = await followCallback(admin, await consentShortcut(world, consent));
  assert.equal(res.status, 303, `callback: ${res.status} ${res.text.slice(0, 400)}`);
  assert.equal(res.headers.location, CONNECTION_PAGE);
  const connection = await getLiveConnection(world.x.host.deps.db, world.org.orgId);
  assert.equal(connection?.status, 'connected');
  return { agent: admin, connection: connection! };
}

export async function tokensOf(world: OAuth2World, row: ConnectionRow): Promise<{ access: string | null; refresh: string | null }> {
  return {
    access: await openConnectionSecret(world.x.deps.secrets, world.x.host.deps.db, row, 'access_token_sealed'),
    refresh: await openConnectionSecret(world.x.deps.secrets, world.x.host.deps.db, row, 'refresh_token_sealed'),
  };
}

/** The emulator's call log since `since` (a sequence number). */
export async function callsSince(world: OAuth2World, since = 0): Promise<{ seq: number; method: string; url: string; body: string | null; status: number }[]> {
  const res = await request(world.emu.url).get(`/_emulator/calls?since=${since}`).expect(200);
  return res.body;
}

export async function lastCallSeq(world: OAuth2World): Promise<number> {
  const calls = await callsSince(world);
  return calls.length ? calls[calls.length - 1]!.seq : 0;
}

export const grantsIn = (calls: { url: string; body: string | null; method: string }[], grantType: string) =>
  calls.filter((c) => c.method === 'POST' && new URL(c.url).pathname === '/connect/token' && new URLSearchParams(c.body ?? '').get('grant_type') === grantType);
