import type { Knex } from 'knex';
import type { Db } from './knex';
import { coreMigrations } from './migrations';
import { runtimeMigrations } from '../runtime/migrations';

export interface Migration {
  /** Unique, sortable within its owner: `0001_core`. The owner's id is prefixed when stored. */
  name: string;
  up(db: Knex): Promise<void>;
  down?(db: Knex): Promise<void>;
}

export interface MigrationOwner {
  id: string;
  migrations: Migration[];
}

/** The Ledgerbridge runtime's tables (outbox, sync state, data keys, payouts, domain events). */
export const RUNTIME_MIGRATION_OWNER: MigrationOwner = { id: 'ledgerbridge', migrations: runtimeMigrations };

/** Owners in the order given (each one's migrations sorted by name). */
class OwnedMigrationSource implements Knex.MigrationSource<Migration & { fullName: string }> {
  constructor(private readonly owners: MigrationOwner[]) {}
  async getMigrations() {
    return this.owners.flatMap((o) =>
      [...o.migrations].sort((a, b) => a.name.localeCompare(b.name)).map((m) => ({ ...m, fullName: `${o.id}/${m.name}` })),
    );
  }
  getMigrationName(m: Migration & { fullName: string }) {
    return m.fullName;
  }
  async getMigration(m: Migration & { fullName: string }) {
    return { up: (db: Knex) => m.up(db), down: (db: Knex) => (m.down ? m.down(db) : Promise.resolve()) };
  }
}

/** Run the owners' pending migrations, recorded in `tableName`. */
export async function runMigrations(db: Db, owners: MigrationOwner[], opts: { tableName: string }): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource: new OwnedMigrationSource(owners), tableName: opts.tableName })) as [number, string[]];
  return applied;
}

/** Knex's migration lock makes a second process fail rather than wait; wait for it instead (up to ~15 s). */
export async function waitingForLock<T>(migrate: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrate();
    } catch (err) {
      if (attempt < 30 && /already locked/i.test(String((err as Error).message))) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw err;
    }
  }
}

/** Our host: its own migrations first, then the runtime's (a no-op here: the host's created its tables), then each plugin's. */
export async function migrateLatest(db: Db, pluginOwners: MigrationOwner[] = []): Promise<string[]> {
  return runMigrations(db, [{ id: 'host', migrations: coreMigrations }, RUNTIME_MIGRATION_OWNER, ...pluginOwners], { tableName: 'knex_migrations' });
}
