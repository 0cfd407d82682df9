// Many "insert, or update these columns on conflict" rows in as few statements as both databases allow: a
// worker's batch of 50 records is one INSERT … ON CONFLICT DO UPDATE, not 50. The result is the same as
// upserting the rows one by one, in order:
//   - a row updates only its own `update` columns, set to its own values (EXCLUDED.<column>), so rows that
//     update different columns (a field left as stored) go in different statements;
//   - PostgreSQL refuses a statement that touches one row twice ("ON CONFLICT DO UPDATE command cannot affect
//     row a second time"), so a key's second row goes in a later statement than its first;
//   - SQLite binds at most 999 values a statement, so a long list goes in chunks.
import type { Queryable } from './knex';

export interface UpsertRow {
  /** The row as inserted when its key is new. */
  values: Record<string, unknown>;
  /** The columns an existing row takes from `values` (the others keep what is stored). */
  update: readonly string[];
}

/** SQLite's default SQLITE_MAX_VARIABLE_NUMBER, kept below with room to spare. */
const MAX_BINDINGS = 900;

export async function upsertMany(db: Queryable, table: string, conflict: readonly string[], rows: readonly UpsertRow[]): Promise<void> {
  if (rows.length === 0) return;
  // Round n holds each key's n-th row; within a round, rows with the same columns share statements.
  const seen = new Map<string, number>();
  const rounds: Map<string, UpsertRow[]>[] = [];
  for (const row of rows) {
    const key = JSON.stringify(conflict.map((c) => row.values[c]));
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    const shape = `${Object.keys(row.values).sort().join(',')}|${[...row.update].sort().join(',')}`;
    const groups = (rounds[round] ??= new Map());
    const group = groups.get(shape);
    if (group) group.push(row);
    else groups.set(shape, [row]);
  }
  for (const groups of rounds) {
    for (const group of groups.values()) {
      const perStatement = Math.max(1, Math.floor(MAX_BINDINGS / Math.max(1, Object.keys(group[0]!.values).length)));
      for (let i = 0; i < group.length; i += perStatement) {
        const chunk = group.slice(i, i + perStatement);
        const insert = db(table).insert(chunk.map((r) => r.values)).onConflict([...conflict]);
        await (chunk[0]!.update.length > 0 ? insert.merge([...chunk[0]!.update]) : insert.ignore());
      }
    }
  }
}
