import type { Knex } from 'knex';
import type { Migration } from '../../db/migrate';

// sync_records.note: what a person must do for a failed record to go through ("Mapping to fix: tax code
// STD → OUTPUT2 (Xero settings, Tax codes)"), kept apart from the error (what the other side said) so the
// sale page can show it as the next step. Added only where missing: an embedding host's table gets it the
// same way as ours.
export const runtime0002: Migration = {
  name: '0002_sync_record_note',
  async up(db: Knex) {
    if (await db.schema.hasColumn('sync_records', 'note')) return;
    await db.schema.alterTable('sync_records', (t) => {
      t.text('note').nullable();
    });
  },
  async down(db: Knex) {
    if (!(await db.schema.hasColumn('sync_records', 'note'))) return;
    await db.schema.alterTable('sync_records', (t) => {
      t.dropColumn('note');
    });
  },
};
