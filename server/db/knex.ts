import knexFactory, { type Knex } from 'knex';
import pg from 'pg';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DatabaseConfig } from '../config';

export type Db = Knex;
export type Trx = Knex.Transaction;
/** Either the root connection or a transaction: most data functions accept both. */
export type Queryable = Knex | Knex.Transaction;

// PostgreSQL returns BIGINT as a string; every bigint here is a count, an id or epoch milliseconds,
// all far inside Number's safe range, so read them as numbers on both databases.
pg.types.setTypeParser(20, (v: string) => Number(v));

export function isPostgres(db: Queryable): boolean {
  return db.client.config.client === 'pg';
}

export function createDb(cfg: DatabaseConfig): Db {
  if (cfg.client === 'pg') {
    return knexFactory({
      client: 'pg',
      connection: cfg.connection,
      pool: { min: 0, max: cfg.poolMax },
    });
  }
  if (cfg.connection !== ':memory:') mkdirSync(dirname(cfg.connection), { recursive: true });
  return knexFactory({
    client: 'sqlite3',
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
