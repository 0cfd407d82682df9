import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_send_marks_start: when send marks (0006, sync/sendMarks.ts) started on an install that was already
// syncing. Its items created before then made their attempts under the old rule (look up in Xero on every
// retry) and may have sent without a mark, so their retries still look up: nothing that could have landed
// is sent again without a look-up. One row, or none on an install that had never connected Xero (nothing
// of it predates the marks). An install that ran 0006 when it still copied marks from the outbox gets the
// row too: a look-up more on an old item's retry, never one fewer.
export const xero0007: Migration = {
  name: '0007_send_marks_start',
  async up(db: Knex) {
    await db.schema.createTable('xero_send_marks_start', (t) => {
      t.bigInteger('started_at').notNullable();
    });
    if (await db('xero_connections').first('id')) await db('xero_send_marks_start').insert({ started_at: Date.now() });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_send_marks_start');
  },
};
