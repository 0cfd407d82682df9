// Every integration test runs against SQLite, and against PostgreSQL too when TEST_PG_URL is set.
// On PostgreSQL each test database is its own schema, so test files can run in parallel.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import knexFactory from 'knex';
import { createDb, type Db } from '../../server/db/knex';
import { migrateLatest, type MigrationOwner } from '../../server/db/migrate';
import type { DatabaseConfig } from '../../server/config';

export type DbKind = 'sqlite' | 'pg';

/** The database kinds this run covers: always SQLite; PostgreSQL when TEST_PG_URL is set. */
export function dbKinds(): DbKind[] {
  return process.env.TEST_PG_URL ? ['sqlite', 'pg'] : ['sqlite'];
}

export interface TestDatabase {
  kind: DbKind;
  db: Db;
  /** A DatabaseConfig that opens the same database (for child processes and createApp). */
  config: DatabaseConfig;
  /** DATABASE_URL form of `config`, for child processes. */
  url: string;
  /** PostgreSQL schema (search_path) of this test database, if any. */
  schema?: string;
  destroy(): Promise<void>;
}

/** A fresh database of the given kind, migrated as our host migrates unless `migrate` is false (left empty). */
export async function createTestDatabase(kind: DbKind, plugins: MigrationOwner[] = [], opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrate = async (db: Db) => {
    if (opts.migrate !== false) await migrateLatest(db, plugins);
  };
  if (kind === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'lb-test-'));
    const file = join(dir, 'test.sqlite');
    const config: DatabaseConfig = { client: 'sqlite', connection: file, poolMax: 1 };
    const db = createDb(config);
    await migrate(db);
    return {
      kind, db, config, url: `sqlite://${file}`,
      async destroy() {
        await db.destroy();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const base = process.env.TEST_PG_URL;
  if (!base) throw new Error('TEST_PG_URL is not set');
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`CREATE SCHEMA ${schema}`);
  await admin.destroy();
  const url = withSearchPath(base, schema);
  const config: DatabaseConfig = { client: 'pg', connection: url, poolMax: 10 };
  const db = createDb(config);
  await migrate(db);
  return {
    kind, db, config, url, schema,
    async destroy() {
      await db.destroy();
      const cleanup = knexFactory({ client: 'pg', connection: base, pool: { min: 0, max: 1 } });
      await cleanup.raw(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await cleanup.destroy();
    },
  };
}

/** libpq's `options=-c search_path=…` puts every connection of the pool in the test schema. */
function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}
