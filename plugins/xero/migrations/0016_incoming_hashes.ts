import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_content_hashes (issue 15): per invoice we wrote, the hash of its content as Xero answered our own
// write (gateway/contentHash.ts), and after that as last seen. An incoming event whose read-back hashes the
// same is our own write echoing back; a different hash is a change someone made in Xero to our record (the
// sale's invoice record then says so). total_cents: the invoice's Total at that moment, for saying what changed.
export const xero0016: Migration = {
  name: '0016_incoming_hashes',
  async up(db: Knex) {
    await db.schema.createTable('xero_content_hashes', (t) => {
      t.integer('org_id').notNullable();
      t.string('record_type', 24).notNullable();
      t.string('xero_id', 64).notNullable();
      t.string('content_hash', 64).notNullable();
      t.bigInteger('total_cents').nullable();
      // 'ours': what our own write made it; 'xero': a change made in Xero, seen by the incoming handler.
      t.string('source', 8).notNullable();
      t.bigInteger('updated_at').notNullable();
      t.primary(['org_id', 'record_type', 'xero_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_content_hashes');
  },
};
