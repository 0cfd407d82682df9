import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// One row per connection attempt, never deleted: switching mode or tenant ends the old row and starts
// a new one, so the history stays. At most one live (ended_at IS NULL) connection per organisation.
// Secrets are sealed (AES-256-GCM under the organisation's data key): *_sealed columns.
export const xero0001: Migration = {
  name: '0001_connections',
  async up(db: Knex) {
    await db.schema.createTable('xero_certificates', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.text('certificate_pem').notNullable();
      t.text('private_key_sealed').notNullable();
      t.string('fingerprint_sha1', 64).notNullable();
      t.string('serial_number', 64).notNullable();
      t.bigInteger('not_before').notNullable();
      t.bigInteger('not_after').notNullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('retired_at').nullable();
      t.index(['org_id', 'retired_at']);
    });

    await db.schema.createTable('xero_connections', (t) => {
      t.increments('id');
      t.integer('org_id').notNullable();
      t.string('mode', 24).notNullable(); // private_app | oauth2 | custom_connection
      // choosing_tenant | connected | needs_reauth | ended
      t.string('status', 24).notNullable();
      t.string('tenant_id', 64).nullable();
      t.string('tenant_name', 255).nullable();
      t.string('tenant_currency', 3).nullable();
      t.text('scopes').nullable();
      t.string('consumer_key', 128).nullable();
      t.text('consumer_secret_sealed').nullable();
      t.integer('certificate_id').nullable();
      t.text('access_token_sealed').nullable();
      t.text('refresh_token_sealed').nullable();
      t.bigInteger('access_expires_at').nullable();
      t.bigInteger('refresh_issued_at').nullable();
      // Compare-and-swap guard for token refresh across processes.
      t.integer('token_version').notNullable().defaultTo(0);
      t.string('refresh_lock_owner', 128).nullable();
      t.bigInteger('refresh_lock_until').nullable();
      t.string('xero_connection_id', 64).nullable();
      t.text('pending_tenants').nullable();
      t.bigInteger('last_success_at').nullable();
      t.text('last_error').nullable();
      t.bigInteger('last_error_at').nullable();
      t.integer('rate_min_remaining').nullable();
      t.integer('rate_day_remaining').nullable();
      t.integer('rate_app_min_remaining').nullable();
      t.bigInteger('rate_reported_at').nullable();
      t.string('created_by', 64).notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('ended_at').nullable();
      t.string('end_reason', 255).nullable();
      t.index(['org_id', 'status']);
    });
    await db.raw('CREATE UNIQUE INDEX xero_connections_one_live_per_org ON xero_connections (org_id) WHERE ended_at IS NULL');

    // OAuth2 authorisation requests in flight: state → who started it, the PKCE verifier (sealed), nonce.
    await db.schema.createTable('xero_oauth_states', (t) => {
      t.string('state', 128).primary();
      t.integer('org_id').notNullable();
      t.integer('user_id').notNullable();
      t.text('code_verifier_sealed').notNullable();
      t.string('nonce', 128).notNullable();
      t.text('scopes').notNullable();
      t.bigInteger('created_at').notNullable();
      t.bigInteger('expires_at').notNullable();
      t.bigInteger('used_at').nullable();
    });
  },
  async down(db: Knex) {
    await db.schema.dropTableIfExists('xero_oauth_states');
    await db.schema.dropTableIfExists('xero_connections');
    await db.schema.dropTableIfExists('xero_certificates');
  },
};
