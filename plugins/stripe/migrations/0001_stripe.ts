import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// stripe_settings: one row per organisation (secret key and webhook signing secret sealed, the account id
// Stripe reported when the key was tested). stripe_events: every webhook event id handled, once per
// organisation, so a redelivered or replayed event changes nothing.
export const stripe0001: Migration = {
  name: '0001_stripe',
  async up(db: Knex) {
    await db.schema.createTable('stripe_settings', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().unique();
      t.string('account_id', 64).notNullable();
      t.string('key_hint', 32).notNullable();
      t.text('secret_key_sealed').notNullable();
      t.text('webhook_secret_sealed').notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('stripe_events', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('event_id', 255).notNullable();
      t.string('type', 128).notNullable();
      t.bigInteger('received_at').notNullable();
      t.unique(['org_id', 'event_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('stripe_events');
    await db.schema.dropTableIfExists('stripe_settings');
  },
};
