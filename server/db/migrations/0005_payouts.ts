import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Payouts as the payment providers report them (server/payouts/record.ts): one row per provider payout,
// unique per organisation and provider, and its lines (charges, refunds, disputes, fees …). What a
// downstream ledger did with them is the plugins' business (their own tables), not the host's.
export const payouts0005: Migration = {
  name: '0005_payouts',
  async up(db: Knex) {
    await db.schema.createTable('payouts', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('provider', 24).notNullable(); // stripe | gocardless
      t.string('account_ref', 255).notNullable(); // acct_… / CR…
      t.string('provider_payout_id', 255).notNullable(); // po_… / PO…
      t.string('currency', 3).notNullable();
      t.bigInteger('amount_minor').notNullable(); // net, what reaches the bank
      t.bigInteger('gross_minor').notNullable(); // sum of the lines' amounts
      t.bigInteger('fee_minor').notNullable(); // sum of the lines' fees
      t.string('arrival_date', 10).notNullable(); // YYYY-MM-DD
      t.string('status', 16).notNullable(); // received | discrepancy
      t.integer('line_count').notNullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'provider', 'provider_payout_id']);
      t.index(['org_id', 'arrival_date']);
    });
    await db.schema.createTable('payout_lines', (t) => {
      t.increments('id');
      t.integer('payout_id').notNullable().references('payouts.id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.integer('position').notNullable();
      t.string('source_id', 255).notNullable();
      t.string('kind', 24).notNullable(); // charge | refund | dispute | dispute_reversal | failure | fee | adjustment
      t.bigInteger('amount_minor').notNullable(); // signed gross effect on the provider balance
      t.bigInteger('fee_minor').notNullable();
      t.bigInteger('fee_tax_minor').notNullable();
      t.string('charge_ref', 255).nullable();
      t.integer('sale_id').nullable().references('sales.id'); // only when it is this organisation's sale
      t.string('counterparty_name', 200).nullable();
      t.string('counterparty_email', 320).nullable();
      t.text('description').nullable();
      t.string('reference', 255).nullable();
      t.bigInteger('occurred_at').notNullable();
      t.unique(['payout_id', 'source_id']);
      t.index(['org_id', 'charge_ref']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('payout_lines');
    await db.schema.dropTableIfExists('payouts');
  },
};
