import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_send_marks: "a request that may have created this step in Xero went out for this outbox item, and
// no definite answer was recorded" (sync/sendMarks.ts). Written after the rate budget granted the call and
// before the request, cleared on a definite answer. The next attempt looks the record up in Xero only when
// its mark is there, instead of on every retry: a batch the rate budget deferred before sending anything
// costs no look-up. Steps: invoice | payment | credit_note | allocation | refund_payment.
//
// Upgrading: items that already made an attempt under the old rule (look up on every retry) may have sent
// without a mark. This step used to mark them from the outbox; a plugin reads no host table, so 0007 now
// keeps when marks started instead, and items created before then look up on every retry as they did.
export const xero0006: Migration = {
  name: '0006_send_marks',
  async up(db: Knex) {
    await db.schema.createTable('xero_send_marks', (t) => {
      t.integer('outbox_item_id').notNullable();
      t.string('step', 24).notNullable();
      t.integer('org_id').notNullable();
      t.bigInteger('marked_at').notNullable();
      t.primary(['outbox_item_id', 'step']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_send_marks');
  },
};
