import type { Knex } from 'knex';
import type { Migration } from '../../db/migrate';

// The runtime's own tables — what Ledgerbridge itself writes, whichever host it runs in: the audit of
// host events (domain_events), the outbox, per-record sync state, per-organisation data keys and provider
// payouts. Our host's migrations (server/db/migrations 0001–0008) have created them since the start; this
// migration creates them in that final shape (same columns, same index names) for a host that has none, and
// is a no-op where they exist. Unlike our host's, they carry no foreign key to a host table (an embedding
// booking system keeps its organisations and sales in tables of its own); payout_lines still references
// payouts, which is the runtime's own.
//
// A table of that name that lacks the runtime's columns is someone else's (a booking system may well have a
// `payouts` table of its own): the migration stops and says so instead of writing into it.
//
// No down: in our host these tables belong to its own migrations, and rolling this one back must never drop
// them. Indexes repeat 0002/0006/0008's names and predicates verbatim (server/outbox/claim.ts relies on them).

interface RuntimeTable {
  name: string;
  /** The columns the runtime reads and writes: an existing table must have every one. */
  columns: readonly string[];
  build(t: Knex.CreateTableBuilder): void;
}

const TABLES: readonly RuntimeTable[] = [
  {
    name: 'domain_events',
    columns: ['id', 'org_id', 'type', 'subject_type', 'subject_id', 'payload', 'occurred_at'],
    build(t) {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('type', 64).notNullable();
      t.string('subject_type', 32).notNullable();
      t.integer('subject_id').notNullable();
      t.text('payload').notNullable();
      t.bigInteger('occurred_at').notNullable();
      t.index(['org_id', 'type', 'id']);
      t.index(['subject_type', 'subject_id']);
    },
  },
  {
    name: 'outbox',
    columns: [
      'id', 'org_id', 'plugin_id', 'type', 'subject', 'dedupe_key', 'payload', 'status', 'attempts', 'max_attempts', 'available_at',
      'lease_owner', 'lease_expires_at', 'last_error', 'created_at', 'updated_at', 'done_at',
    ],
    build(t) {
      t.increments('id');
      t.integer('org_id').nullable();
      t.string('plugin_id', 64).notNullable();
      t.string('type', 128).notNullable();
      t.string('subject', 255).nullable();
      t.string('dedupe_key', 255).notNullable().unique();
      t.text('payload').notNullable();
      t.string('status', 12).notNullable();
      t.integer('attempts').notNullable().defaultTo(0);
      t.integer('max_attempts').notNullable();
      t.bigInteger('available_at').notNullable();
      t.string('lease_owner', 128).nullable();
      t.bigInteger('lease_expires_at').nullable();
      t.text('last_error').nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('done_at').nullable();
      t.index(['status', 'available_at']);
      t.index(['type', 'status', 'available_at']);
      t.index(['subject', 'id']);
      t.index(['org_id', 'status']);
    },
  },
  {
    name: 'sync_records',
    columns: ['id', 'org_id', 'plugin_id', 'entity_type', 'entity_id', 'record_type', 'status', 'external_id', 'external_ref', 'error', 'updated_at', 'synced_at'],
    build(t) {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('plugin_id', 64).notNullable();
      t.string('entity_type', 24).notNullable();
      t.integer('entity_id').notNullable();
      t.string('record_type', 32).notNullable();
      t.string('status', 20).notNullable();
      t.string('external_id', 100).nullable();
      t.string('external_ref', 255).nullable();
      t.text('error').nullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('synced_at').nullable();
      t.unique(['plugin_id', 'entity_type', 'entity_id', 'record_type']);
      t.index(['org_id', 'plugin_id', 'status']);
    },
  },
  {
    name: 'org_data_keys',
    columns: ['id', 'org_id', 'key_id', 'wrapped_key', 'master_key_id', 'created_at', 'retired_at'],
    build(t) {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('key_id', 32).notNullable();
      t.text('wrapped_key').notNullable();
      t.string('master_key_id', 16).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('retired_at').nullable();
      t.unique(['org_id', 'key_id']);
      t.index(['org_id', 'retired_at']);
    },
  },
  {
    name: 'payouts',
    columns: [
      'id', 'org_id', 'provider', 'account_ref', 'provider_payout_id', 'currency', 'amount_minor', 'gross_minor', 'fee_minor',
      'arrival_date', 'status', 'line_count', 'created_by', 'created_at',
    ],
    build(t) {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('provider', 24).notNullable();
      t.string('account_ref', 255).notNullable();
      t.string('provider_payout_id', 255).notNullable();
      t.string('currency', 3).notNullable();
      t.bigInteger('amount_minor').notNullable();
      t.bigInteger('gross_minor').notNullable();
      t.bigInteger('fee_minor').notNullable();
      t.string('arrival_date', 10).notNullable();
      t.string('status', 16).notNullable();
      t.integer('line_count').notNullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'provider', 'provider_payout_id']);
      t.index(['org_id', 'arrival_date']);
    },
  },
  {
    name: 'payout_lines',
    columns: [
      'id', 'payout_id', 'org_id', 'position', 'source_id', 'kind', 'amount_minor', 'fee_minor', 'fee_tax_minor', 'charge_ref', 'sale_id',
      'counterparty_name', 'counterparty_email', 'description', 'reference', 'occurred_at', 'original_amount_minor', 'original_currency',
      'exchange_rate',
    ],
    build(t) {
      t.increments('id');
      t.integer('payout_id').notNullable().references('payouts.id');
      t.integer('org_id').notNullable();
      t.integer('position').notNullable();
      t.string('source_id', 255).notNullable();
      t.string('kind', 24).notNullable();
      t.bigInteger('amount_minor').notNullable();
      t.bigInteger('fee_minor').notNullable();
      t.bigInteger('fee_tax_minor').notNullable();
      t.string('charge_ref', 255).nullable();
      t.integer('sale_id').nullable(); // the host's sale id, when the provider named one of its sales
      t.string('counterparty_name', 200).nullable();
      t.string('counterparty_email', 320).nullable();
      t.text('description').nullable();
      t.string('reference', 255).nullable();
      t.bigInteger('occurred_at').notNullable();
      t.bigInteger('original_amount_minor').nullable();
      t.string('original_currency', 3).nullable();
      t.string('exchange_rate', 32).nullable();
      t.unique(['payout_id', 'source_id']);
      t.index(['org_id', 'charge_ref']);
    },
  },
];

/** The outbox's partial indexes (0002, 0006, 0008), exactly as the claim query names and repeats them. */
const OUTBOX_CLAIM_INDEXES = [
  `CREATE INDEX IF NOT EXISTS outbox_claimable_idx ON outbox (id) WHERE status IN ('pending', 'leased')`,
  `CREATE INDEX IF NOT EXISTS outbox_claim_batch_idx ON outbox (type, (COALESCE(org_id, -1)), id) WHERE status IN ('pending', 'leased')`,
  `CREATE INDEX IF NOT EXISTS outbox_claim_fair_idx ON outbox ((COALESCE(org_id, -1)), id) WHERE status IN ('pending', 'leased')`,
];

/** The names the runtime reserves in a host's database (an embedding host must not use them for its own tables). */
export const RUNTIME_TABLES: readonly string[] = TABLES.map((t) => t.name);

async function ensureTable(db: Knex, table: RuntimeTable): Promise<void> {
  if (!(await db.schema.hasTable(table.name))) {
    await db.schema.createTable(table.name, (t) => table.build(t));
    return;
  }
  const present = new Set(Object.keys(await db(table.name).columnInfo()));
  const missing = table.columns.filter((c) => !present.has(c));
  if (missing.length) {
    throw new Error(
      `Ledgerbridge needs the table "${table.name}" for itself, but this database already has a "${table.name}" table without its ` +
        `columns (${missing.join(', ')}). Rename the host's table; Ledgerbridge reserves: ${RUNTIME_TABLES.join(', ')}.`,
    );
  }
}

export const runtime0001: Migration = {
  name: '0001_runtime_tables',
  async up(db: Knex) {
    for (const table of TABLES) await ensureTable(db, table);
    for (const sql of OUTBOX_CLAIM_INDEXES) await db.raw(sql);
  },
};
