import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// sales.service_date: the calendar day the service is delivered (a class next month, a party in June), as
// YYYY-MM-DD in the organisation's own calendar; null when it is the day of the sale. Plugins may date and
// post the sale's documents on it (Xero: "invoice dated on the service date").
export const sales0011: Migration = {
  name: '0011_service_date',
  async up(db: Knex) {
    await db.schema.alterTable('sales', (t) => {
      t.string('service_date', 10).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('sales', (t) => {
      t.dropColumn('service_date');
    });
  },
};
