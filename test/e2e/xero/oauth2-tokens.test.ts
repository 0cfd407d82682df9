// Tokens after "Connect to Xero": refresh before expiry with rotation (the old refresh token still answers
// within Xero's 30-minute grace), a stale refresh token after the grace and a refresh token unused for 60
// days (needs re-authorisation, shown on the connection page), access revoked in Xero (the outbox pauses
// the organisation's items; reconnecting resumes them), transient identity failures, custom connections,
// and an install without OAuth2 credentials. Time moves on the emulator's clock, which is also the clock
// our token manager judges expiry by (deps.now). SQLite, and PostgreSQL when TEST_PG_URL is set.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock, logIn, postForm } from '../../support/xero';
import { AuthRevokedError, RetryableError } from '../../../server/errors';
import { startOutboxWorkers } from '../../../server/outbox/worker';
import type { OutboxHandler, PluginContext, PluginDefinition } from '../../../server/plugins/contract';
import type { XeroConfig } from '../../../plugins/xero/config';
import { BearerAuthentication, XeroClient, toWorkerError } from '../../../plugins/xero/gateway/client';
import { clientForConnection } from '../../../plugins/xero/connection/clientFactory';
import { getConnection, getLiveConnection, listConnections } from '../../../plugins/xero/connection/store';
import { ensureAccessToken, withAccessToken } from '../../../plugins/xero/connection/oauth2/tokenManager';
import type { ConnectionDeps } from '../../../plugins/xero/connection/deps';
import {
  CONNECTION_PAGE, callsSince, connectOneTenant, grantsIn, lastCallSeq, oauth2World, tokensOf, type OAuth2World,
} from './oauth2Flow';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

async function organisationName(deps: ConnectionDeps, accessToken: string, tenantId: string): Promise<string | undefined> {
  const client = new XeroClient({ config: deps.config, authentication: new BearerAuthentication(accessToken), tenantId });
  return (await client.call((api, t) => api.getOrganisations(t))).organisations?.[0]?.name;
}

async function refreshWithRaw(world: OAuth2World, refreshToken: string): Promise<request.Response> {
  return request(world.emu.url).post('/connect/token').auth(world.client.clientId, world.client.clientSecret).type('form')
    .send({ grant_type: 'refresh_token', refresh_token: refreshToken });
}

for (const kind of dbKinds()) {
  describe(`Xero OAuth2 tokens (${kind})`, () => {
    it('refreshes before expiry: one rotation, token_version bumps, the old refresh token still works within the grace', async () => {
      const world = await oauth2World(kind);
      try {
        const { connection } = await connectOneTenant(world);
        const before = await tokensOf(world, connection);
        // Fresh for another 30 minutes: no refresh.
        assert.equal(await ensureAccessToken(world.deps, connection), before.access);

        await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
        const since = await lastCallSeq(world);
        const token = await ensureAccessToken(world.deps, connection);
        assert.notEqual(token, before.access);
        const calls = await callsSince(world, since);
        assert.equal(grantsIn(calls, 'refresh_token').length, 1);
        const row = (await getConnection(world.x.host.deps.db, world.org.orgId, connection.id))!;
        assert.equal(row.token_version, connection.token_version + 1);
        assert.equal(row.refresh_lock_owner, null);
        assert.equal(row.status, 'connected');
        const after = await tokensOf(world, row);
        assert.notEqual(after.refresh, before.refresh, 'the refresh token rotated');
        assert.ok(row.access_expires_at! > world.emu.emulator.clock.now() + 25 * MINUTE);
        assert.equal(await organisationName(world.deps, token, row.tenant_id!), row.tenant_name);
        // Now fresh again: the next call reuses it.
        assert.equal(await ensureAccessToken(world.deps, row), token);

        // Xero's grace: the superseded refresh token answers with the same new set for 30 minutes.
        const replay = await refreshWithRaw(world, before.refresh!);
        assert.equal(replay.status, 200);
        assert.equal(replay.body.refresh_token, after.refresh);
      } finally {
        await world.close();
      }
    });

    it('a stale refresh token after the grace period: invalid_grant → needs re-authorisation, shown to the admin', async () => {
      const world = await oauth2World(kind);
      try {
        const { agent, connection } = await connectOneTenant(world);
        const db = world.x.host.deps.db;
        const stale = await db('xero_connections').where({ id: connection.id }).first('refresh_token_sealed');
        await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
        await ensureAccessToken(world.deps, connection); // rotates
        // The row goes back to the superseded refresh token (a restored backup, a lost write) and the
        // grace period passes.
        await db('xero_connections').where({ id: connection.id }).update({ refresh_token_sealed: stale.refresh_token_sealed });
        await advanceEmulatorClock(world.emu.url, 31 * MINUTE);
        const since = await lastCallSeq(world);
        const current = (await getLiveConnection(db, world.org.orgId))!;
        await assert.rejects(ensureAccessToken(world.deps, current), (err: unknown) => err instanceof AuthRevokedError && /invalid_grant/.test(err.message));
        assert.equal(grantsIn(await callsSince(world, since), 'refresh_token').length, 1, 'one attempt, no retry storm');

        const row = (await getLiveConnection(db, world.org.orgId))!;
        assert.equal(row.status, 'needs_reauth');
        assert.match(row.last_error ?? '', /invalid_grant/);
        assert.equal(row.ended_at, null, 'the connection stays live (history and tenant kept)');
        // Every later call fails fast without asking Xero, and the client factory refuses it.
        const quiet = await lastCallSeq(world);
        await assert.rejects(ensureAccessToken(world.deps, row), AuthRevokedError);
        await assert.rejects(clientForConnection(world.deps, row), AuthRevokedError);
        assert.equal((await callsSince(world, quiet)).length, 0);

        const page = await agent.get(CONNECTION_PAGE).expect(200);
        assert.match(page.text, /status-needs_reauth/);
        assert.match(page.text, /invalid_grant/);
      } finally {
        await world.close();
      }
    });

    it('a refresh token unused for 60 days dies: needs re-authorisation', async () => {
      const world = await oauth2World(kind);
      try {
        const { connection } = await connectOneTenant(world);
        await advanceEmulatorClock(world.emu.url, 61 * DAY);
        await assert.rejects(ensureAccessToken(world.deps, connection), AuthRevokedError);
        assert.equal((await getLiveConnection(world.x.host.deps.db, world.org.orgId))!.status, 'needs_reauth');
      } finally {
        await world.close();
      }
    });

    it('a transient identity failure is retryable and changes nothing; the next attempt refreshes', async () => {
      const world = await oauth2World(kind);
      try {
        const { connection } = await connectOneTenant(world);
        await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
        await request(world.emu.url).post('/_emulator/faults').send({ path: '/connect/token', kind: '503', count: 1, delayMs: 1000 }).expect(201);
        await assert.rejects(ensureAccessToken(world.deps, connection), RetryableError);
        const row = (await getLiveConnection(world.x.host.deps.db, world.org.orgId))!;
        assert.equal(row.status, 'connected');
        assert.equal(row.token_version, connection.token_version);
        assert.equal(row.refresh_lock_owner, null, 'the lease is released');
        const token = await ensureAccessToken(world.deps, row);
        assert.equal(await organisationName(world.deps, token, row.tenant_id!), row.tenant_name);
      } finally {
        await world.close();
      }
    });

    it('access revoked in Xero: the next call marks needs_reauth and pauses the outbox item; reconnecting resumes it', async () => {
      // The handler is defined before the world exists (the plugin boots with it); it reads it from here.
      const ref: { world?: OAuth2World } = {};
      const probed: string[] = [];
      // A tiny handler standing in for the sync engine: one Accounting API call through the token manager.
      const probe = (ctx: PluginContext<XeroConfig>): OutboxHandler => ({
        async handle(items) {
          const deps = ref.world!.deps;
          const connection = await getLiveConnection(ctx.db, items[0]!.orgId!);
          if (!connection || connection.status !== 'connected') throw new AuthRevokedError('no working Xero connection');
          try {
            const name = await withAccessToken(deps, connection, (token) => organisationName(deps, token, connection.tenant_id!));
            probed.push(name ?? '');
          } catch (err) {
            throw toWorkerError(err);
          }
          return items.map(() => ({ status: 'done' as const }));
        },
      });
      const { xeroPlugin } = await import('../../../plugins/xero');
      const plugin: PluginDefinition<XeroConfig> = {
        ...xeroPlugin,
        handlers: (ctx) => ({ ...(xeroPlugin.handlers?.(ctx) ?? {}), 'xero.test.probe': probe(ctx) }),
      };
      const world = (ref.world = await oauth2World(kind, { plugins: [plugin as PluginDefinition<unknown>] }));
      const { host } = world.x;
      const workers = startOutboxWorkers({
        db: host.deps.db, handlers: host.deps.plugins.handlers, concurrency: 1, leaseMs: 30_000, pollMs: 50,
        logger: host.deps.logger, notifier: host.notifier,
      });
      const statusOf = async (id: number) => String((await host.deps.db('outbox').where({ id }).first('status')).status);
      const waitForStatus = async (id: number, status: string) => {
        const deadline = Date.now() + 10_000;
        while ((await statusOf(id)) !== status) {
          if (Date.now() > deadline) assert.fail(`item ${id} is ${await statusOf(id)}, expected ${status}`);
          await new Promise((r) => setTimeout(r, 25));
        }
      };
      try {
        const { agent, connection } = await connectOneTenant(world);
        const enqueue = (key: string) => world.x.ctx.outbox.enqueue(host.deps.db, { type: 'xero.test.probe', orgId: world.org.orgId, dedupeKey: key, payload: {} });
        const first = await enqueue('probe-1');
        await waitForStatus(first.id, 'done');

        // The organisation's owner removes the app in Xero (its last connection: the grant ends).
        const { access } = await tokensOf(world, connection);
        await request(world.emu.url).delete(`/connections/${connection.xero_connection_id}`).set('Authorization', `Bearer ${access}`).expect(204);

        const second = await enqueue('probe-2');
        await waitForStatus(second.id, 'paused');
        const row = (await getLiveConnection(host.deps.db, world.org.orgId))!;
        assert.equal(row.status, 'needs_reauth');
        const third = await enqueue('probe-3');
        await waitForStatus(third.id, 'paused');
        const page = await agent.get(CONNECTION_PAGE).expect(200);
        assert.match(page.text, /Sync is paused until the connection is renewed/);

        // Re-authorise: a new connection row, and the paused items run.
        await connectOneTenant(world, agent);
        await waitForStatus(second.id, 'done');
        await waitForStatus(third.id, 'done');
        assert.equal(probed.length, 3);
        const history = await listConnections(host.deps.db, world.org.orgId);
        assert.equal(history.length, 2);
        assert.equal(history[1]!.status, 'ended');
      } finally {
        await workers.stop();
        await world.close();
      }
    });

    it('custom connection: client credentials pasted by the admin, sealed; renewed with client credentials when it expires', async () => {
      const world = await oauth2World(kind);
      try {
        const uk = world.tenants[0]!;
        const custom = (await request(world.emu.url).post('/_emulator/apps').send({ type: 'custom', tenantId: uk.tenantId }).expect(201)).body as { clientId: string; clientSecret: string };
        const admin = await logIn(world.x.app, world.org.emails.admin);

        const wrong = await postForm(admin, CONNECTION_PAGE, '/plugins/xero/oauth2/custom', { clientId: custom.clientId, clientSecret: 'not-the-secret' });
        assert.equal(wrong.status, 422);
        assert.match(wrong.text, /did not accept this client id and secret/);
        assert.ok(!wrong.text.includes('not-the-secret'), 'the secret is not echoed');
        assert.equal(await getLiveConnection(world.x.host.deps.db, world.org.orgId), undefined);

        const res = await postForm(admin, CONNECTION_PAGE, '/plugins/xero/oauth2/custom', { clientId: custom.clientId, clientSecret: custom.clientSecret });
        assert.equal(res.status, 303, res.text.slice(0, 300));
        const row = (await getLiveConnection(world.x.host.deps.db, world.org.orgId))!;
        assert.equal(row.mode, 'custom_connection');
        assert.equal(row.status, 'connected');
        assert.equal(row.tenant_id, uk.tenantId);
        assert.equal(row.tenant_name, uk.name);
        assert.equal(row.consumer_key, custom.clientId);
        assert.equal(row.refresh_token_sealed, null, 'client credentials have no refresh token');
        assert.ok(row.consumer_secret_sealed && !row.consumer_secret_sealed.includes(custom.clientSecret));
        const page = await admin.get(CONNECTION_PAGE).expect(200);
        assert.match(page.text, new RegExp(`Connected to ${uk.name.replace(/[()]/g, '\\$&')}`));
        assert.ok(!page.text.includes(custom.clientSecret));

        await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
        const since = await lastCallSeq(world);
        const client = await clientForConnection(world.deps, row);
        const organisations = await client.call((api, t) => api.getOrganisations(t));
        assert.equal(organisations.organisations?.[0]?.name, uk.name);
        assert.equal(grantsIn(await callsSince(world, since), 'client_credentials').length, 1);
        assert.equal((await getLiveConnection(world.x.host.deps.db, world.org.orgId))!.token_version, 1);

        // Disconnecting a custom connection just ends it here (there is no grant to revoke).
        const quiet = await lastCallSeq(world);
        assert.equal((await postForm(admin, CONNECTION_PAGE, '/plugins/xero/disconnect')).status, 303);
        assert.equal(await getLiveConnection(world.x.host.deps.db, world.org.orgId), undefined);
        assert.equal((await callsSince(world, quiet)).length, 0);
      } finally {
        await world.close();
      }
    });
  });
}

describe('Xero OAuth2 without XERO_CLIENT_ID/SECRET', () => {
  it('the start route explains what to set, and nothing is recorded', async () => {
    const world = await oauth2World('sqlite', { withClient: false });
    try {
      const admin = await logIn(world.x.app, world.org.emails.admin);
      const res = await postForm(admin, CONNECTION_PAGE, '/plugins/xero/oauth2/start');
      assert.equal(res.status, 409);
      assert.match(res.text, /XERO_CLIENT_ID/);
      assert.match(res.text, /XERO_CLIENT_SECRET/);
      assert.equal(Number((await world.x.host.deps.db('xero_oauth_states').count({ n: '*' }).first())?.n), 0);
    } finally {
      await world.close();
    }
  });
});
