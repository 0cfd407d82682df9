import type { Knex } from 'knex';
import type { Migration } from '../migrate';

// Failed logins, one row each, so every web process of an install counts the same failures.
// scope 'ip' keys by client IP; scope 'email_ip' by `<email>|<ip>`. Rows older than the window are pruned.
export const auth0003: Migration = {
  name: '0003_auth_login_throttle',
  async up(db: Knex) {
    await db.schema.createTable('login_failures', (t) => {
      t.increments('id');
      t.string('scope', 16).notNullable();
      t.string('key', 400).notNullable();
      t.bigInteger('failed_at').notNullable();
      t.index(['scope', 'key', 'failed_at']);
      t.index(['failed_at']);
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('login_failures');
  },
};
