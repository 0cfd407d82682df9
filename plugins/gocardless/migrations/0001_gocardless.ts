import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// - gocardless_settings: one row per organisation that connected GoCardless. The access token and the
//   webhook endpoint secret are sealed with ctx.secrets (never stored in clear); the creditor is read from
//   the API when the token is saved.
// - gocardless_events: every webhook/sweep event accepted, once per (org, event id), so a duplicate or a
//   replayed delivery does nothing.
// - gocardless_payouts: what became of each GoCardless payout (recorded with the host, or why not), for the
//   settings page and so the sweep can tell what it has already done.
export const gocardless0001: Migration = {
  name: '0001_gocardless',
  async up(db: Knex) {
    await db.schema.createTable('gocardless_settings', (t) => {
      t.integer('org_id').primary();
      t.text('access_token_sealed').notNullable();
      t.text('webhook_secret_sealed').nullable();
      t.string('creditor_id', 32).notNullable();
      t.string('creditor_name', 200).notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('gocardless_events', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('event_id', 40).notNullable();
      t.string('resource_type', 40).notNullable();
      t.string('action', 60).notNullable();
      t.string('resource_id', 40).nullable();
      t.string('source', 12).notNullable(); // webhook | sweep
      t.bigInteger('event_created_at').notNullable();
      t.bigInteger('received_at').notNullable();
      t.unique(['org_id', 'event_id']);
    });
    await db.schema.createTable('gocardless_payouts', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('payout_id', 40).notNullable();
      t.string('currency', 3).notNullable();
      t.bigInteger('amount_minor').notNullable();
      t.string('arrival_date', 10).nullable();
      t.integer('line_count').notNullable();
      t.integer('host_payout_id').nullable();
      t.string('status', 16).notNullable(); // received | discrepancy
      t.bigInteger('recorded_at').notNullable();
      t.unique(['org_id', 'payout_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('gocardless_payouts');
    await db.schema.dropTableIfExists('gocardless_events');
    await db.schema.dropTableIfExists('gocardless_settings');
  },
};
