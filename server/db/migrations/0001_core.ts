import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Conventions: integer ids; every *_at column is epoch milliseconds (bigint) so time compares the same
// on SQLite and PostgreSQL; money is integer minor units (bigint) with the ISO 4217 code beside it;
// JSON is stored as text.

export const core0001: Migration = {
  name: '0001_core',
  async up(db: Knex) {
    await db.schema.createTable('organisations', (t) => {
      t.increments('id');
      t.string('name', 200).notNullable();
      t.string('base_currency', 3).notNullable().defaultTo('GBP');
      t.string('timezone', 64).notNullable().defaultTo('Europe/London');
      t.bigInteger('created_at').notNullable();
    });

    await db.schema.createTable('users', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('email', 320).notNullable().unique(); // stored lower-case
      t.string('name', 200).notNullable();
      t.string('role', 20).notNullable(); // admin | staff | accountant
      t.string('password_hash', 300).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('disabled_at').nullable();
      t.index(['org_id']);
    });

    await db.schema.createTable('api_tokens', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('name', 200).notNullable();
      t.string('role', 20).notNullable();
      t.string('token_hash', 64).notNullable().unique(); // sha256 hex of the token; the token itself is never stored
      t.string('token_prefix', 16).notNullable(); // first characters, to recognise a token in lists
      t.bigInteger('created_at').notNullable();
      t.bigInteger('last_used_at').nullable();
      t.bigInteger('revoked_at').nullable();
    });

    // Columns as connect-session-knex expects them.
    await db.schema.createTable('sessions', (t) => {
      t.string('sid', 255).primary();
      t.text('sess').notNullable();
      t.timestamp('expired', { useTz: true }).notNullable().index();
    });

    await db.schema.createTable('customers', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('name', 200).notNullable();
      t.string('email', 320).nullable(); // lower-case
      t.bigInteger('created_at').notNullable();
      t.index(['org_id', 'email']);
      t.index(['org_id', 'name']);
    });

    await db.schema.createTable('sales', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.integer('customer_id').notNullable().references('customers.id');
      t.string('reference', 100).nullable();
      t.string('currency', 3).notNullable();
      t.bigInteger('total_minor').notNullable();
      t.bigInteger('paid_minor').notNullable().defaultTo(0);
      t.bigInteger('refunded_minor').notNullable().defaultTo(0);
      t.string('status', 24).notNullable(); // completed | partially_refunded | refunded
      t.bigInteger('occurred_at').notNullable();
      t.string('created_by', 64).notNullable(); // 'user:<id>' | 'token:<id>' | 'cli' | 'system'
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'reference']);
      t.index(['org_id', 'occurred_at']);
      t.index(['org_id', 'id']);
    });

    await db.schema.createTable('sale_lines', (t) => {
      t.increments('id');
      t.integer('sale_id').notNullable().references('sales.id');
      t.integer('position').notNullable();
      t.string('description', 4000).notNullable();
      t.string('quantity', 32).notNullable(); // exact decimal string, up to 4 dp (Xero's limit)
      t.bigInteger('unit_price_minor').notNullable();
      t.string('discount_rate', 16).nullable(); // percent as exact decimal string, up to 2 dp
      t.string('category', 100).nullable();
      t.string('tax_code', 50).nullable();
      t.bigInteger('line_total_minor').notNullable(); // what the customer was charged for this line
      t.bigInteger('refunded_minor').notNullable().defaultTo(0);
      t.index(['sale_id']);
    });

    await db.schema.createTable('payments', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.integer('sale_id').notNullable().references('sales.id');
      t.string('method', 24).notNullable(); // stripe | gocardless | cash | card_terminal
      t.bigInteger('amount_minor').notNullable();
      t.string('currency', 3).notNullable();
      t.string('provider_ref', 255).nullable();
      t.bigInteger('received_at').notNullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'method', 'provider_ref']);
      t.index(['sale_id']);
    });

    await db.schema.createTable('refunds', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.integer('sale_id').notNullable().references('sales.id');
      t.string('kind', 16).notNullable(); // full | amount | lines
      t.bigInteger('amount_minor').notNullable();
      t.string('currency', 3).notNullable();
      t.string('method', 24).nullable(); // how the money went back: stripe | gocardless | cash | card_terminal
      t.string('provider_ref', 255).nullable();
      t.string('reason', 500).nullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'method', 'provider_ref']);
      t.index(['sale_id']);
    });

    await db.schema.createTable('refund_lines', (t) => {
      t.increments('id');
      t.integer('refund_id').notNullable().references('refunds.id');
      t.integer('sale_line_id').notNullable().references('sale_lines.id');
      t.string('quantity', 32).nullable();
      t.bigInteger('amount_minor').notNullable();
      t.index(['refund_id']);
    });

    // Replays of POST requests carrying an Idempotency-Key: the first response is stored and returned again.
    await db.schema.createTable('api_idempotency', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('key', 255).notNullable();
      t.string('request_hash', 64).notNullable();
      t.integer('status_code').notNullable();
      t.text('response_body').notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'key']);
    });

    // Every domain event, as emitted inside its transaction: an audit log and the source for backfills.
    await db.schema.createTable('domain_events', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('type', 64).notNullable();
      t.string('subject_type', 32).notNullable();
      t.integer('subject_id').notNullable();
      t.text('payload').notNullable();
      t.bigInteger('occurred_at').notNullable();
      t.index(['org_id', 'type', 'id']);
      t.index(['subject_type', 'subject_id']);
    });

    // The transactional outbox. status: pending | leased | done | dead | paused.
    await db.schema.createTable('outbox', (t) => {
      t.increments('id');
      t.integer('org_id').nullable();
      t.string('plugin_id', 64).notNullable();
      t.string('type', 128).notNullable();
      t.string('subject', 255).nullable(); // items sharing a subject run strictly in id order
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
    });

    // Per plugin, per host record: where its downstream copy stands (shown on the sale's GET and pages).
    await db.schema.createTable('sync_records', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('plugin_id', 64).notNullable();
      t.string('entity_type', 24).notNullable(); // sale | refund | payment | payout
      t.integer('entity_id').notNullable();
      t.string('record_type', 32).notNullable(); // invoice | credit_note | payment | allocation | ...
      t.string('status', 20).notNullable(); // pending | synced | failed | deleted_upstream
      t.string('external_id', 100).nullable();
      t.string('external_ref', 255).nullable(); // e.g. the invoice number
      t.text('error').nullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('synced_at').nullable();
      t.unique(['plugin_id', 'entity_type', 'entity_id', 'record_type']);
      t.index(['org_id', 'plugin_id', 'status']);
    });
  },
  async down(db: Knex) {
    for (const table of [
      'sync_records', 'outbox', 'domain_events', 'api_idempotency', 'refund_lines', 'refunds', 'payments',
      'sale_lines', 'sales', 'customers', 'sessions', 'api_tokens', 'users', 'organisations',
    ]) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
