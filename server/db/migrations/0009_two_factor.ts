import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Two-factor login (TOTP, RFC 6238). The secrets are sealed (server/secrets: AES-256-GCM under the
// organisation's data key) and re-sealed by `secrets:rotate-org`; never stored in clear.
//  - users.totp_secret: the enrolled secret; totp_enabled_at says since when it is required at login.
//  - users.totp_pending_secret: a secret being set up, until a code from it is confirmed.
//  - users.totp_last_step: the last time step a code was accepted for, so each code works once.
//  - two_factor_recovery_codes: one row per recovery code, SHA-256 only; used_at once used.
//  - organisations.require_admin_two_factor: admins must enrol before they can do anything else.
export const auth0009: Migration = {
  name: '0009_two_factor',
  async up(db: Knex) {
    await db.schema.alterTable('users', (t) => {
      t.text('totp_secret').nullable();
      t.text('totp_pending_secret').nullable();
      t.bigInteger('totp_enabled_at').nullable();
      t.bigInteger('totp_last_step').nullable();
    });
    await db.schema.alterTable('organisations', (t) => {
      t.boolean('require_admin_two_factor').notNullable().defaultTo(false);
    });
    await db.schema.createTable('two_factor_recovery_codes', (t) => {
      t.increments('id');
      t.integer('user_id').notNullable().references('users.id');
      t.string('code_hash', 64).notNullable().unique();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('used_at').nullable();
      t.index(['user_id']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('two_factor_recovery_codes');
    await db.schema.alterTable('organisations', (t) => {
      t.dropColumn('require_admin_two_factor');
    });
    await db.schema.alterTable('users', (t) => {
      t.dropColumn('totp_last_step');
      t.dropColumn('totp_enabled_at');
      t.dropColumn('totp_pending_secret');
      t.dropColumn('totp_secret');
    });
  },
};
