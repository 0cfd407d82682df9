import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { loadConfig, type AppConfig } from '../../../server/config';
import { registerSecretCommands } from '../../../server/cli/secrets';
import { createSecretBox, createSealedColumnRegistry, keyFingerprint, loadMasterKey } from '../../../server/secrets';

for (const kind of dbKinds()) {
  describe(`secrets CLI on ${kind}`, () => {
    let tdb: TestDatabase;
    let dir: string;
    let orgId: number;
    const lines: string[] = [];
    const registry = createSealedColumnRegistry();

    before(async () => {
      tdb = await createTestDatabase(kind);
      dir = mkdtempSync(join(tmpdir(), 'lb-cli-'));
      const [row] = await tdb.db('organisations').insert({ name: 'CLI Org', created_at: Date.now() }).returning('id');
      orgId = typeof row === 'object' ? (row as { id: number }).id : (row as number);
      await tdb.db.schema.createTable('cli_vault', (t) => {
        t.increments('id');
        t.integer('org_id').notNullable();
        t.text('token').nullable();
      });
      registry.register({
        table: 'cli_vault', idColumn: 'id', orgColumn: 'org_id',
        columns: [{ name: 'token', purpose: (r) => `cli_vault.token:${String(r.id)}` }],
      });
    });
    after(async () => {
      await tdb.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    const run = async (config: AppConfig, args: string[], stdin = '') => {
      const program = new Command().exitOverride();
      registerSecretCommands(program, async () => ({ config, db: tdb.db, sealedColumns: registry }), {
        print: (l) => lines.push(l),
        readStdin: async () => stdin,
      });
      lines.length = 0;
      await program.parseAsync(args, { from: 'user' });
      return lines.join('\n');
    };

    test('rotate-master with a key file replaces the file; rotate-org re-seals; secrets never printed', async () => {
      const config = loadConfig({ DATA_DIR: dir, MASTER_KEY_FILE: join(dir, 'master.key') });
      const oldKey = loadMasterKey(config);
      const box = createSecretBox({ masterKey: oldKey });
      const [row] = await tdb.db('cli_vault').insert({ org_id: orgId }).returning('id');
      const id = typeof row === 'object' ? (row as { id: number }).id : (row as number);
      await tdb.db('cli_vault').where({ id }).update({ token: await box.seal(tdb.db, orgId, `cli_vault.token:${id}`, 'tok-123') });

      const newKey = randomBytes(32);
      const newKeyFile = join(dir, 'new.key');
      writeFileSync(newKeyFile, newKey.toString('base64'), { mode: 0o600 });
      const out = await run(config, ['secrets:rotate-master', '--new-key-file', newKeyFile]);
      assert.match(out, new RegExp(`Re-wrapped 1 data key from master key ${keyFingerprint(oldKey)} to ${keyFingerprint(newKey)}`));
      assert.ok(!out.includes(newKey.toString('base64')) && !out.includes(oldKey.toString('base64')));
      assert.deepEqual(Buffer.from(readFileSync(config.masterKeyFile, 'utf8').trim(), 'base64'), newKey);
      assert.equal(statSync(config.masterKeyFile).mode & 0o777, 0o600);

      const sealedBefore = (await tdb.db('cli_vault').where({ id }).first()).token as string;
      const orgOut = await run(config, ['secrets:rotate-org', '--org', String(orgId)]);
      assert.match(orgOut, /Re-sealed cli_vault\.token: 1\./);
      const sealedAfter = (await tdb.db('cli_vault').where({ id }).first()).token as string;
      assert.notEqual(sealedAfter, sealedBefore);
      const opened = await createSecretBox({ masterKey: newKey }).openString(tdb.db, orgId, `cli_vault.token:${id}`, sealedAfter);
      assert.equal(opened, 'tok-123');
      assert.ok(!orgOut.includes('tok-123'));

      const status = await run(config, ['secrets:status']);
      assert.match(status, new RegExp(`Loaded master key: ${keyFingerprint(newKey)}`));
      assert.ok(!status.includes('another master key'));
    });

    test('rotate-master with MASTER_KEY reads the new key from stdin and refuses --generate', async () => {
      const current = loadMasterKey(loadConfig({ DATA_DIR: dir, MASTER_KEY_FILE: join(dir, 'master.key') }));
      const config = loadConfig({ DATA_DIR: dir, MASTER_KEY: current.toString('base64') });
      await assert.rejects(run(config, ['secrets:rotate-master', '--generate']), /MASTER_KEY is set/);
      await assert.rejects(run(config, ['secrets:rotate-master']), /exactly one/);
      const next = randomBytes(32);
      const out = await run(config, ['secrets:rotate-master', '--new-key-stdin'], `${next.toString('base64')}\n`);
      assert.match(out, /Now set MASTER_KEY to the new key/);
      const keys = await tdb.db('org_data_keys').where({ org_id: orgId });
      assert.ok(keys.length > 0 && keys.every((k) => k.master_key_id === keyFingerprint(next)));
    });

    test('rotate-org refuses an unknown organisation', async () => {
      const config = loadConfig({ DATA_DIR: dir, MASTER_KEY: randomBytes(32).toString('base64') });
      await assert.rejects(run(config, ['secrets:rotate-org', '--org', '99999']), /Organisation 99999 was not found/);
      await assert.rejects(run(config, ['secrets:rotate-org', '--org', 'abc']), /organisation id|invalid fields/);
    });
  });
}
