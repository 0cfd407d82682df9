import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// - xero_sync_schedule: real time (no row, the default) or once a day at `hour` in the organisation's time
//   zone. Its own table, not xero_mappings rows: a mappings save replaces that whole set.
// - xero_backfills: one history import (sales from `from_at` to `until_at`), resumable from `cursor_sale_id`
//   (the last sale whose items were enqueued). `lease_until` says a process is enqueueing pages right now;
//   once it lapses (the process died), the import can be resumed.
// - xero_backfill_items: the outbox items an import enqueued or found already there, so its progress is
//   read from the outbox itself (done / dead / waiting) rather than from counters that could drift.
export const xero0004: Migration = {
  name: '0004_schedule_backfill',
  async up(db: Knex) {
    await db.schema.createTable('xero_sync_schedule', (t) => {
      t.integer('org_id').primary();
      t.string('mode', 16).notNullable(); // realtime | daily
      t.integer('hour').notNullable().defaultTo(23);
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
    });
    await db.schema.createTable('xero_backfills', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.bigInteger('from_at').notNullable();
      t.bigInteger('until_at').notNullable();
      t.string('status', 12).notNullable(); // running | done | failed | cancelled
      t.integer('cursor_sale_id').notNullable().defaultTo(0);
      t.integer('sales_total').notNullable().defaultTo(0);
      t.integer('sales_done').notNullable().defaultTo(0);
      // Records already synced before the import (no item needed): counted as done.
      t.integer('already_synced').notNullable().defaultTo(0);
      t.text('error').nullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('lease_until').notNullable().defaultTo(0);
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('finished_at').nullable();
      t.index(['org_id', 'id']);
    });
    await db.schema.createTable('xero_backfill_items', (t) => {
      t.integer('backfill_id').notNullable();
      t.integer('outbox_item_id').notNullable();
      t.primary(['backfill_id', 'outbox_item_id']);
    });
  },
  async down(db: Knex) {
    for (const table of ['xero_backfill_items', 'xero_backfills', 'xero_sync_schedule']) await db.schema.dropTableIfExists(table);
  },
};
