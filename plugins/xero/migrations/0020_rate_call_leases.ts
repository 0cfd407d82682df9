import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// The rate budget's lease lives on its call's row (issue 16): xero_rate_calls.lease_until is when the slot
// comes back if nobody releases it (0 once released), so one INSERT records the call and takes the slot, and
// "in flight" is the tenant's rows whose lease_until is still ahead. xero_rate_leases goes: its rows only
// lived for one HTTP call, so none is worth carrying over (a call in flight during the deploy keeps its
// minute/day row; only its concurrency slot is forgotten, and Xero's 429 for "concurrent" still holds us back).
// The rows' shape is otherwise unchanged: the coalescing window and the dashboard read `at` as before.
export const xero0020RateCallLeases: Migration = {
  name: '0020_rate_call_leases',
  async up(db: Knex) {
    await db.schema.alterTable('xero_rate_calls', (t) => {
      t.bigInteger('lease_until').notNullable().defaultTo(0);
      t.index(['tenant_key', 'lease_until'], 'xero_rate_calls_tenant_lease');
    });
    await db.schema.dropTableIfExists('xero_rate_leases');
  },
  async down(db: Knex) {
    await db.schema.createTable('xero_rate_leases', (t) => {
      t.increments('id');
      t.string('tenant_key', 96).notNullable();
      t.string('owner', 160).notNullable();
      t.bigInteger('expires_at').notNullable();
      t.index(['tenant_key', 'expires_at']);
    });
    await db.schema.alterTable('xero_rate_calls', (t) => {
      t.dropIndex(['tenant_key', 'lease_until'], 'xero_rate_calls_tenant_lease');
      t.dropColumn('lease_until');
    });
  },
};
