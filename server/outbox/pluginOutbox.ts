// The outbox as one plugin sees it (the contract's PluginOutbox): every read and change is limited to that
// plugin's own item types, so a plugin can neither see nor move another's work, and needs no SQL on the
// host's table. The queries mirror what the plugins' pages, sweeps and imports need, nothing more.
import type { Knex } from 'knex';
import type { Queryable } from '../db/knex';
import { isPostgres, nowMs } from '../db/knex';
import type { OutboxItemFilter, OutboxItemState, PluginOutbox } from '../plugins/contract';
import type { OutboxStatus, OutboxWriter } from './types';
import { OUTBOX_TABLE, type OutboxRow } from './rows';
import { completeInTrx } from './transitions';
import { retryItems } from './admin';

/** SQLite binds at most 999 parameters a statement: long id lists go in chunks of this size. */
const CHUNK = 500;

export function createPluginOutbox(pluginId: string, writer: OutboxWriter): PluginOutbox {
  const prefix = `${pluginId}.`;
  const own = (type: string): string => {
    if (!type.startsWith(prefix)) throw new Error(`plugin ${pluginId}: outbox type "${type}" is not its own (must start with "${prefix}")`);
    return type;
  };
  // The plugin's rows only: plugin_id is stamped from the type prefix at enqueue (writer.ts).
  const scoped = (db: Queryable, types?: readonly string[]): Knex.QueryBuilder => {
    const q = db(OUTBOX_TABLE).where('plugin_id', pluginId);
    if (types) q.whereIn('type', types.map(own));
    return q;
  };
  const applyFilter = (q: Knex.QueryBuilder, f: Omit<OutboxItemFilter, 'types' | 'ids' | 'dedupeKeys'>): Knex.QueryBuilder => {
    if (f.orgId !== undefined) q.where('org_id', f.orgId);
    if (f.excludeTypes?.length) q.whereNotIn('type', [...f.excludeTypes]);
    if (f.statuses) q.whereIn('status', [...f.statuses]);
    if (f.excludeStatuses?.length) q.whereNotIn('status', [...f.excludeStatuses]);
    if (f.subject !== undefined) q.where('subject', f.subject);
    return q;
  };

  return {
    enqueue(trx, item) {
      own(item.type);
      return writer.enqueue(trx, item);
    },

    enqueueMany(trx, items) {
      for (const item of items) own(item.type);
      return writer.enqueueMany(trx, items);
    },

    async resumePaused(db, filter) {
      const now = nowMs();
      const n = await scoped(db, filter.types).where({ status: 'paused', org_id: filter.orgId }).update({ status: 'pending', available_at: now, updated_at: now });
      return Number(n);
    },

    async retry(db, filter) {
      if ('ids' in filter) {
        // Only this plugin's items move, whatever ids were asked for.
        let moved = 0;
        for (let i = 0; i < filter.ids.length; i += CHUNK) {
          const ids = (await scoped(db).whereIn('id', filter.ids.slice(i, i + CHUNK)).pluck('id')).map(Number);
          moved += await retryItems(db, { ids });
        }
        return moved;
      }
      let moved = 0;
      for (const type of filter.types ?? (await scoped(db).where({ org_id: filter.orgId, status: filter.status }).distinct('type').pluck('type'))) {
        moved += await retryItems(db, { status: filter.status, orgId: filter.orgId, type: own(String(type)) });
      }
      return moved;
    },

    async completeInTransaction(trx, itemIds, workerId) {
      await completeInTrx(trx, itemIds.map((id) => ({ id })), workerId);
    },

    async list(db, filter) {
      const rows: OutboxRow[] = [];
      const run = async (extra: (q: Knex.QueryBuilder) => void) => {
        const q = applyFilter(scoped(db, filter.types), filter);
        extra(q);
        q.orderBy('id', filter.order ?? 'desc');
        if (filter.limit !== undefined) q.limit(filter.limit);
        rows.push(...((await q.select('*')) as OutboxRow[]));
      };
      if (filter.ids && !Array.isArray(filter.ids)) {
        const ids = filter.ids as Knex.QueryBuilder;
        await run((q) => q.whereIn('id', ids));
      } else if (filter.ids || filter.dedupeKeys) {
        const [column, values] = filter.ids ? ['id', filter.ids as readonly number[]] as const : ['dedupe_key', filter.dedupeKeys!] as const;
        for (let i = 0; i < values.length; i += CHUNK) await run((q) => q.whereIn(column, values.slice(i, i + CHUNK) as (string | number)[]));
      } else {
        await run(() => undefined);
      }
      // Chunks each ran their own order and limit: merge them.
      const desc = (filter.order ?? 'desc') === 'desc';
      rows.sort((a, b) => (desc ? Number(b.id) - Number(a.id) : Number(a.id) - Number(b.id)));
      return rows.slice(0, filter.limit ?? rows.length).map(stateOf);
    },

    async countByStatus(db, filter) {
      const q = applyFilter(scoped(db, filter.types), filter);
      if (filter.ids) q.whereIn('id', filter.ids as number[] | Knex.QueryBuilder);
      if (filter.dedupeKeys) q.whereIn('dedupe_key', [...filter.dedupeKeys]);
      const rows = (await q.groupBy('status').select('status').count({ n: '*' })) as { status: OutboxStatus; n: number | string }[];
      return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
    },

    async queueState(db, filter) {
      // Through outbox_claim_batch_idx (type, COALESCE(org_id, -1), id; live items only), so another
      // organisation's backlog is never walked: SQLite, left to choose, took the (type, status, available_at)
      // index and read all of it (8 ms a sale behind 100,000 items). Named for SQLite as claim.ts does.
      const table = isPostgres(db) ? OUTBOX_TABLE : db.raw(`${OUTBOX_TABLE} INDEXED BY outbox_claim_batch_idx`);
      const pending = () => db.from(table)
        .where('plugin_id', pluginId)
        .where('type', own(filter.type))
        .whereRaw('COALESCE(org_id, -1) = ?', [filter.orgId])
        .whereRaw("status IN ('pending', 'leased')")
        .andWhere('status', 'pending');
      if (await pending().andWhere('available_at', '<=', filter.now).first('id')) return { due: true, earliestHeld: null };
      const held = (await pending().andWhere('attempts', 0).andWhere('available_at', '>', filter.now)
        .andWhere('available_at', '<=', filter.heldUntil).min({ at: 'available_at' })) as { at: number | string | null }[];
      const at = held[0]?.at;
      return { due: false, earliestHeld: at === null || at === undefined ? null : Number(at) };
    },

    async waitingForWorker(db, filter) {
      if (filter.types.length === 0) return false;
      // Claimable only: an item held back by an earlier one of its subject that is not done (a dead invoice
      // before its refund's credit note) waits for a person, not a worker, and may wait for days.
      const due = scoped(db, filter.types).where('status', 'pending').andWhere('available_at', '<=', filter.dueBy);
      if (filter.orgId !== undefined) due.andWhere('org_id', filter.orgId);
      return Boolean(await due
        .andWhereRaw(`(subject IS NULL OR NOT EXISTS (SELECT 1 FROM ${OUTBOX_TABLE} p WHERE p.subject = ${OUTBOX_TABLE}.subject AND p.id < ${OUTBOX_TABLE}.id AND p.status <> 'done'))`)
        .first('id'));
    },

    async reschedule(trx, filter) {
      const now = nowMs();
      const waiting = scoped(trx, filter.types).where({ org_id: filter.orgId, status: 'pending', attempts: 0 });
      const n = filter.direction === 'earlier'
        ? await waiting.where('available_at', '>', filter.availableAt).update({ available_at: filter.availableAt, updated_at: now })
        : await waiting.where('available_at', '<', filter.availableAt).update({ available_at: filter.availableAt, updated_at: now });
      return Number(n);
    },
  };
}

function stateOf(row: OutboxRow): OutboxItemState {
  return {
    id: Number(row.id),
    orgId: row.org_id === null ? null : Number(row.org_id),
    type: row.type,
    subject: row.subject,
    dedupeKey: row.dedupe_key,
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    payload: typeof row.payload === 'string' ? (JSON.parse(row.payload) as unknown) : row.payload,
    availableAt: Number(row.available_at),
    updatedAt: Number(row.updated_at),
  };
}
