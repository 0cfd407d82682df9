import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// The sync log names things as people do (issue 14):
//  - xero_audit.actor: who acted, as they were named when they acted ("Ada Lovelace (ada@example.com)"),
//    beside triggered_by ('user:<id>'), so the log shows a person the same way on every page, and the
//    rows a worker later writes for that person's request (same triggered_by) show them too.
//  - xero_records(org_id, xero_id), xero_payout_steps(org_id, xero_id): the log replaces the Xero ids in its messages with the record's number
//    ("INV-0042") or reference, reading them by id for each page.
export const xero0018Log: Migration = {
  name: '0018_log',
  async up(db: Knex) {
    await db.schema.alterTable('xero_audit', (t) => {
      t.string('actor', 400).nullable();
    });
    await db.schema.alterTable('xero_records', (t) => {
      t.index(['org_id', 'xero_id'], 'xero_records_org_xero_id');
    });
    await db.schema.alterTable('xero_payout_steps', (t) => {
      t.index(['org_id', 'xero_id'], 'xero_payout_steps_org_xero_id');
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('xero_payout_steps', (t) => {
      t.dropIndex(['org_id', 'xero_id'], 'xero_payout_steps_org_xero_id');
    });
    await db.schema.alterTable('xero_records', (t) => {
      t.dropIndex(['org_id', 'xero_id'], 'xero_records_org_xero_id');
    });
    await db.schema.alterTable('xero_audit', (t) => {
      t.dropColumn('actor');
    });
  },
};
