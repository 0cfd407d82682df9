import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_send_marks: "a request that may have created this step in Xero went out for this outbox item, and
// no definite answer was recorded" (sync/sendMarks.ts). Written after the rate budget granted the call and
// before the request, cleared on a definite answer. The next attempt looks the record up in Xero only when
// its mark is there, instead of on every retry: a batch the rate budget deferred before sending anything
// costs no look-up. Steps: invoice | payment | credit_note | allocation | refund_payment.
//
// Upgrading: items that already made an attempt under the old rule (look up on every retry) may have sent
// without a mark; they get one now, so nothing that could have landed is sent again without a look-up.
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
    const steps: [string, string[]][] = [
      ['xero.invoice.push', ['invoice']],
      ['xero.payment.push', ['payment']],
      ['xero.creditnote.push', ['credit_note', 'allocation', 'refund_payment']],
    ];
    for (const [type, marks] of steps) {
      for (const step of marks) {
        await db.raw(
          `INSERT INTO xero_send_marks (outbox_item_id, step, org_id, marked_at)
           SELECT id, ?, org_id, updated_at FROM outbox WHERE type = ? AND status <> 'done' AND attempts > 0 AND org_id IS NOT NULL`,
          [step, type],
        );
      }
    }
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_send_marks');
  },
};
