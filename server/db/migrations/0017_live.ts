import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// How a refund stands where a plugin sent it, in words, when someone changed it there (issue 15): "Settled in
// Xero: 30.00 paid out" after the accountant paid the credit note out in Xero, "Credit note LB-R-3 voided in
// Xero". Kept live by the plugin's incoming handler through the contract (ProviderPayments.noteRefundState);
// null while the downstream record is as we left it.
export const refunds0017: Migration = {
  name: '0017_live',
  async up(db: Knex) {
    await db.schema.alterTable('refunds', (t) => {
      t.string('downstream_state', 300).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('refunds', (t) => {
      t.dropColumn('downstream_state');
    });
  },
};
