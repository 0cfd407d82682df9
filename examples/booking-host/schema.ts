// The booking system's own tables, in its own knex migrations (knex_migrations, its default): venues, their
// staff, guests, bookings with their items, payments and refunds, and login sessions. Nothing here knows
// Ledgerbridge; Ledgerbridge adds tables of its own beside these (ledgerbridge.migrate()).
// Money is whole pence (integers) in the venue's currency; times are epoch milliseconds.
import type { Knex } from 'knex';

const migrations: Record<string, { up(db: Knex): Promise<void>; down(db: Knex): Promise<void> }> = {
  '001_bookings': {
    async up(db) {
      await db.schema.createTable('venues', (t) => {
        t.increments('id');
        t.string('name', 200).notNullable();
        t.string('currency', 3).notNullable();
        t.string('time_zone', 64).notNullable();
      });
      await db.schema.createTable('staff', (t) => {
        t.increments('id');
        t.integer('venue_id').notNullable().references('venues.id');
        t.string('email', 320).notNullable().unique();
        t.string('name', 200).notNullable();
        t.string('role', 16).notNullable(); // owner | desk | bookkeeper
        t.string('password_hash', 200).notNullable();
      });
      await db.schema.createTable('guests', (t) => {
        t.increments('id');
        t.integer('venue_id').notNullable().references('venues.id');
        t.string('name', 200).notNullable();
        t.string('email', 320).nullable();
        t.index(['venue_id', 'email']);
      });
      await db.schema.createTable('bookings', (t) => {
        t.increments('id');
        t.integer('venue_id').notNullable().references('venues.id');
        t.integer('guest_id').notNullable().references('guests.id');
        t.string('code', 20).nullable().unique(); // BK-000123, given once the id is known
        t.bigInteger('total_pence').notNullable();
        t.bigInteger('booked_at').notNullable();
        t.index(['venue_id', 'booked_at']);
      });
      await db.schema.createTable('booking_items', (t) => {
        t.increments('id');
        t.integer('booking_id').notNullable().references('bookings.id');
        t.integer('line_no').notNullable();
        t.string('label', 500).notNullable();
        t.integer('qty').notNullable();
        t.bigInteger('unit_pence').notNullable();
        t.string('category', 50).notNullable();
        t.index(['booking_id']);
      });
      await db.schema.createTable('booking_payments', (t) => {
        t.increments('id');
        t.integer('booking_id').notNullable().references('bookings.id');
        t.string('method', 32).notNullable(); // cash | card, or a provider's (stripe)
        t.bigInteger('pence').notNullable();
        t.string('currency', 3).notNullable();
        t.string('external_ref', 255).nullable(); // the provider's charge id: one payment per charge
        t.bigInteger('paid_at').notNullable();
        t.unique(['method', 'external_ref']);
        t.index(['booking_id']);
      });
      await db.schema.createTable('booking_refunds', (t) => {
        t.increments('id');
        t.integer('booking_id').notNullable().references('bookings.id');
        t.bigInteger('pence').notNullable();
        t.string('currency', 3).notNullable();
        t.string('method', 32).nullable(); // null: nothing paid back, the guest simply owes less
        t.string('reason', 500).nullable();
        t.bigInteger('refunded_at').notNullable();
        t.index(['booking_id']);
      });
      // Columns as connect-session-knex expects them.
      await db.schema.createTable('booking_sessions', (t) => {
        t.string('sid', 255).primary();
        t.text('sess').notNullable();
        t.timestamp('expired', { useTz: true }).notNullable().index();
      });
    },
    async down(db) {
      for (const table of ['booking_sessions', 'booking_refunds', 'booking_payments', 'booking_items', 'bookings', 'guests', 'staff', 'venues']) {
        await db.schema.dropTableIfExists(table);
      }
    },
  },
};

const source: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};

/**
 * The booking system's migrations, recorded in knex's default table as any knex app's would be. A web and a
 * worker process starting together both migrate: the second waits for the first's lock instead of failing.
 */
export async function migrateBookings(db: Knex): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate.latest({ migrationSource: source });
      return;
    } catch (err) {
      if (attempt >= 30 || !/already locked/i.test((err as Error).message)) throw err;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
}
