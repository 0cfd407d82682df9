// The SQLite database holds password hashes, customer data and sealed secrets: its file and the WAL and
// shared-memory files SQLite adds beside it are readable by their owner only (they were 0644).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb } from '../../../server/db/knex';
import { migrateLatest } from '../../../server/db/migrate';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8);

describe('SQLite file permissions', () => {
  it('creates the database, its WAL and its shared memory 0600 under a umask that would allow 0644', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-mode-'));
    const previous = process.umask(0o022);
    const file = join(dir, 'data', 'ledgerbridge.sqlite');
    const db = createDb({ client: 'sqlite', connection: file, poolMax: 1 });
    try {
      await migrateLatest(db);
      await db('organisations').insert({ name: 'Mode test', base_currency: 'GBP', timezone: 'Europe/London', created_at: Date.now() });
      assert.equal(modeOf(file), '600');
      assert.equal(modeOf(`${file}-wal`), '600');
      assert.equal(modeOf(`${file}-shm`), '600');
      assert.equal(modeOf(join(dir, 'data')), '700');
    } finally {
      process.umask(previous);
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tightens an existing database file that was created 0644', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-mode-'));
    const file = join(dir, 'old.sqlite');
    writeFileSync(file, '', { mode: 0o644 });
    const db = createDb({ client: 'sqlite', connection: file, poolMax: 1 });
    try {
      await db.raw('select 1');
      assert.equal(modeOf(file), '600');
    } finally {
      await db.destroy();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
