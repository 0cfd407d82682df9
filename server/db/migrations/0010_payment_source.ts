import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Where a payment came from, in words, when it was not taken here: "Paid in Xero: bank transfer, 2 Dec"
// (issue 15: payments recorded in Xero reach the sale through the Xero plugin). Null for our own.
export const payments0010: Migration = {
  name: '0010_payment_source',
  async up(db: Knex) {
    await db.schema.alterTable('payments', (t) => {
      t.string('source_note', 200).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('payments', (t) => {
      t.dropColumn('source_note');
    });
  },
};
