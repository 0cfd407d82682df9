import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { createOrganisation } from '../../../server/domain/organisations';
import { changeRole, createUser, disableUser, enableUser, findUserByEmail, findUserForLogin, hasAnyAdmin, listUsers } from '../../../server/auth/users';
import { authenticateBearer, createApiToken, listApiTokens, revokeApiToken } from '../../../server/auth/apiTokens';
import { verifyPassword } from '../../../server/auth/passwords';
import { ConflictError, ValidationError } from '../../../server/errors';

const PASSWORD = 'a perfectly fine password';

for (const kind of dbKinds()) {
  describe(`users and API tokens (${kind})`, () => {
    let t: TestDatabase;
    let orgId: number;
    let otherOrgId: number;
    before(async () => {
      t = await createTestDatabase(kind);
      orgId = (await createOrganisation(t.db, { name: 'Gym' })).id;
      otherOrgId = (await createOrganisation(t.db, { name: 'Other' })).id;
    });
    after(async () => t.destroy());

    test('createUser lower-cases the email, stores only a hash, and refuses a duplicate clearly', async () => {
      assert.equal(await hasAnyAdmin(t.db), false);
      const user = await createUser(t.db, { orgId, email: '  Ada@Example.COM ', name: 'Ada', role: 'admin', password: PASSWORD });
      assert.equal(user.email, 'ada@example.com');
      assert.equal(await hasAnyAdmin(t.db), true);
      const stored = await findUserForLogin(t.db, 'ADA@example.com');
      assert.ok(stored && stored.passwordHash !== PASSWORD && (await verifyPassword(PASSWORD, stored.passwordHash)));
      await assert.rejects(createUser(t.db, { orgId: otherOrgId, email: 'ada@EXAMPLE.com', role: 'staff', password: PASSWORD }), (err: unknown) => {
        assert.ok(err instanceof ConflictError);
        // Neutral: the admin of another organisation learns nothing about who holds the email.
        assert.doesNotMatch(err.message, /already exists|ada@example\.com/);
        assert.match(err.message, /cannot be used for a new user/);
        return true;
      });
    });

    test('names with control characters are refused for users, organisations and tokens (U+0000 broke PostgreSQL)', async () => {
      await assert.rejects(createUser(t.db, { orgId, email: 'nul@example.com', name: 'Nul\u0000l', role: 'staff', password: PASSWORD }),
        (err: unknown) => err instanceof ValidationError && err.issues[0]?.path === 'name' && /control characters/.test(err.issues[0].message));
      await assert.rejects(createOrganisation(t.db, { name: 'Gym\u0000' }), (err: unknown) => err instanceof ValidationError && err.issues[0]?.path === 'name');
      await assert.rejects(createApiToken(t.db, { orgId, role: 'staff', name: 'till\u0007' }), (err: unknown) => err instanceof ValidationError && err.issues[0]?.path === 'name');
      assert.equal(await findUserByEmail(t.db, 'nul@example.com'), null);
    });

    test('createUser validates role, email and password together with field paths', async () => {
      await assert.rejects(createUser(t.db, { orgId, email: 'not-an-email', role: 'owner', password: 'short' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        const paths = err.issues.map((i) => i.path).sort();
        assert.deepEqual(paths, ['email', 'role']);
        return true;
      });
      await assert.rejects(createUser(t.db, { orgId, email: 'bob@example.com', role: 'staff', password: 'short' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.equal(err.issues[0]?.path, 'password');
        return true;
      });
      assert.equal(await findUserByEmail(t.db, 'bob@example.com'), null);
    });

    test('the last active admin can be neither demoted nor disabled; with a second admin both work', async () => {
      const ada = (await findUserByEmail(t.db, 'ada@example.com'))!;
      await assert.rejects(changeRole(t.db, orgId, ada.id, 'staff'), (err: unknown) => err instanceof ConflictError && err.code === 'LAST_ADMIN');
      await assert.rejects(disableUser(t.db, orgId, ada.id), (err: unknown) => err instanceof ConflictError && err.code === 'LAST_ADMIN');
      // An admin of ANOTHER organisation does not count.
      await createUser(t.db, { orgId: otherOrgId, email: 'zed@example.com', role: 'admin', password: PASSWORD });
      await assert.rejects(changeRole(t.db, orgId, ada.id, 'staff'), ConflictError);

      const grace = await createUser(t.db, { orgId, email: 'grace@example.com', role: 'staff', password: PASSWORD });
      await changeRole(t.db, orgId, grace.id, 'admin');
      assert.equal((await changeRole(t.db, orgId, ada.id, 'accountant')).role, 'accountant');
      await assert.rejects(disableUser(t.db, orgId, grace.id), ConflictError, 'grace is now the only admin');
      await assert.rejects(changeRole(t.db, orgId, grace.id, 'superuser'), ValidationError);
      // Not visible across organisations.
      await assert.rejects(disableUser(t.db, otherOrgId, grace.id), /not found/);
    });

    test('two admins disabling (or demoting) each other at the same moment: one wins, the organisation keeps an admin', async () => {
      const raceOrg = (await createOrganisation(t.db, { name: 'Race' })).id;
      for (const [round, act] of [['disable', disableUser], ['demote', (db: typeof t.db, o: number, id: number) => changeRole(db, o, id, 'staff')]] as const) {
        const one = await createUser(t.db, { orgId: raceOrg, email: `one-${round}@example.com`, role: 'admin', password: PASSWORD });
        const two = await createUser(t.db, { orgId: raceOrg, email: `two-${round}@example.com`, role: 'admin', password: PASSWORD });
        const results = await Promise.allSettled([act(t.db, raceOrg, one.id), act(t.db, raceOrg, two.id)]);
        const refused = results.filter((r) => r.status === 'rejected');
        assert.equal(refused.length, 1, `${round}: exactly one refused`);
        assert.equal(((refused[0] as PromiseRejectedResult).reason as ConflictError).code, 'LAST_ADMIN');
        const activeAdmins = (await listUsers(t.db, raceOrg)).filter((u) => u.role === 'admin' && u.disabledAt === null);
        assert.equal(activeAdmins.length, 1, `${round}: one active admin remains`);
        // Leave no admin of this round behind for the next one to count on.
        await t.db('users').where({ org_id: raceOrg }).update({ role: 'staff', disabled_at: Date.now() });
      }
    });

    test('disable and enable; listUsers is per organisation', async () => {
      const bob = await createUser(t.db, { orgId, email: 'bob@example.com', role: 'staff', password: PASSWORD });
      assert.ok((await disableUser(t.db, orgId, bob.id)).disabledAt);
      assert.ok((await findUserByEmail(t.db, 'bob@example.com'))!.disabledAt);
      assert.equal((await enableUser(t.db, orgId, bob.id)).disabledAt, null);
      const emails = (await listUsers(t.db, orgId)).map((u) => u.email);
      assert.ok(emails.includes('bob@example.com') && !emails.includes('zed@example.com'));
    });

    test('API tokens: shown once, stored hashed, authenticate until revoked', async () => {
      const { token, id } = await createApiToken(t.db, { orgId, role: 'staff', name: 'booking system' });
      assert.match(token, /^lb_[A-Za-z0-9_-]{43}$/);
      const row = await t.db('api_tokens').where({ id }).first();
      assert.notEqual(row.token_hash, token);
      assert.ok(!JSON.stringify(row).includes(token.slice(3)), 'the secret part is not stored');
      assert.equal(row.token_prefix, token.slice(0, 11));

      const principal = await authenticateBearer(t.db, token);
      assert.deepEqual(principal, { kind: 'token', id, orgId, role: 'staff', name: 'booking system' });
      assert.equal(await authenticateBearer(t.db, token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A')), null);
      assert.equal(await authenticateBearer(t.db, 'garbage'), null);

      assert.deepEqual((await listApiTokens(t.db, orgId)).map((x) => x.id), [id]);
      await assert.rejects(revokeApiToken(t.db, id, otherOrgId), /not found/);
      await revokeApiToken(t.db, id, orgId);
      assert.equal(await authenticateBearer(t.db, token), null);
      assert.deepEqual(await listApiTokens(t.db, orgId), []);
    });

    test('last_used_at is written at most once a minute', async () => {
      const { token, id } = await createApiToken(t.db, { orgId, role: 'accountant', name: 'reports' });
      const t0 = 1_700_000_000_000;
      await authenticateBearer(t.db, token, t0);
      await authenticateBearer(t.db, token, t0 + 30_000);
      assert.equal(Number((await t.db('api_tokens').where({ id }).first()).last_used_at), t0);
      await authenticateBearer(t.db, token, t0 + 61_000);
      assert.equal(Number((await t.db('api_tokens').where({ id }).first()).last_used_at), t0 + 61_000);
    });

    test('hasAnyAdmin counts disabled admins too, so first-run setup never reopens', async () => {
      await t.db('users').where({ role: 'admin' }).update({ disabled_at: Date.now() });
      try {
        assert.equal(await hasAnyAdmin(t.db), true);
      } finally {
        await t.db('users').where({ role: 'admin' }).update({ disabled_at: null });
      }
    });

    test('token input is validated', async () => {
      await assert.rejects(createApiToken(t.db, { orgId, role: 'root', name: ' ' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues.map((i) => i.path).sort(), ['name', 'role']);
        return true;
      });
    });
  });
}
