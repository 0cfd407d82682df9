import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// A booking cancelled with its deposit kept ("Cancel booking, keep deposit" on the sale): when, by whom, and
// the money kept (what was paid less what was given back, in the sale's minor units). A cancelled sale owes
// nothing more; plugins post the kept money as the business's (Xero: an invoice to the cancellation-income
// account, paid by the deposits' prepayments).
export const sales0014: Migration = {
  name: '0014_deposits',
  async up(db: Knex) {
    await db.schema.alterTable('sales', (t) => {
      t.bigInteger('cancelled_at').nullable();
      t.string('cancelled_by', 100).nullable();
      t.bigInteger('kept_minor').nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('sales', (t) => {
      t.dropColumn('cancelled_at');
      t.dropColumn('cancelled_by');
      t.dropColumn('kept_minor');
    });
  },
};
