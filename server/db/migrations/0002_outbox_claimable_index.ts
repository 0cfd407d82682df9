import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Claims look for the oldest live item (pending, or leased with an expired lease). Done items pile up
// until purged; without this partial index, PostgreSQL sorts every live row on each claim or walks the
// history. With it, a claim reads the live items in id order and stops at the first eligible one.
// Both SQLite and PostgreSQL support partial indexes; the claim query repeats the predicate verbatim.
export const outbox0002: Migration = {
  name: '0002_outbox_claimable_index',
  async up(db: Knex) {
    await db.raw(`CREATE INDEX outbox_claimable_idx ON outbox (id) WHERE status IN ('pending', 'leased')`);
  },
  async down(db: Knex) {
    await db.raw('DROP INDEX IF EXISTS outbox_claimable_idx');
  },
};
