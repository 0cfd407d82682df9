// The PostgreSQL NOTIFY channel of one outbox table. Several installs (and every test schema) can share
// one PostgreSQL database, so the default channel carries the schema the connection works in:
// a NOTIFY for one schema's outbox must not wake another schema's workers.
import type { Queryable } from '../db/knex';

const BASE = 'ledgerbridge_outbox';
/** PostgreSQL truncates identifiers at 63 bytes; keep whole names distinct by staying below that. */
const MAX_IDENTIFIER = 63;

export function outboxChannelName(db: Queryable): string {
  const schema = schemaOf(db);
  return sanitize(schema ? `${BASE}_${schema}` : BASE);
}

/** Lower-case letters, digits and underscores only, so it can be quoted safely in LISTEN. */
export function sanitize(channel: string): string {
  const clean = channel.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (clean.length === 0) throw new Error('outbox channel name is empty');
  return clean.slice(0, MAX_IDENTIFIER);
}

/** The first schema of the connection's search_path, from knex's `searchPath` or libpq's `options=-c search_path=…`. */
function schemaOf(db: Queryable): string | undefined {
  const config = db.client.config as { searchPath?: string | string[]; connection?: unknown };
  if (config.searchPath) return firstSchema(Array.isArray(config.searchPath) ? config.searchPath.join(',') : config.searchPath);
  const connection = config.connection;
  const options =
    typeof connection === 'string'
      ? optionsFromUrl(connection)
      : typeof connection === 'object' && connection !== null
        ? ((connection as { options?: string; connectionString?: string }).options ??
          optionsFromUrl((connection as { connectionString?: string }).connectionString))
        : undefined;
  const match = options ? /search_path\s*=\s*([^\s]+)/.exec(options) : null;
  return match?.[1] ? firstSchema(match[1]) : undefined;
}

function optionsFromUrl(url: string | undefined): string | undefined {
  if (!url || !/^postgres(ql)?:\/\//.test(url)) return undefined;
  try {
    return new URL(url).searchParams.get('options') ?? undefined;
  } catch {
    return undefined;
  }
}

function firstSchema(searchPath: string): string | undefined {
  const first = searchPath.split(',')[0]?.trim().replace(/^"|"$/g, '');
  return first && first !== '$user' ? first : undefined;
}
