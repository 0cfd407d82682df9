import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// Payout reconciliation (payouts/): the clearing accounts we found or created in Xero, the payout
// settings, each payout's posting state, every Xero record posted for a payout step (its natural key and
// Xero id: the memory that makes posting resumable and never double), and the match decisions for charges
// whose sale we did not know.
export const xero0005: Migration = {
  name: '0005_payouts',
  async up(db: Knex) {
    await db.schema.createTable('xero_clearing_accounts', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.string('provider', 24).notNullable();
      t.string('currency', 3).notNullable();
      t.string('account_id', 64).notNullable();
      t.string('code', 10).nullable();
      t.string('name', 150).notNullable();
      t.string('how', 40).notNullable(); // found_by_name | found_by_number | created
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'tenant_id', 'provider', 'currency']);
    });
    await db.schema.createTable('xero_payout_settings', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('key', 60).notNullable(); // bank_account:<provider> | fees_account | fee_tax | suspense_account | dispute_account | match_threshold
      t.string('value', 200).notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'key']);
    });
    await db.schema.createTable('xero_payouts', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.integer('payout_id').notNullable(); // host payouts.id
      t.string('status', 20).notNullable(); // pending | waiting | needs_signoff | posted | discrepancy | failed
      t.text('message').nullable();
      t.string('clearing_account_id', 64).nullable();
      t.bigInteger('posted_at').nullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'payout_id']);
      t.index(['org_id', 'status']);
    });
    await db.schema.createTable('xero_payout_steps', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('tenant_id', 64).notNullable();
      t.integer('payout_id').notNullable();
      t.string('step_key', 80).notNullable(); // e.g. line:42:payment, fees, transfer
      t.integer('line_id').nullable();
      t.string('xero_type', 24).notNullable(); // payment | bank_transaction | bank_transfer | host_payment | refund_payment
      t.string('reference', 255).notNullable(); // our natural key in Xero
      t.string('xero_id', 64).nullable();
      t.bigInteger('amount_minor').notNullable();
      t.string('status', 20).notNullable(); // posted | failed
      t.text('message').nullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'tenant_id', 'payout_id', 'step_key']);
    });
    await db.schema.createTable('xero_payout_matches', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.integer('payout_id').notNullable();
      t.integer('line_id').notNullable();
      t.string('status', 20).notNullable(); // auto | queued | confirmed | suspense
      t.string('invoice_id', 64).nullable();
      t.string('invoice_number', 255).nullable();
      t.string('currency', 3).nullable();
      t.integer('score').nullable(); // percent of the chosen candidate
      t.text('candidates').notNullable(); // JSON, ranked
      t.string('decided_by', 64).nullable();
      t.bigInteger('decided_at').nullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'line_id']);
      t.index(['org_id', 'status']);
    });
  },
  async down(db: Knex) {
    for (const table of ['xero_payout_matches', 'xero_payout_steps', 'xero_payouts', 'xero_payout_settings', 'xero_clearing_accounts']) {
      await db.schema.dropTableIfExists(table);
    }
  },
};
