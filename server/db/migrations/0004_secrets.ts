import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Per-organisation data keys, stored only wrapped (AES-256-GCM) by the master key.
// key_id is random, never a counter: a key created inside a transaction that rolls back can never have
// its id reused by a different key, so a process that cached it can never open with the wrong key.
// Retired keys are kept: values sealed with them by a concurrent writer during a rotation stay readable.
export const secrets0004: Migration = {
  name: '0004_secrets',
  async up(db: Knex) {
    await db.schema.createTable('org_data_keys', (t) => {
      t.increments('id'); // creation order: the newest unretired key is the one that seals
      t.integer('org_id').notNullable().references('organisations.id');
      t.string('key_id', 32).notNullable();
      t.text('wrapped_key').notNullable();
      t.string('master_key_id', 16).notNullable(); // fingerprint of the master key that wrapped it
      t.bigInteger('created_at').notNullable();
      t.bigInteger('retired_at').nullable();
      t.unique(['org_id', 'key_id']);
      t.index(['org_id', 'retired_at']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('org_data_keys');
  },
};
