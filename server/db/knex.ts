import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { chmodSync, closeSync, mkdirSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import type { DatabaseConfig } from '../config';

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the root connection or a transaction: most data functions accept both. */
export type Queryable = Knex | Knex.Transaction;

// PostgreSQL returns BIGINT as a string; every bigint here is a count, an id or epoch milliseconds,
// all far inside Number's safe range, so read them as numbers on both databases.
pg.types.setTypeParser(20, (v: string) => Number(v));

/** By the client's dialect, so a knex configured as `pg`, `postgres` or `postgresql` (an embedding host's) all count. */
export function isPostgres(db: Queryable): boolean {
  return (db.client as { dialect?: string }).dialect === 'postgresql';
}

// Knex begins SQLite transactions with a plain (deferred) BEGIN: the first read takes a shared lock and
// the first write must upgrade it. When another process (a worker, a second web process) holds the write
// lock, SQLite refuses that upgrade at once with SQLITE_BUSY instead of waiting for busy_timeout, so a sale
// or refund could fail under load. BEGIN IMMEDIATE takes the write lock up front, where busy_timeout waits.
// Within one process nothing changes: the pool's single connection already runs transactions one by one.
// Nested transactions are savepoints and keep knex's own code.
const requireCjs = createRequire(import.meta.url);
type KnexInternalClass = new (...args: unknown[]) => { query(conn: unknown, sql: string): Promise<unknown> };
const SqliteClient = requireCjs('knex/lib/dialects/sqlite3/index.js') as new (...args: unknown[]) => object;
const SqliteTransaction = requireCjs('knex/lib/dialects/sqlite3/execution/sqlite-transaction.js') as KnexInternalClass;

class ImmediateSqliteTransaction extends SqliteTransaction {
  begin(conn: unknown): Promise<unknown> {
    return this.query(conn, 'BEGIN IMMEDIATE;');
  }
}

class ImmediateSqliteClient extends SqliteClient {
  transaction(...args: unknown[]): unknown {
    return new ImmediateSqliteTransaction(this, ...args);
  }
}

/**
 * The SQLite file holds password hashes, customers and sealed secrets: it is created owner-only (0600), and
 * an existing one is made so. SQLite gives its -wal and -shm files the database file's own permissions.
 */
function createPrivateDatabaseFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
}

export function createDb(cfg: DatabaseConfig): Db {
  if (cfg.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: cfg.connection,
      pool: { min: 0, max: cfg.poolMax },
    });
  }
  if (cfg.connection !== ':memory:') createPrivateDatabaseFile(cfg.connection);
  return knexFactory({
    client: ImmediateSqliteClient as unknown as typeof knexFactory.Client,
    connection: { filename: cfg.connection },
    useNullAsDefault: true,
    // One connection: SQLite has one writer anyway, and a single connection makes every
    // transaction in this process strictly serial (the "safe single-writer" of the outbox).
    pool: {
      min: 1,
      max: 1,
      afterCreate(conn: { exec(sql: string, cb: (err: Error | null) => void): void }, done: (err: Error | null, conn: unknown) => void) {
        // WAL lets readers in other processes run beside the writer; busy_timeout makes a second
        // process wait for the lock instead of failing with SQLITE_BUSY.
        conn.exec(
          'PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;',
          (err) => done(err, conn),
        );
      },
    },
  });
}

/** Epoch milliseconds: every `*_at` column stores this, the same on SQLite and PostgreSQL. */
export const nowMs = (): number => Date.now();
