import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// The sync engine's own state:
// - xero_records: what each of our records is in Xero (ids, numbers, status, the hash of what we last sent).
//   Keyed per Xero tenant too, so reconnecting to another organisation never reuses the old one's ids.
//   Customers' ContactIDs live here as well (entity_type 'customer', record_type 'contact').
// - xero_audit: one row per thing the engine did or decided for a record (sent, adopted after a lookup,
//   failed, skipped), with a summary of the request and of Xero's answer, and who triggered it.
// - xero_rate_budget / xero_rate_calls / xero_rate_leases: the per-tenant rate budget, shared by every
//   worker process through the database (see sync/rateBudget.ts).
export const xero0002: Migration = {
  name: '0002_sync',
  async up(db: Knex) {
    await db.schema.createTable('xero_records', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.string('entity_type', 16).notNullable(); // sale | refund | payment | customer
      t.integer('entity_id').notNullable();
      t.string('record_type', 24).notNullable(); // invoice | credit_note | allocation | refund_payment | payment | contact
      t.string('xero_id', 64).nullable();
      t.string('number', 255).nullable();
      // Xero's status as last seen (AUTHORISED, PAID, VOIDED…), or deleted_upstream / skipped (ours).
      t.string('status', 24).notNullable();
      t.text('note').nullable();
      t.string('payload_hash', 64).nullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'tenant_id', 'entity_type', 'entity_id', 'record_type']);
      t.index(['org_id', 'tenant_id', 'record_type', 'number']);
    });

    await db.schema.createTable('xero_audit', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('entity_type', 16).notNullable();
      t.integer('entity_id').notNullable();
      t.string('record_type', 24).notNullable();
      // sent | created | adopted | failed | retry | skipped | deleted_upstream | resend | allocated | history
      t.string('action', 24).notNullable();
      t.string('outcome', 16).notNullable(); // ok | failed | retry | skipped
      t.text('request_summary').nullable(); // JSON: the payload we sent (never credentials)
      t.text('response_summary').nullable(); // JSON: status, ids, numbers, validation messages
      t.text('message').nullable();
      t.string('triggered_by', 64).notNullable(); // system | user:<id>
      t.integer('outbox_item_id').nullable();
      t.bigInteger('created_at').notNullable();
      t.index(['org_id', 'entity_type', 'entity_id']);
      t.index(['org_id', 'created_at']);
    });

    await db.schema.createTable('xero_rate_budget', (t) => {
      t.string('tenant_key', 96).primary();
      // Limits in force for this tenant: Xero's by default; lowered or raised by an operator (or a test
      // against an emulator with scaled limits) without a deploy.
      t.integer('per_minute').notNullable().defaultTo(60);
      t.integer('concurrent').notNullable().defaultTo(5);
      t.integer('per_day').notNullable().defaultTo(5000);
      // Nothing goes out before this (a 429's Retry-After).
      t.bigInteger('blocked_until').notNullable().defaultTo(0);
      t.integer('version').notNullable().defaultTo(0);
      t.bigInteger('updated_at').notNullable().defaultTo(0);
    });
    await db.schema.createTable('xero_rate_calls', (t) => {
      t.increments('id');
      t.string('tenant_key', 96).notNullable();
      t.bigInteger('at').notNullable();
      t.index(['tenant_key', 'at']);
    });
    await db.schema.createTable('xero_rate_leases', (t) => {
      t.increments('id');
      t.string('tenant_key', 96).notNullable();
      t.string('owner', 160).notNullable();
      t.bigInteger('expires_at').notNullable();
      t.index(['tenant_key', 'expires_at']);
    });
  },
  async down(db: Knex) {
    for (const table of ['xero_rate_leases', 'xero_rate_calls', 'xero_rate_budget', 'xero_audit', 'xero_records']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
