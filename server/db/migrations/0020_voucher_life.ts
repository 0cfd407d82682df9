import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// The rest of a gift voucher's life (issue 17). An organisation may have expired vouchers written off by the
// scheduled housekeeping instead of an admin's button (off by default). A voucher's sale line may be refunded:
// what was refunded comes off its balance (refunded_minor), and one refunded in full is cancelled.
export const vouchers0020: Migration = {
  name: '0020_voucher_life',
  async up(db: Knex) {
    await db.schema.alterTable('organisations', (t) => {
      t.boolean('vouchers_auto_write_off').notNullable().defaultTo(false);
    });
    await db.schema.alterTable('vouchers', (t) => {
      t.bigInteger('refunded_minor').notNullable().defaultTo(0);
      t.bigInteger('cancelled_at').nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('vouchers', (t) => {
      t.dropColumn('cancelled_at');
      t.dropColumn('refunded_minor');
    });
    await db.schema.alterTable('organisations', (t) => {
      t.dropColumn('vouchers_auto_write_off');
    });
  },
};
