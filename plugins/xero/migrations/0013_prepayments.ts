import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_deposits: what of a sale is settled through a Xero prepayment, decided once, in the host's transaction,
// when it is recorded (sync/deposits/): kind 'payment', a deposit (paid before the sale's invoice is in Xero;
// posted as a RECEIVE-PREPAYMENT, never as an invoice payment), or kind 'refund', money given back out of the
// sale's deposits before the invoice (a refund paid out of the prepayment; its credit note is then allocated
// to the invoice, never paid out again). What was done in Xero is in xero_records ('prepayment',
// 'prepayment_allocation', 'prepayment_refund').
export const xero0013: Migration = {
  name: '0013_prepayments',
  async up(db: Knex) {
    await db.schema.createTable('xero_deposits', (t) => {
      t.integer('org_id').notNullable();
      t.string('kind', 10).notNullable();
      t.integer('entity_id').notNullable();
      t.integer('sale_id').notNullable();
      /** A refund's: the deposit whose prepayment it is paid out of. */
      t.integer('from_payment_id').nullable();
      t.bigInteger('created_at').notNullable();
      t.primary(['org_id', 'kind', 'entity_id']);
      t.index(['org_id', 'sale_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_deposits');
  },
};
