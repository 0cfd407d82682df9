import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// sale_lines.kind: what a line is — 'item' (what was sold; every line before this), 'tip' (a gratuity the
// customer added) or 'service_charge' (a charge on top of the bill). Plugins post tips and service charges
// to their own account and tax rate (a tip is commonly outside the scope of VAT).
export const sales0011TipLines: Migration = {
  name: '0011_tip_lines',
  async up(db: Knex) {
    await db.schema.alterTable('sale_lines', (t) => {
      t.string('kind', 20).notNullable().defaultTo('item');
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('sale_lines', (t) => {
      t.dropColumn('kind');
    });
  },
};
