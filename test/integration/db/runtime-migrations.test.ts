// The runtime's own migration owner (`ledgerbridge`, server/runtime/migrations): on our host it runs after the
// host's migrations and changes nothing — on a fresh database and on one migrated before the owner existed —
// and in an embedding host's database, which has none of our tables, it creates the runtime's tables in the
// same shape (columns and indexes of host migrations 0001–0008) without foreign keys to host tables.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type DbKind, type TestDatabase } from '../../support/db';
import { migrateLatest, runMigrations, RUNTIME_MIGRATION_OWNER } from '../../../server/db/migrate';
import { coreMigrations } from '../../../server/db/migrations';
import { RUNTIME_TABLES } from '../../../server/runtime/migrations';
import { runtime0002 } from '../../../server/runtime/migrations/0002_sync_record_note';
import type { Db } from '../../../server/db/knex';

interface TableShape {
  columns: string[];
  indexes: string[];
  foreignKeys: string[];
}

/** Columns (name, type, nullability, default), index definitions and foreign keys of a table, comparable across databases. */
async function shapeOf(db: Db, kind: DbKind, table: string, schema?: string): Promise<TableShape> {
  if (kind === 'sqlite') {
    const columns = (await db.raw(`PRAGMA table_info(${table})`)) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
    const indexes = (await db('sqlite_master').where({ type: 'index', tbl_name: table }).select('name', 'sql')) as { name: string; sql: string | null }[];
    const fks = (await db.raw(`PRAGMA foreign_key_list(${table})`)) as { table: string; from: string; to: string }[];
    return {
      columns: columns.map((c) => `${c.name} ${c.type} ${c.notnull ? 'not null' : 'null'} ${c.dflt_value ?? ''} ${c.pk ? 'pk' : ''}`).sort(),
      indexes: indexes.map((i) => `${i.name}: ${i.sql ?? '(constraint)'}`).sort(),
      foreignKeys: fks.map((f) => `${f.from} -> ${f.table}.${f.to}`).sort(),
    };
  }
  const columns = (await db('information_schema.columns').where({ table_schema: schema, table_name: table })
    .select('column_name', 'data_type', 'character_maximum_length', 'is_nullable', 'column_default')) as Record<string, unknown>[];
  const indexes = (await db('pg_indexes').where({ schemaname: schema, tablename: table }).select('indexname', 'indexdef')) as { indexname: string; indexdef: string }[];
  const fks = (await db.raw(
    `SELECT kcu.column_name, ccu.table_name AS target FROM information_schema.table_constraints tc
       JOIN information_schema.key_column_usage kcu ON kcu.constraint_name = tc.constraint_name AND kcu.table_schema = tc.table_schema
       JOIN information_schema.constraint_column_usage ccu ON ccu.constraint_name = tc.constraint_name AND ccu.table_schema = tc.table_schema
     WHERE tc.constraint_type = 'FOREIGN KEY' AND tc.table_schema = ? AND tc.table_name = ?`, [schema ?? '', table])) as { rows: { column_name: string; target: string }[] };
  return {
    columns: columns.map((c) => `${String(c.column_name)} ${String(c.data_type)}(${String(c.character_maximum_length ?? '')}) ${String(c.is_nullable)} ${String(c.column_default ?? '')}`).sort(),
    // The schema is each test database's own: compare definitions without it.
    indexes: indexes.map((i) => `${i.indexname}: ${i.indexdef.replaceAll(`${schema}.`, '')}`).sort(),
    foreignKeys: fks.rows.map((f) => `${f.column_name} -> ${f.target}`).sort(),
  };
}

async function shapes(t: TestDatabase, tables: readonly string[]): Promise<Record<string, TableShape>> {
  const out: Record<string, TableShape> = {};
  for (const table of tables) out[table] = await shapeOf(t.db, t.kind, table, t.schema);
  return out;
}

async function tableNames(t: TestDatabase): Promise<string[]> {
  const rows = t.kind === 'sqlite'
    ? ((await t.db('sqlite_master').where({ type: 'table' }).whereNot('name', 'like', 'sqlite_%').pluck('name')) as string[])
    : ((await t.db('information_schema.tables').where({ table_schema: t.schema }).pluck('table_name')) as string[]);
  return rows.sort();
}

const HOST_OWNER = { id: 'host', migrations: coreMigrations };
const RUNTIME_APPLIED = ['ledgerbridge/0001_runtime_tables', 'ledgerbridge/0002_sync_record_note'];
const withoutHostKeys = (shape: TableShape): TableShape => ({ ...shape, foreignKeys: shape.foreignKeys.filter((fk) => /-> payouts/.test(fk)) });

for (const kind of dbKinds()) {
  describe(`the runtime's migrations (${kind})`, () => {
    const opened: TestDatabase[] = [];
    const open = async (migrate: boolean) => {
      const t = await createTestDatabase(kind, [], { migrate });
      opened.push(t);
      return t;
    };
    after(async () => {
      for (const t of opened) await t.destroy();
    });

    it('on a fresh install of our host: run after the host\'s, creating no table of their own (0002 adds sync_records.note)', async () => {
      const t = await open(false);
      const applied = await migrateLatest(t.db);
      assert.deepEqual(applied, [...coreMigrations.map((m) => `host/${m.name}`), ...RUNTIME_APPLIED]);
      const oldWay = await open(false);
      await runMigrations(oldWay.db, [HOST_OWNER], { tableName: 'knex_migrations' });
      await runtime0002.up(oldWay.db);
      assert.deepEqual(await tableNames(t), await tableNames(oldWay));
      assert.deepEqual(await shapes(t, RUNTIME_TABLES), await shapes(oldWay, RUNTIME_TABLES));
    });

    it('on an install migrated before the runtime had its own migrations: a no-op, recorded once', async () => {
      const t = await open(false);
      await runMigrations(t.db, [HOST_OWNER], { tableName: 'knex_migrations' });
      await t.db('outbox').insert({ plugin_id: 'x', type: 'x.item.push', dedupe_key: 'kept', payload: '{}', status: 'pending', max_attempts: 3, available_at: 1, created_at: 1, updated_at: 1 });
      const tables = await tableNames(t);
      assert.deepEqual(await migrateLatest(t.db), RUNTIME_APPLIED);
      const expected = await open(false);
      await runMigrations(expected.db, [HOST_OWNER], { tableName: 'knex_migrations' });
      await runtime0002.up(expected.db);
      assert.deepEqual(await shapes(t, RUNTIME_TABLES), await shapes(expected, RUNTIME_TABLES), 'only sync_records.note added');
      assert.deepEqual(await tableNames(t), tables);
      assert.equal((await t.db('outbox').where({ dedupe_key: 'kept' })).length, 1, 'existing rows stay');
      assert.deepEqual(await migrateLatest(t.db), [], 'nothing left to run');
    });

    it('in an embedding host\'s database: the same tables and indexes, no foreign key to a host table, in its own migrations table', async () => {
      const reference = await open(true);
      const t = await open(false);
      // The booking system's own tables, and its own knex migrations, which Ledgerbridge's must not disturb.
      await t.db.schema.createTable('venues', (v) => {
        v.increments('id');
        v.string('name').notNullable();
      });
      await t.db.schema.createTable('knex_migrations', (m) => {
        m.increments('id');
        m.string('name');
      });
      await t.db('knex_migrations').insert({ name: '20240101_bookings.js' });
      const owners = [RUNTIME_MIGRATION_OWNER];
      assert.deepEqual(await runMigrations(t.db, owners, { tableName: 'ledgerbridge_migrations' }), RUNTIME_APPLIED);
      assert.deepEqual(await runMigrations(t.db, owners, { tableName: 'ledgerbridge_migrations' }), [], 'once');
      const expected = await shapes(reference, RUNTIME_TABLES);
      const created = await shapes(t, RUNTIME_TABLES);
      for (const table of RUNTIME_TABLES) {
        assert.deepEqual(created[table], withoutHostKeys(expected[table]!), table);
      }
      assert.deepEqual(created.payout_lines!.foreignKeys, [kind === 'sqlite' ? 'payout_id -> payouts.id' : 'payout_id -> payouts']);
      assert.deepEqual(await t.db('knex_migrations').pluck('name'), ['20240101_bookings.js'], 'the host\'s migrations table untouched');
      assert.deepEqual(
        (await tableNames(t)).filter((n) => !n.startsWith('ledgerbridge_migrations')),
        ['knex_migrations', ...RUNTIME_TABLES, 'venues'].sort(),
      );
    });

    it('stops at a host table of the same name that is not the runtime\'s, naming what is missing', async () => {
      const t = await open(false);
      await t.db.schema.createTable('payouts', (p) => {
        p.increments('id');
        p.integer('instructor_id');
        p.bigInteger('amount_minor');
      });
      await assert.rejects(
        runMigrations(t.db, [RUNTIME_MIGRATION_OWNER], { tableName: 'ledgerbridge_migrations' }),
        /already has a "payouts" table without its columns \(org_id, provider, account_ref, .*\)\. Rename the host's table; Ledgerbridge reserves: domain_events, outbox, sync_records, org_data_keys, payouts, payout_lines/,
      );
    });
  });
}
