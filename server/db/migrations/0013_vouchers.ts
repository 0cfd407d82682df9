import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Gift vouchers: a sale line of kind 'voucher' creates one (a code, its amount, an expiry day); a payment with
// method gift_voucher names its code (payments.voucher_code) and takes from its balance. What is left when it
// expires is written off by an admin (written_off_*), which the integrations move from the liability to revenue.
export const vouchers0013: Migration = {
  name: '0013_vouchers',
  async up(db: Knex) {
    await db.schema.createTable('vouchers', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('code', 20).notNullable(); // upper case, e.g. GV-7KQ2-M9XD
      t.integer('sale_id').notNullable().references('sales.id');
      t.integer('sale_line_id').notNullable().references('sale_lines.id');
      t.string('currency', 3).notNullable();
      t.bigInteger('amount_minor').notNullable();
      t.bigInteger('balance_minor').notNullable();
      t.string('expires_on', 10).notNullable(); // YYYY-MM-DD, the last day it can be used (organisation's calendar)
      t.bigInteger('written_off_minor').nullable();
      t.bigInteger('written_off_at').nullable();
      t.string('written_off_by', 100).nullable();
      t.bigInteger('created_at').notNullable();
      t.unique(['org_id', 'code']);
      t.index(['org_id', 'expires_on']);
      t.index(['sale_id']);
    });
    await db.schema.alterTable('payments', (t) => {
      t.string('voucher_code', 20).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('payments', (t) => {
      t.dropColumn('voucher_code');
    });
    await db.schema.dropTable('vouchers');
  },
};
