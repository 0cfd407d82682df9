import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// What comes back from Xero (issue 15).
//  - xero_incoming_events: every change Xero told us about (a webhook event) or the polling sweep found,
//    once per organisation (event_key: a hash of tenant, category, type, resource and moment), recorded in
//    the same transaction as the work it asks for; handled_at/outcome say what it did (the sync log lists them).
//  - xero_webhook_receipts: one row for the install: when Xero's intent-to-receive check last passed and
//    when a delivery last arrived (the dashboard's "webhooks verified").
//  - xero_poll_state: per organisation, the polling sweep's If-Modified-Since and where a sweep stopped
//    (endpoint and page), so a sweep cut short resumes where it was.
export const xero0009: Migration = {
  name: '0009_incoming',
  async up(db: Knex) {
    await db.schema.createTable('xero_incoming_events', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.string('event_key', 64).notNullable();
      t.string('category', 16).notNullable();
      t.string('event_type', 16).notNullable();
      t.string('resource_id', 64).notNullable();
      t.bigInteger('event_at').notNullable();
      t.string('source', 8).notNullable();
      t.bigInteger('received_at').notNullable();
      t.bigInteger('handled_at').nullable();
      t.string('outcome', 500).nullable();
      t.unique(['org_id', 'event_key']);
      t.index(['org_id', 'received_at']);
      t.index(['org_id', 'resource_id']);
    });
    await db.schema.createTable('xero_webhook_receipts', (t) => {
      t.string('id', 16).primary();
      t.bigInteger('intent_verified_at').nullable();
      t.bigInteger('last_delivery_at').nullable();
    });
    await db.schema.createTable('xero_poll_state', (t) => {
      t.integer('org_id').primary();
      t.string('tenant_id', 64).notNullable();
      t.bigInteger('modified_since').nullable();
      t.bigInteger('sweep_started_at').nullable();
      t.string('endpoint', 16).nullable();
      t.integer('page').nullable();
      t.bigInteger('last_run_at').nullable();
      t.string('last_error', 500).nullable();
      t.integer('last_calls').notNullable().defaultTo(0);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_poll_state');
    await db.schema.dropTableIfExists('xero_webhook_receipts');
    await db.schema.dropTableIfExists('xero_incoming_events');
  },
};
