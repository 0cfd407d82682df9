// The second factor in the database, on SQLite and PostgreSQL: the TOTP secret (pending and enrolled) is
// only ever stored sealed, recovery codes only hashed; a code is accepted once even when two requests race
// with it; a recovery code works once; an organisation's key rotation re-seals the secrets (the host's
// own sealed columns are in the registry the CLI builds) and codes keep working; the CLI reset clears all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Command } from 'commander';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { createSecretBox, rotateOrgDataKey, SecretUnreadableError, type SecretBox } from '../../../server/secrets';
import { HOST_SEALED_COLUMNS } from '../../../server/secrets/hostColumns';
import { pluginMigrationOwners, sealedColumnsOf } from '../../../server/plugins/registry';
import { installedPlugins } from '../../../server/plugins/installed';
import { createOrganisation } from '../../../server/domain/organisations';
import { createUser } from '../../../server/auth/users';
import { loadConfig } from '../../../server/config';
import { createLogger } from '../../../server/logger';
import { registerUserCommands } from '../../../server/cli/users';
import { totpCodeAt } from '../../../server/auth/twoFactor/totp';
import {
  CodeRefusedError,
  checkSecondFactor,
  confirmEnrolment,
  disableTwoFactor,
  getTwoFactorState,
  hasSecondFactor,
  mustEnrolTwoFactor,
  pendingSecret,
  regenerateRecoveryCodes,
  setRequiresAdminTwoFactor,
  startEnrolment,
  type TwoFactorUser,
} from '../../../server/auth/twoFactor/store';
import { ConflictError } from '../../../server/errors';

const PASSWORD = 'integration password 1';
const T0 = 1_900_000_000_000;
const STEP = 30_000;

for (const kind of dbKinds()) {
  describe(`two-factor store (${kind})`, () => {
    let t: TestDatabase;
    let box: SecretBox;
    let deps: { db: TestDatabase['db']; secrets: SecretBox };
    let orgA: number;
    let orgB: number;
    let seq = 0;

    before(async () => {
      // The installed plugins' tables too: the rotation below walks every registered sealed column.
      t = await createTestDatabase(kind, pluginMigrationOwners(installedPlugins));
      box = createSecretBox({ masterKey: randomBytes(32) });
      deps = { db: t.db, secrets: box };
      orgA = (await createOrganisation(t.db, { name: 'Alpha' })).id;
      orgB = (await createOrganisation(t.db, { name: 'Bravo' })).id;
    });
    after(async () => t.destroy());

    async function newUser(orgId: number, role: 'admin' | 'staff' = 'staff'): Promise<TwoFactorUser> {
      seq += 1;
      const user = await createUser(t.db, { orgId, email: `user${seq}@example.com`, role, password: PASSWORD });
      return { id: user.id, orgId, role };
    }

    /** A user with two-factor on, enrolled at T0; returns the secret and the recovery codes. */
    async function enrolled(orgId = orgA, role: 'admin' | 'staff' = 'staff') {
      const user = await newUser(orgId, role);
      const secret = await startEnrolment(deps, user);
      const codes = await confirmEnrolment(deps, user, totpCodeAt(secret, T0), T0);
      return { user, secret, codes };
    }

    const rawRow = async (userId: number) => (await t.db('users').where({ id: userId }).first()) as Record<string, unknown>;

    test('the pending secret and the enrolled one are stored sealed, never in clear; recovery codes only hashed', async () => {
      const user = await newUser(orgA);
      const secret = await startEnrolment(deps, user);
      assert.match(secret, /^[A-Z2-7]{32}$/);
      const pending = await rawRow(user.id);
      assert.match(String(pending.totp_pending_secret), /^v1\./, 'an envelope of the secret box');
      assert.ok(!String(pending.totp_pending_secret).includes(secret));
      assert.equal(pending.totp_secret, null);
      assert.equal(await hasSecondFactor(t.db, user.id), false, 'not on until a code confirms it');
      assert.equal(await pendingSecret(deps, user), secret);

      const codes = await confirmEnrolment(deps, user, totpCodeAt(secret, T0), T0);
      assert.equal(codes.length, 10);
      const row = await rawRow(user.id);
      assert.match(String(row.totp_secret), /^v1\./);
      assert.ok(!String(row.totp_secret).includes(secret));
      assert.equal(row.totp_pending_secret, null);
      assert.equal(Number(row.totp_enabled_at), T0);
      assert.equal(await hasSecondFactor(t.db, user.id), true);
      const stored = await t.db('two_factor_recovery_codes').where({ user_id: user.id });
      assert.equal(stored.length, 10);
      const everything = JSON.stringify([row, stored]);
      for (const code of codes) assert.ok(!everything.includes(code) && !everything.includes(code.replace(/-/g, '')), 'no recovery code in clear');
      assert.ok(!everything.toLowerCase().includes(secret.toLowerCase()));

      // The sealed value is bound to its row: copied to another user it does not open.
      const other = await newUser(orgA);
      await t.db('users').where({ id: other.id }).update({ totp_secret: row.totp_secret, totp_enabled_at: T0 });
      await assert.rejects(checkSecondFactor(deps, other, totpCodeAt(secret, T0 + STEP), T0 + STEP), SecretUnreadableError);
    });

    test('enrolment needs a code from the new secret; a wrong one changes nothing', async () => {
      const user = await newUser(orgA);
      await assert.rejects(confirmEnrolment(deps, user, '123456', T0), (err: unknown) => err instanceof ConflictError, 'nothing started');
      const secret = await startEnrolment(deps, user);
      const before = await rawRow(user.id);
      await assert.rejects(confirmEnrolment(deps, user, '12345', T0), (err: unknown) => err instanceof CodeRefusedError && /6-digit/.test(err.issues[0]!.message));
      const wrong = totpCodeAt(secret, T0 + 10 * STEP);
      if (wrong !== totpCodeAt(secret, T0) && wrong !== totpCodeAt(secret, T0 - STEP) && wrong !== totpCodeAt(secret, T0 + STEP)) {
        await assert.rejects(confirmEnrolment(deps, user, wrong, T0), CodeRefusedError);
      }
      assert.deepEqual(await rawRow(user.id), before);
      assert.equal((await t.db('two_factor_recovery_codes').where({ user_id: user.id })).length, 0);
      // Starting again replaces the secret being set up; the old one's codes no longer confirm.
      const second = await startEnrolment(deps, user);
      assert.notEqual(second, secret);
      await assert.rejects(confirmEnrolment(deps, user, totpCodeAt(secret, T0), T0), CodeRefusedError);
      await confirmEnrolment(deps, user, totpCodeAt(second, T0), T0);
      await assert.rejects(startEnrolment(deps, user), (err: unknown) => err instanceof ConflictError && /already on/.test(err.message));
    });

    test('a code is accepted once; the same code again, or an older one, is refused', async () => {
      const { user, secret } = await enrolled();
      const now = T0 + 5 * STEP;
      assert.deepEqual(await checkSecondFactor(deps, user, totpCodeAt(secret, now), now), { ok: true, method: 'code', recoveryCodesLeft: 10 });
      assert.deepEqual(await checkSecondFactor(deps, user, totpCodeAt(secret, now), now + 1000), { ok: false, reason: 'replayed' });
      assert.deepEqual(await checkSecondFactor(deps, user, totpCodeAt(secret, now - STEP), now), { ok: false, reason: 'replayed' });
      // Clock drift: the next step's code (a phone running fast) is fine once.
      assert.equal((await checkSecondFactor(deps, user, totpCodeAt(secret, now + STEP), now)).ok, true);
    });

    test('two requests racing with one code: exactly one wins', async () => {
      const { user, secret } = await enrolled();
      const now = T0 + 20 * STEP;
      const code = totpCodeAt(secret, now);
      const results = await Promise.all(Array.from({ length: 4 }, () => checkSecondFactor(deps, user, code, now)));
      assert.equal(results.filter((r) => r.ok).length, 1, JSON.stringify(results));
    });

    test('a recovery code works once, however it is typed, and racing with it gives it to one request', async () => {
      const { user, codes } = await enrolled();
      const [first, second] = codes as [string, string];
      assert.deepEqual(await checkSecondFactor(deps, user, first.toUpperCase(), T0), { ok: true, method: 'recovery code', recoveryCodesLeft: 9 });
      assert.deepEqual(await checkSecondFactor(deps, user, first, T0), { ok: false, reason: 'replayed' });
      const raced = await Promise.all([checkSecondFactor(deps, user, second, T0), checkSecondFactor(deps, user, second.replace(/-/g, ' '), T0)]);
      assert.equal(raced.filter((r) => r.ok).length, 1);
      assert.equal((await getTwoFactorState(t.db, user)).recoveryCodesLeft, 8);
      assert.deepEqual(await checkSecondFactor(deps, user, 'zzzz-zzzz-zzzz-zzzz', T0), { ok: false, reason: 'wrong' });
      // Another user's code is worth nothing here.
      const other = await enrolled();
      assert.deepEqual(await checkSecondFactor(deps, user, other.codes[0]!, T0), { ok: false, reason: 'wrong' });
    });

    test('new recovery codes replace the old ones; turning it off needs a code, and admins cannot where it is required', async () => {
      const { user, secret, codes } = await enrolled();
      await assert.rejects(regenerateRecoveryCodes(deps, user, '000000', T0 + STEP), (err: unknown) => err instanceof CodeRefusedError && err.guessed);
      const fresh = await regenerateRecoveryCodes(deps, user, totpCodeAt(secret, T0 + STEP), T0 + STEP);
      assert.equal(fresh.length, 10);
      assert.deepEqual(await checkSecondFactor(deps, user, codes[0]!, T0), { ok: false, reason: 'wrong' }, 'old codes stopped working');
      assert.equal((await checkSecondFactor(deps, user, fresh[0]!, T0)).ok, true);

      const admin = await enrolled(orgB, 'admin');
      await setRequiresAdminTwoFactor(t.db, orgB, true);
      await assert.rejects(disableTwoFactor(deps, admin.user, totpCodeAt(admin.secret, T0 + STEP), T0 + STEP), (err: unknown) => err instanceof ConflictError && /requires/.test(err.message));
      assert.equal(await hasSecondFactor(t.db, admin.user.id), true);
      // The refused attempt did not use the code up.
      assert.equal((await checkSecondFactor(deps, admin.user, totpCodeAt(admin.secret, T0 + STEP), T0 + STEP)).ok, true);
      await setRequiresAdminTwoFactor(t.db, orgB, false);

      await assert.rejects(disableTwoFactor(deps, user, 'nonsense', T0 + 2 * STEP), (err: unknown) => err instanceof CodeRefusedError && !err.guessed);
      await disableTwoFactor(deps, user, totpCodeAt(secret, T0 + 2 * STEP), T0 + 2 * STEP);
      const row = await rawRow(user.id);
      assert.deepEqual([row.totp_secret, row.totp_pending_secret, row.totp_enabled_at, row.totp_last_step], [null, null, null, null]);
      assert.equal((await t.db('two_factor_recovery_codes').where({ user_id: user.id })).length, 0);
    });

    test("an admin must enrol only where the organisation requires it, and only until they have", async () => {
      const org = (await createOrganisation(t.db, { name: 'Charlie' })).id;
      const admin = await newUser(org, 'admin');
      const staff = await newUser(org, 'staff');
      assert.equal(await mustEnrolTwoFactor(t.db, admin.id), false);
      await setRequiresAdminTwoFactor(t.db, org, true);
      assert.equal(await mustEnrolTwoFactor(t.db, admin.id), true);
      assert.equal(await mustEnrolTwoFactor(t.db, staff.id), false, 'the rule is for admins');
      const secret = await startEnrolment(deps, admin);
      assert.equal(await mustEnrolTwoFactor(t.db, admin.id), true, 'a set-up in progress is not enough');
      await confirmEnrolment(deps, admin, totpCodeAt(secret, T0), T0);
      assert.equal(await mustEnrolTwoFactor(t.db, admin.id), false);
    });

    test("rotating an organisation's data key re-seals its users' secrets (the CLI's registry has them) and codes keep working", async () => {
      const org = (await createOrganisation(t.db, { name: 'Delta' })).id;
      const { user, secret } = await enrolled(org);
      const settingUp = await newUser(org);
      const pending = await startEnrolment(deps, settingUp);
      const other = await enrolled(orgA);
      const otherRow = await rawRow(other.user.id);
      const before = await rawRow(user.id);

      // The same registry `npm run cli -- secrets:rotate-org` uses: the host's columns plus the plugins'.
      const registry = sealedColumnsOf(installedPlugins, HOST_SEALED_COLUMNS);
      assert.ok(registry.list().some((s) => s.table === 'users'), 'the host declares its sealed users columns');
      const result = await rotateOrgDataKey(t.db, box, org, { registry });
      assert.equal(result.resealed['users.totp_secret'], 1);
      assert.equal(result.resealed['users.totp_pending_secret'], 1);

      const after = await rawRow(user.id);
      assert.notEqual(after.totp_secret, before.totp_secret);
      assert.equal(String(after.totp_secret).split('.')[1], result.keyId, 'sealed under the new data key');
      assert.ok(!String(after.totp_secret).includes(secret));
      assert.deepEqual(await rawRow(other.user.id), otherRow, 'another organisation is untouched');
      assert.equal((await checkSecondFactor(deps, user, totpCodeAt(secret, T0 + 3 * STEP), T0 + 3 * STEP)).ok, true);
      assert.equal(await pendingSecret(deps, settingUp), pending);
    });

    test('user:reset-2fa clears the second factor, recovery codes and any set-up, and says what it did', async () => {
      const { user, secret } = await enrolled(orgA);
      const email = ((await t.db('users').where({ id: user.id }).first()) as { email: string }).email;
      const lines: string[] = [];
      const run = async (...args: string[]) => {
        lines.length = 0;
        const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
        const cliDeps = { db: t.db, logger: createLogger({ level: 'silent' }), config: loadConfig({ NODE_ENV: 'test' }) };
        registerUserCommands(program, async () => cliDeps, { out: (l) => lines.push(l), readPassword: async () => PASSWORD });
        await program.parseAsync(['node', 'cli', ...args]);
        return lines.join('\n');
      };
      const out = await run('user:reset-2fa', '--email', email.toUpperCase());
      assert.match(out, new RegExp(`Turned off two-factor login for ${email} \\(user ${user.id}\\) and deleted 10 recovery codes`));
      assert.ok(!out.includes(secret));
      const row = await rawRow(user.id);
      assert.deepEqual([row.totp_secret, row.totp_pending_secret, row.totp_enabled_at, row.totp_last_step], [null, null, null, null]);
      assert.equal((await t.db('two_factor_recovery_codes').where({ user_id: user.id })).length, 0);
      assert.match(await run('user:reset-2fa', '--email', email), /had no two-factor login; nothing to reset/);
      await assert.rejects(run('user:reset-2fa', '--email', 'nobody@example.com'), /nobody@example.com was not found/);
    });
  });
}
