// `npm run cli -- <command>`: admin tasks for headless installs. Each area registers its own commands.
import { Command } from 'commander';
import { bootHost, loadAllConfig, type BootedHost } from './boot';
import { createDb, type Db } from './db/knex';
import { migrateLatest } from './db/migrate';
import { pluginMigrationOwners, sealedColumnsOf } from './plugins/registry';
import type { SealedColumnRegistry } from './secrets';
import { HOST_SEALED_COLUMNS } from './secrets/hostColumns';
import { createLogger, type Logger } from './logger';
import { ConfigError, AppError, ValidationError } from './errors';
import type { AppConfig } from './config';
import { installedPlugins } from './plugins/installed';
import { registerUserCommands } from './cli/users';
import { registerOutboxCommands } from './cli/outbox';
import { registerSecretCommands } from './cli/secrets';

export interface CliDeps {
  config: AppConfig;
  db: Db;
  logger: Logger;
  sealedColumns: SealedColumnRegistry;
}

let deps: CliDeps | undefined;
/** Opened on first use, so `--help` works without a database. Migrations run first, as at start. */
async function getDeps(): Promise<CliDeps> {
  if (deps) return deps;
  const { config } = loadAllConfig(process.env, installedPlugins);
  const logger = createLogger({ level: process.env.LOG_LEVEL ?? 'warn' });
  const db = createDb(config.database);
  await migrateLatest(db, pluginMigrationOwners(installedPlugins));
  deps = { config, db, logger, sealedColumns: sealedColumnsOf(installedPlugins, HOST_SEALED_COLUMNS) };
  return deps;
}

const program = new Command()
  .name('ledgerbridge')
  .description('Ledgerbridge administration: users, tokens, organisations, the outbox and Xero connections.')
  .showHelpAfterError();

program
  .command('db:migrate')
  .description('Apply pending database migrations (host and plugins), as the server does at start.')
  .action(async () => {
    const { config } = loadAllConfig(process.env, installedPlugins);
    const db = createDb(config.database);
    try {
      const applied = await migrateLatest(db, pluginMigrationOwners(installedPlugins));
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Already up to date.');
    } finally {
      await db.destroy();
    }
  });

registerUserCommands(program, getDeps);
registerOutboxCommands(program, getDeps);
registerSecretCommands(program, getDeps);

// Plugin commands get their plugin's full context; the host is booted only when one runs.
let booted: BootedHost | undefined;
for (const plugin of installedPlugins) {
  plugin.cli?.(program, async () => {
    booted ??= await bootHost({ plugins: installedPlugins, logger: createLogger({ level: process.env.LOG_LEVEL ?? 'warn' }) });
    const loaded = booted.deps.plugins.plugins.find((p) => p.definition.id === plugin.id);
    if (!loaded) throw new Error(`plugin ${plugin.id} did not load`);
    return loaded.context;
  });
}

function explain(err: unknown): string {
  if (err instanceof ValidationError) return `${err.message}:\n${err.issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n')}`;
  if (err instanceof AppError) return err.help ? `${err.message}\n${err.help}` : err.message;
  if (err instanceof ConfigError) return err.message;
  return err instanceof Error ? err.message : String(err);
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`Error: ${explain(err)}`);
  process.exitCode = 1;
} finally {
  if (deps) await deps.db.destroy();
  if (booted) await booted.close();
}
