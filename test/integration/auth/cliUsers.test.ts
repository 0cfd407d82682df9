import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { registerUserCommands, DEFAULT_ORG_NAME } from '../../../server/cli/users';
import { loadConfig } from '../../../server/config';
import { createLogger } from '../../../server/logger';
import { authenticateBearer } from '../../../server/auth/apiTokens';
import { findUserForLogin } from '../../../server/auth/users';
import { verifyPassword } from '../../../server/auth/passwords';

const PASSWORD = 'piped in from stdin';

for (const kind of dbKinds()) {
  describe(`user/token/org CLI commands (${kind})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind);
    });
    after(async () => t.destroy());

    /** Runs one command line; returns what it printed. */
    async function cli(...args: string[]): Promise<string[]> {
      const lines: string[] = [];
      const program = new Command().exitOverride().configureOutput({ writeErr: () => {} });
      const deps = { db: t.db, logger: createLogger({ level: 'silent' }), config: loadConfig({ NODE_ENV: 'test' }) };
      registerUserCommands(program, async () => deps, { out: (l) => lines.push(l), readPassword: async () => PASSWORD });
      await program.parseAsync(['node', 'cli', ...args]);
      return lines;
    }

    test('user:create on an empty install creates the organisation too, and the user can log in', async () => {
      const out = await cli('user:create', '--role', 'admin', '--email', 'Owner@Example.com');
      assert.match(out[0]!, new RegExp(`Created organisation \\d+ "${DEFAULT_ORG_NAME}"`));
      assert.match(out[1]!, /Created user \d+ owner@example.com \(admin\)/);
      const user = await findUserForLogin(t.db, 'owner@example.com');
      assert.ok(user && (await verifyPassword(PASSWORD, user.passwordHash)));
    });

    test('with one organisation --org may be omitted; with two it is required', async () => {
      await cli('user:create', '--role', 'staff', '--email', 'desk@example.com', '--name', 'Front desk');
      assert.match((await cli('user:list')).join('\n'), /desk@example.com\s+Front desk\s+staff\s+active/);
      await cli('org:create', '--name', 'Second site', '--currency', 'eur', '--timezone', 'Europe/Paris');
      assert.match((await cli('org:list')).join('\n'), /Second site\s+EUR\s+Europe\/Paris/);
      await assert.rejects(cli('user:list'), (err: Error & { issues?: { message: string }[] }) => {
        assert.match(err.issues?.[0]?.message ?? '', /pass --org <id>/);
        return true;
      });
    });

    test('token:create prints the token alone on its last line, and it works until token:revoke', async () => {
      const out = await cli('token:create', '--role', 'staff', '--name', 'booking system', '--org', '1');
      const token = out[out.length - 1]!;
      assert.match(token, /^lb_[A-Za-z0-9_-]{43}$/);
      const principal = await authenticateBearer(t.db, token);
      assert.equal(principal?.role, 'staff');
      await cli('token:revoke', '--id', String(principal!.id));
      assert.equal(await authenticateBearer(t.db, token), null);
    });

    test('bad input fails with a clear error and changes nothing', async () => {
      await assert.rejects(cli('user:create', '--role', 'owner', '--email', 'x@example.com', '--org', '1'), /Invalid --role/);
      await assert.rejects(cli('user:create', '--role', 'staff', '--email', 'desk@example.com', '--org', '1'), /cannot be used for a new user/);
      await assert.rejects(cli('token:create', '--role', 'staff', '--name', 'x', '--org', 'abc'), /Invalid --org/);
      await assert.rejects(cli('org:create', '--name', 'Bad', '--currency', 'XYZ'), (err: Error & { issues?: { message: string }[] }) => {
        assert.match(err.issues?.[0]?.message ?? '', /ISO 4217/);
        return true;
      });
      await assert.rejects(cli('token:revoke', '--id', '999'), /not found/);
      assert.equal(await t.db('users').where({ email: 'x@example.com' }).first(), undefined);
    });
  });
}
