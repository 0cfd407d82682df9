// "Connect to Xero" end to end: the real app (bootHost + createApp) with the Xero plugin, the Xero
// emulator on a real port, the admin logged in through the real form. Consent through Xero's HTML pages
// or the control API's shortcut for the very request our start route made. SQLite, and PostgreSQL when
// TEST_PG_URL is set.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn, postForm } from '../../support/xero';
import { getLiveConnection, listConnections } from '../../../plugins/xero/connection/store';
import { codeVerifierPurpose } from '../../../plugins/xero/connection/oauth2/states';
import {
  CONNECTION_PAGE, callsSince, connectOneTenant, consentShortcut, consentThroughPages, followCallback, lastCallSeq,
  oauth2World, startConsent, tokensOf, type OAuth2World,
} from './oauth2Flow';

for (const kind of dbKinds()) {
  describe(`Connect to Xero with OAuth2 (${kind})`, () => {
    let world: OAuth2World;
    before(async () => {
      world = await oauth2World(kind, { captureLogs: true });
    });
    after(async () => {
      await world?.close();
    });

    const db = () => world.x.host.deps.db;
    const resetConnections = async () => {
      await db()('xero_connections').delete();
      await db()('xero_oauth_states').delete();
    };

    it('one organisation: consent on Xero\'s pages → callback → connected, with the granted scopes, tokens sealed', async () => {
      await resetConnections();
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, admin);
      const scopes = consent.scope.split(' ');
      for (const s of ['openid', 'offline_access', 'accounting.invoices', 'accounting.payments', 'accounting.banktransactions', 'accounting.contacts', 'accounting.settings.read', 'accounting.attachments', 'accounting.manualjournals']) {
        assert.ok(scopes.includes(s), `asks for ${s}`);
      }
      assert.ok(!scopes.includes('accounting.transactions'), 'granular scopes by default');
      const uk = world.tenants[0]!;
      const res = await followCallback(admin, await consentThroughPages(world, consent, [uk.tenantId]));
      assert.equal(res.status, 303, res.text.slice(0, 300));
      assert.equal(res.headers.location, CONNECTION_PAGE);

      const row = (await getLiveConnection(db(), world.org.orgId))!;
      assert.equal(row.mode, 'oauth2');
      assert.equal(row.status, 'connected');
      assert.equal(row.tenant_id, uk.tenantId);
      assert.equal(row.tenant_name, uk.name);
      assert.equal(row.tenant_currency, 'GBP');
      assert.equal(row.short_code, uk.shortCode, 'the organisation\'s ShortCode, for deep links that open it');
      assert.ok(row.xero_connection_id);
      assert.ok(row.scopes?.split(' ').includes('accounting.invoices'));
      assert.ok(row.access_expires_at && row.refresh_issued_at && row.last_success_at);
      assert.equal(typeof row.rate_min_remaining, 'number', 'the test call\'s rate headroom is recorded');
      assert.equal(row.created_by, world.org.emails.admin);

      const { access, refresh } = await tokensOf(world, row);
      assert.ok(access && refresh);
      assert.ok(!row.access_token_sealed!.includes(access!.slice(0, 40)), 'the access token is not stored in clear');
      assert.ok(!row.refresh_token_sealed!.includes(refresh!), 'the refresh token is not stored in clear');
      const state = await db()('xero_oauth_states').where({ state: consent.state }).first();
      assert.ok(state.used_at, 'the state is spent');

      const page = await admin.get(CONNECTION_PAGE).expect(200);
      assert.match(page.text, new RegExp(`Connected to ${uk.name.replace(/[()]/g, '\\$&')}`));
      assert.match(page.text, /accounting\.invoices/);
      assert.ok(!page.text.includes(access!) && !page.text.includes(refresh!), 'no token on the page');
    });

    it('several organisations: the admin picks one on our page; only a listed organisation is accepted', async () => {
      await resetConnections();
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, admin);
      const [uk, us] = [world.tenants[0]!, world.tenants[1]!];
      const res = await followCallback(admin, await consentShortcut(world, consent, { tenantIds: [uk.tenantId, us.tenantId] }));
      assert.equal(res.status, 303);
      assert.equal(res.headers.location, '/plugins/xero/oauth2/tenants');
      const pending = (await getLiveConnection(db(), world.org.orgId))!;
      assert.equal(pending.status, 'choosing_tenant');
      assert.equal(pending.tenant_id, null);

      const choice = await admin.get('/plugins/xero/oauth2/tenants').expect(200);
      assert.match(choice.text, new RegExp(uk.name.replace(/[()]/g, '\\$&')));
      assert.match(choice.text, new RegExp(us.name.replace(/[()]/g, '\\$&')));

      const bogus = await postForm(admin, '/plugins/xero/oauth2/tenants', '/plugins/xero/oauth2/tenants', { tenantId: '00000000-0000-0000-0000-000000000000' });
      assert.equal(bogus.status, 422);
      assert.equal((await getLiveConnection(db(), world.org.orgId))!.status, 'choosing_tenant');

      const picked = await postForm(admin, '/plugins/xero/oauth2/tenants', '/plugins/xero/oauth2/tenants', { tenantId: us.tenantId });
      assert.equal(picked.status, 303, picked.text.slice(0, 300));
      const row = (await getLiveConnection(db(), world.org.orgId))!;
      assert.equal(row.status, 'connected');
      assert.equal(row.tenant_id, us.tenantId);
      assert.equal(row.tenant_name, us.name);
      assert.equal(row.tenant_currency, 'USD');
      assert.equal(row.pending_tenants, null);
      assert.ok(row.xero_connection_id);
      const page = await admin.get(CONNECTION_PAGE).expect(200);
      assert.match(page.text, new RegExp(`Connected to ${us.name.replace(/[()]/g, '\\$&')}`));
    });

    it('consent denied: a clear message, nothing stored', async () => {
      await resetConnections();
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, admin);
      const back = await consentThroughPages(world, consent, [], 'deny');
      assert.equal(back.searchParams.get('error'), 'access_denied');
      const res = await followCallback(admin, back);
      assert.equal(res.status, 400);
      assert.match(res.text, /Access to Xero was not allowed/);
      assert.equal((await listConnections(db(), world.org.orgId)).length, 0);
    });

    it('state mismatch: an unknown state, a spent state and another admin\'s state are refused; nothing stored', async () => {
      await resetConnections();
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, admin);
      const redirect = await consentShortcut(world, consent);

      const forged = new URL(redirect);
      forged.searchParams.set('state', 'forged-state');
      const refused = await followCallback(admin, forged);
      assert.equal(refused.status, 400);
      assert.match(refused.text, /does not match a connection request/);
      assert.equal((await listConnections(db(), world.org.orgId)).length, 0);

      // A second admin (same organisation) cannot complete the first admin's request.
      const { createUser } = await import('../../../server/auth/users');
      await createUser(db(), { orgId: world.org.orgId, email: 'second-admin@riverside.test', name: 'Second admin', role: 'admin', password: 'xero test password 1' });
      const other = await logIn(world.x.app, 'second-admin@riverside.test');
      const stolen = await followCallback(other, redirect);
      assert.equal(stolen.status, 400);
      assert.match(stolen.text, /started by someone else/);
      assert.equal((await listConnections(db(), world.org.orgId)).length, 0);

      // The rightful admin still finishes, once; a replay is refused.
      assert.equal((await followCallback(admin, redirect)).status, 303);
      const replay = await followCallback(admin, redirect);
      assert.equal(replay.status, 400);
      assert.match(replay.text, /already completed/);
      assert.equal((await listConnections(db(), world.org.orgId)).length, 1);
    });

    it('a tampered PKCE verifier is refused by Xero and nothing is stored', async () => {
      await resetConnections();
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const consent = await startConsent(world, admin);
      const sealed = await world.x.deps.secrets.seal(db(), world.org.orgId, codeVerifierPurpose(consent.state), 'A'.repeat(43));
      await db()('xero_oauth_states').where({ state: consent.state }).update({ code_verifier_sealed: sealed });
      const res = await followCallback(admin, await consentShortcut(world, consent));
      assert.equal(res.status, 400);
      assert.match(res.text, /Xero did not accept the authorisation/);
      assert.match(res.text, /invalid_grant/);
      assert.equal((await listConnections(db(), world.org.orgId)).length, 0);
    });

    it('only admins: staff cannot start, call back or pick; another organisation never sees the pending choice', async () => {
      await resetConnections();
      const staff = await logIn(world.x.app, world.org.emails.staff);
      const page = await staff.get('/login');
      const token = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1];
      assert.equal((await staff.post('/plugins/xero/oauth2/start').type('form').send({ _csrf: token })).status, 403);
      assert.equal((await staff.get('/plugins/xero/oauth2/callback?state=x&code=y')).status, 403);
      assert.equal((await staff.get('/plugins/xero/oauth2/tenants')).status, 403);
      assert.equal((await staff.post('/plugins/xero/disconnect').type('form').send({ _csrf: token })).status, 403);

      // CSRF: a POST without the token changes nothing.
      const admin = await logIn(world.x.app, world.org.emails.admin);
      assert.equal((await admin.post('/plugins/xero/oauth2/start').type('form').send({})).status, 403);
      assert.equal(await db()('xero_oauth_states').count({ n: '*' }).first().then((r) => Number(r?.n)), 0);

      const consent = await startConsent(world, admin);
      await followCallback(admin, await consentShortcut(world, consent, { tenantIds: world.tenants.map((t) => t.tenantId) }));
      const { seedOrg } = await import('../../support/xero');
      const otherOrg = await seedOrg(db(), 'Harbour Gym');
      const otherAdmin = await logIn(world.x.app, otherOrg.emails.admin);
      const theirs = await otherAdmin.get('/plugins/xero/oauth2/tenants');
      assert.equal(theirs.status, 303, 'no pending choice in their organisation');
      const pick = await postForm(otherAdmin, CONNECTION_PAGE, '/plugins/xero/oauth2/tenants', { tenantId: world.tenants[0]!.tenantId });
      assert.equal(pick.status, 409);
      assert.equal((await getLiveConnection(db(), world.org.orgId))!.status, 'choosing_tenant');
      assert.equal(await getLiveConnection(db(), otherOrg.orgId), undefined);
    });

    it('disconnect: the connection is removed and the token revoked at Xero, then ended here with who did it', async () => {
      await resetConnections();
      const { agent, connection } = await connectOneTenant(world);
      const { access } = await tokensOf(world, connection);
      const since = await lastCallSeq(world);
      const res = await postForm(agent, CONNECTION_PAGE, '/plugins/xero/disconnect');
      assert.equal(res.status, 303);
      const calls = await callsSince(world, since);
      assert.ok(calls.some((c) => c.method === 'DELETE' && new URL(c.url).pathname === `/connections/${connection.xero_connection_id}` && c.status === 204), 'DELETE /connections/{id}');
      assert.ok(calls.some((c) => c.method === 'POST' && new URL(c.url).pathname === '/connect/revocation' && c.status === 200), 'revocation');
      const ended = (await listConnections(db(), world.org.orgId))[0]!;
      assert.equal(ended.status, 'ended');
      assert.equal(ended.end_reason, `disconnected by ${world.org.emails.admin}`);
      assert.equal(await getLiveConnection(db(), world.org.orgId), undefined);
      // The old token no longer opens Xero.
      assert.equal((await request(world.emu.url).get('/connections').set('Authorization', `Bearer ${access}`)).status, 401);
      const page = await agent.get(CONNECTION_PAGE).expect(200);
      assert.match(page.text, /Disconnected from/);
    });

    it('never writes a token, code, verifier or client secret to the logs', async () => {
      const lines = world.x.logs.join('\n');
      assert.ok(lines.length > 0, 'the app logged something');
      const rows = await db()('xero_connections').select('*');
      for (const row of rows) {
        const { access, refresh } = await tokensOf(world, { ...row, id: Number(row.id), org_id: Number(row.org_id) });
        for (const secret of [access, refresh]) if (secret) assert.ok(!lines.includes(secret), 'a token reached the logs');
      }
      assert.ok(!lines.includes(world.client.clientSecret), 'the client secret reached the logs');
      const calls = await callsSince(world);
      for (const call of calls) {
        const code = new URLSearchParams(call.body ?? '').get('code');
        if (code) assert.ok(!lines.includes(code), 'an authorisation code reached the logs');
        const verifier = new URLSearchParams(call.body ?? '').get('code_verifier');
        if (verifier) assert.ok(!lines.includes(verifier), 'a PKCE verifier reached the logs');
      }
    });
  });
}
