import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// stripe_payouts: what became of each Stripe payout recorded with the host (the same shape as
// gocardless_payouts), for the settings page and so the sweep can tell what it has already done.
export const stripe0002: Migration = {
  name: '0002_stripe_payouts',
  async up(db: Knex) {
    await db.schema.createTable('stripe_payouts', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('payout_id', 64).notNullable();
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
    await db.schema.dropTableIfExists('stripe_payouts');
  },
};
