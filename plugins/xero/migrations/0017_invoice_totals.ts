import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_records.sub_total_cents / total_tax_cents / total_cents: an invoice's net, tax and total as Xero
// computed them (its SubTotal, TotalTax and Total, in Xero cents), kept when the invoice is created or read
// back, so the sale page shows the tax Xero charged rather than a figure we recomputed. Empty for records
// sent before this migration until Xero is next read for them, and for other record types.
// xero_connections.short_code: the connected organisation's ShortCode (GET /Organisation), so links into
// Xero's web app name the organisation (organisationlogin/default.aspx?shortcode=…&redirecturl=…) instead of
// opening in whichever organisation the person last used. Empty until the organisation is next read.
export const xero0017: Migration = {
  name: '0017_invoice_totals',
  async up(db: Knex) {
    await db.schema.alterTable('xero_records', (t) => {
      t.bigInteger('sub_total_cents').nullable();
      t.bigInteger('total_tax_cents').nullable();
      t.bigInteger('total_cents').nullable();
    });
    await db.schema.alterTable('xero_connections', (t) => {
      t.string('short_code', 20).nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.alterTable('xero_connections', (t) => {
      t.dropColumn('short_code');
    });
    await db.schema.alterTable('xero_records', (t) => {
      t.dropColumn('sub_total_cents');
      t.dropColumn('total_tax_cents');
      t.dropColumn('total_cents');
    });
  },
};
