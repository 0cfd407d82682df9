import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// The admin's Xero coding: one row per setting, (org_id, kind, key) unique — e.g. ('category_tax',
// 'swim', 'ZERORATEDOUTPUT'), ('method_account', 'stripe', '090'), ('default_sales_account', '', '200').
// Rows rather than one JSON document per organisation: each mapping keeps who changed it and when (the
// audit question is "who sent swimming to 260?"), a save touches only what changed, and the sync reads
// an organisation's few dozen rows in one indexed query. A save replaces the organisation's set in one
// transaction, so a reader never sees half of a save.
export const xero0003: Migration = {
  name: '0003_mappings',
  async up(db: Knex) {
    await db.schema.createTable('xero_mappings', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('kind', 40).notNullable();
      // Category, payment method, tax code or tax type; '' for organisation-wide settings.
      t.string('key', 120).notNullable().defaultTo('');
      t.text('value').notNullable();
      t.string('updated_by', 64).notNullable();
      t.bigInteger('updated_at').notNullable();
      t.unique(['org_id', 'kind', 'key']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_mappings');
  },
};
