import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_receipt_attachments: "this invoice in Xero carries the sale's receipt" (sync/receipts/attach.ts).
// Written once Xero answered the upload (or the receipt was found already attached, after a crash between
// the upload and this row), so a resend, a retry or a second item never uploads it again.
export const xero0015: Migration = {
  name: '0015_attachments',
  async up(db: Knex) {
    await db.schema.createTable('xero_receipt_attachments', (t) => {
      t.integer('org_id').notNullable();
      t.string('invoice_id', 64).notNullable();
      t.integer('sale_id').notNullable();
      t.string('attachment_id', 64).notNullable();
      t.string('file_name', 120).notNullable();
      t.bigInteger('attached_at').notNullable();
      t.primary(['org_id', 'invoice_id']);
      t.index(['org_id', 'sale_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_receipt_attachments');
  },
};
