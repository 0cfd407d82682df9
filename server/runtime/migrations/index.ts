import type { Migration } from '../../db/migrate';
import { runtime0001 } from './0001_runtime_tables';
import { runtime0002 } from './0002_sync_record_note';

export { RUNTIME_TABLES } from './0001_runtime_tables';

/** The runtime's migrations, in order (owner `ledgerbridge`). A new file adds itself here. */
export const runtimeMigrations: Migration[] = [runtime0001, runtime0002];
