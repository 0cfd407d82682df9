import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_tax_types: the organisation's Xero tax rates as last read from Xero (the settings pages read them
// live; this keeps what they read). The sale API checks a line's tax code against them without calling
// Xero in a sale's transaction, and the sale form offers them: a code that is neither mapped on the
// settings page nor one of these is refused instead of making a sale whose invoice Xero will refuse.
export const xero0010: Migration = {
  name: '0010_tax_types',
  async up(db: Knex) {
    await db.schema.createTable('xero_tax_types', (t) => {
      t.integer('org_id').notNullable();
      t.string('tax_type', 50).notNullable();
      t.string('name', 150).notNullable();
      t.string('status', 20).notNullable();
      t.string('rate', 20).notNullable();
      t.boolean('can_apply_to_revenue').notNullable();
      t.bigInteger('read_at').notNullable();
      t.primary(['org_id', 'tax_type']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_tax_types');
  },
};
