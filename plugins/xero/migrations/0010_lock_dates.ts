import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_lock_dates: the organisation's lock dates as last read from Xero (GET /Organisation: PeriodLockDate,
// EndOfYearLockDate), read when Xero refuses a document dated inside them. A document dated on or before the
// later of the two is then posted on the first open day (or held for the admin, as the settings say) from
// the start, instead of being refused again.
export const xero0010LockDates: Migration = {
  name: '0010_lock_dates',
  async up(db: Knex) {
    await db.schema.createTable('xero_lock_dates', (t) => {
      t.integer('org_id').primary();
      t.string('period_lock_date', 10).nullable();
      t.string('end_of_year_lock_date', 10).nullable();
      t.bigInteger('read_at').notNullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_lock_dates');
  },
};
