import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// A claim takes the oldest eligible item (outbox_claimable_idx, 0002), then more of the SAME type and
// organisation after it. Walking 0002's index for those visits every live item of every other type and
// tenant on the way; this index goes straight to one type and organisation's live items in id order, so
// the batch costs its own size however long the queue is. org_id is wrapped in COALESCE so the host's own
// items (no organisation) are one equality too (IS NOT DISTINCT FROM cannot use an index on PostgreSQL);
// server/outbox/claim.ts repeats the expression and the predicate verbatim.
export const outbox0006: Migration = {
  name: '0006_outbox_claim_batch_index',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX outbox_claim_batch_idx ON outbox (type, (COALESCE(org_id, -1)), id) WHERE status IN ('pending', 'leased')`);
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX IF EXISTS outbox_claim_batch_idx');
  },
};
