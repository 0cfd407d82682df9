// One refresh at a time across workers: four separate knex instances (each its own pool and secret box,
// as four processes would have) ask for a token that is about to expire at the same moment. Exactly one
// refresh reaches Xero (the emulator's call log), nobody gets invalid_grant, all four get the same new
// token. The winner's refresh is slowed down so the others really have to wait at the row lease. Also:
// a lease left by a crashed worker is taken over once it lapses. SQLite, and PostgreSQL with TEST_PG_URL.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import { createDb } from '../../../server/db/knex';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock, standaloneConnectionDeps } from '../../support/xero';
import { getLiveConnection } from '../../../plugins/xero/connection/store';
import { ensureAccessToken } from '../../../plugins/xero/connection/oauth2/tokenManager';
import type { ConnectionDeps } from '../../../plugins/xero/connection/deps';
import { callsSince, connectOneTenant, grantsIn, lastCallSeq, oauth2World, tokensOf, type OAuth2World } from '../../e2e/xero/oauth2Flow';

const MINUTE = 60_000;
const WORKERS = 4;

/** Four "processes": their own knex pools and secret boxes on the same database and master key. */
function workerDeps(world: OAuth2World): { deps: ConnectionDeps[]; close(): Promise<void> } {
  const dbs = Array.from({ length: WORKERS }, () => createDb(world.x.t.config));
  // The MASTER_KEY bootXeroApp uses, and Xero's (the emulator's) clock.
  const deps = dbs.map((db) => standaloneConnectionDeps(db, world.x.ctx.config, { now: () => world.emu.emulator.clock.now() }));
  return { deps, close: async () => void (await Promise.all(dbs.map((db) => db.destroy()))) };
}

for (const kind of dbKinds()) {
  describe(`Xero token refresh across ${WORKERS} workers (${kind})`, () => {
    it('exactly one refresh reaches Xero, zero invalid_grant, and all four get the same new token — three rounds', async () => {
      const world = await oauth2World(kind);
      const workers = workerDeps(world);
      try {
        const { connection } = await connectOneTenant(world);
        let previous = (await tokensOf(world, connection)).access;
        for (let round = 1; round <= 3; round++) {
          await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
          // Hold the winner's refresh for 400 ms so every other worker finds the lease taken.
          await request(world.emu.url).post('/_emulator/faults').send({ path: '/connect/token', kind: 'slow', delayMs: 400, count: 1 }).expect(201);
          const since = await lastCallSeq(world);
          const row = (await getLiveConnection(world.x.host.deps.db, world.org.orgId))!;
          const tokens = await Promise.all(workers.deps.map((deps) => ensureAccessToken(deps, row)));

          const calls = await callsSince(world, since);
          const refreshes = grantsIn(calls, 'refresh_token');
          assert.equal(refreshes.length, 1, `round ${round}: one refresh request, not ${refreshes.length}`);
          assert.ok(calls.every((c) => c.status < 400), `round ${round}: no refused call (invalid_grant): ${calls.map((c) => c.status).join(',')}`);
          assert.equal(new Set(tokens).size, 1, `round ${round}: all workers share the new token`);
          assert.notEqual(tokens[0], previous);
          const after = (await getLiveConnection(world.x.host.deps.db, world.org.orgId))!;
          assert.equal(after.token_version, row.token_version + 1);
          assert.equal(after.refresh_lock_owner, null);
          assert.equal((await tokensOf(world, after)).access, tokens[0]);
          previous = tokens[0]!;
        }
        // The token works.
        await request(world.emu.url).get('/connections').set('Authorization', `Bearer ${previous}`).expect(200);
      } finally {
        await workers.close();
        await world.close();
      }
    });

    it('a lease left by a crashed worker is honoured until it lapses, then taken over', async () => {
      const world = await oauth2World(kind);
      const workers = workerDeps(world);
      try {
        const { connection } = await connectOneTenant(world);
        await advanceEmulatorClock(world.emu.url, 29 * MINUTE);
        const lapseAt = world.emu.emulator.clock.now() + 600;
        await world.x.host.deps.db('xero_connections').where({ id: connection.id }).update({ refresh_lock_owner: 'crashed-worker', refresh_lock_until: lapseAt });
        const since = await lastCallSeq(world);
        const started = Date.now();
        const tokens = await Promise.all(workers.deps.map((deps) => ensureAccessToken(deps, connection)));
        assert.ok(Date.now() - started >= 500, 'they waited for the lease to lapse');
        assert.equal(new Set(tokens).size, 1);
        assert.equal(grantsIn(await callsSince(world, since), 'refresh_token').length, 1);
        const after = (await getLiveConnection(world.x.host.deps.db, world.org.orgId))!;
        assert.equal(after.token_version, connection.token_version + 1);
        assert.equal(after.refresh_lock_owner, null);
      } finally {
        await workers.close();
        await world.close();
      }
    });
  });
}
