import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Fair claims (server/outbox/claim.ts) serve organisations in turn: a worker's next head is the oldest
// eligible item of the first organisation AFTER the one it served last, wrapping round. That is a walk in
// (organisation, id) order starting just past a key, which neither 0002 (id) nor 0006 (type, organisation,
// id: one range per type, not one ordered walk across a worker's types) gives. With this index the search
// seeks past the busy tenant instead of reading its backlog. Same partial predicate and COALESCE as 0006
// (the host's own items, org_id NULL, are organisation -1); claim.ts repeats both verbatim.
export const outbox0008: Migration = {
  name: '0008_outbox_claim_fair_index',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX outbox_claim_fair_idx ON outbox ((COALESCE(org_id, -1)), id) WHERE status IN ('pending', 'leased')`);
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX IF EXISTS outbox_claim_fair_idx');
  },
};
