import type { Knex } from 'knex';
import type { Db } from './knex';
import { coreMigrations } from './migrations';

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

/** Host migrations first, then each plugin's, in registration order. */
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

export async function migrateLatest(db: Db, pluginOwners: MigrationOwner[] = []): Promise<string[]> {
  const source = new OwnedMigrationSource([{ id: 'host', migrations: coreMigrations }, ...pluginOwners]);
  const [, applied] = (await db.migrate.latest({ migrationSource: source, tableName: 'knex_migrations' })) as [number, string[]];
  return applied;
}
