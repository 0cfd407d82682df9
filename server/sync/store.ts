// Where each host record's downstream copy stands, per plugin (sync_records). Plugins write through a
// store bound to their own id; the host reads every plugin's rows to show them on a sale.
import { nowMs, type Queryable } from '../db/knex';
import { upsertMany, type UpsertRow } from '../db/upsertMany';
import type { SyncEntityType, SyncRecord, SyncRecordFilter, SyncRecordUpdate, SyncStateStore, SyncStatus } from '../plugins/contract';

interface SyncRecordRow {
  id: number;
  org_id: number;
  plugin_id: string;
  entity_type: SyncEntityType;
  entity_id: number;
  record_type: string;
  status: SyncStatus;
  external_id: string | null;
  external_ref: string | null;
  error: string | null;
  note?: string | null;
  updated_at: number;
  synced_at: number | null;
}

const KEY_COLUMNS = ['plugin_id', 'entity_type', 'entity_id', 'record_type'];
const HOUR = 3_600_000;

function fromRow(row: SyncRecordRow): SyncRecord {
  return {
    pluginId: row.plugin_id,
    orgId: row.org_id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    recordType: row.record_type,
    status: row.status,
    externalId: row.external_id,
    externalRef: row.external_ref,
    error: row.error,
    note: row.note ?? null,
    updatedAt: Number(row.updated_at),
    syncedAt: row.synced_at === null ? null : Number(row.synced_at),
  };
}

/** The row to insert, and the columns an existing row takes from it (those the update says something about). */
function rowOf(pluginId: string, update: SyncRecordUpdate, now: number): UpsertRow {
  const synced = update.status === 'synced';
  const changed = ['status', 'updated_at'];
  if (update.externalId !== undefined) changed.push('external_id');
  if (update.externalRef !== undefined) changed.push('external_ref');
  if (update.error !== undefined || synced) changed.push('error');
  if (update.note !== undefined || synced) changed.push('note');
  if (synced) changed.push('synced_at');
  return {
    values: {
      org_id: update.orgId,
      plugin_id: pluginId,
      entity_type: update.entityType,
      entity_id: update.entityId,
      record_type: update.recordType,
      status: update.status,
      external_id: update.externalId ?? null,
      external_ref: update.externalRef ?? null,
      // Becoming synced clears the last error and note unless the update gives one.
      error: update.error ?? null,
      note: update.note ?? null,
      updated_at: now,
      synced_at: synced ? now : null,
    },
    update: changed,
  };
}

/**
 * A store whose writes are all tagged with `pluginId`. On update, a field left undefined keeps its stored
 * value (a retry that only changes the status keeps the Xero id); `null` clears it. Becoming `synced`
 * stamps `synced_at` and clears the last error (and note) unless one is given.
 */
export function createSyncStateStore(pluginId: string): SyncStateStore {
  return {
    async upsert(db: Queryable, update: SyncRecordUpdate): Promise<void> {
      await upsertMany(db, 'sync_records', KEY_COLUMNS, [rowOf(pluginId, update, nowMs())]);
    },

    async upsertMany(db: Queryable, updates: readonly SyncRecordUpdate[]): Promise<void> {
      const now = nowMs();
      await upsertMany(db, 'sync_records', KEY_COLUMNS, updates.map((update) => rowOf(pluginId, update, now)));
    },

    async list(db, filter: SyncRecordFilter): Promise<SyncRecord[]> {
      const query = db<SyncRecordRow>('sync_records').where({ org_id: filter.orgId, plugin_id: pluginId });
      if (filter.entityType !== undefined) query.where({ entity_type: filter.entityType });
      if (filter.entityId !== undefined) query.where({ entity_id: filter.entityId });
      if (filter.status !== undefined) query.where({ status: filter.status });
      if (filter.statuses) query.whereIn('status', [...filter.statuses]);
      if (filter.recordTypes) query.whereIn('record_type', [...filter.recordTypes]);
      if (filter.entities) {
        const wanted = Object.entries(filter.entities).filter(([, ids]) => ids && ids.length > 0) as [SyncEntityType, readonly number[]][];
        if (wanted.length === 0) return [];
        query.where((q) => {
          for (const [type, ids] of wanted) q.orWhere((w) => w.where({ entity_type: type }).whereIn('entity_id', [...ids]));
        });
      }
      return ((await query.orderBy('id')) as SyncRecordRow[]).map(fromRow);
    },

    async count(db, filter): Promise<number> {
      const row = (await db('sync_records').where({ org_id: filter.orgId, plugin_id: pluginId, status: filter.status }).count({ n: '*' }).first()) as { n: number | string } | undefined;
      return Number(row?.n ?? 0);
    },

    async lastSyncedAt(db, orgId): Promise<number | null> {
      const row = (await db('sync_records').where({ org_id: orgId, plugin_id: pluginId, status: 'synced' }).max({ at: 'synced_at' }).first()) as { at: unknown } | undefined;
      return row?.at === null || row?.at === undefined ? null : Number(row.at);
    },

    async syncedPerHour(db, orgId, now): Promise<{ hourStart: number; count: number }[]> {
      const currentHour = Math.floor(now / HOUR) * HOUR;
      const from = currentHour - 23 * HOUR;
      // CAST: SQLite binds the parameters as REAL, so the division alone would not truncate (one group per
      // record); synced_at ≥ from, so truncating is flooring.
      const rows = (await db('sync_records')
        .where({ org_id: orgId, plugin_id: pluginId, status: 'synced' })
        .andWhere('synced_at', '>=', from)
        .select(db.raw('CAST((synced_at - ?) / ? AS INTEGER) as bucket', [from, HOUR]))
        .count({ n: '*' })
        .groupBy('bucket')) as { bucket: number | string; n: number | string }[];
      const counts = new Map<number, number>();
      for (const r of rows) counts.set(Number(r.bucket), (counts.get(Number(r.bucket)) ?? 0) + Number(r.n));
      return Array.from({ length: 24 }, (_, i) => ({ hourStart: from + i * HOUR, count: counts.get(i) ?? 0 }));
    },
  };
}

/** Entity ids by type, e.g. a sale and its refunds and payments. */
export type EntityIds = Partial<Record<SyncEntityType, readonly number[]>>;

/** Every plugin's sync records for the given entities of one organisation, oldest first. */
export async function listSyncRecordsForEntities(db: Queryable, orgId: number, entities: EntityIds): Promise<SyncRecord[]> {
  const wanted = Object.entries(entities).filter(([, ids]) => ids && ids.length > 0) as [SyncEntityType, readonly number[]][];
  if (wanted.length === 0) return [];
  const rows = (await db<SyncRecordRow>('sync_records')
    .where({ org_id: orgId })
    .where((q) => {
      for (const [type, ids] of wanted) q.orWhere((w) => w.where({ entity_type: type }).whereIn('entity_id', [...ids]));
    })
    .orderBy('id')) as SyncRecordRow[];
  return rows.map(fromRow);
}

/** The sync records of a sale, its refunds and its payments, across plugins. */
export async function listSyncRecordsForSale(db: Queryable, orgId: number, saleId: number): Promise<SyncRecord[]> {
  const refunds = (await db('refunds').where({ org_id: orgId, sale_id: saleId }).pluck('id')) as number[];
  const payments = (await db('payments').where({ org_id: orgId, sale_id: saleId }).pluck('id')) as number[];
  return listSyncRecordsForEntities(db, orgId, { sale: [saleId], refund: refunds, payment: payments });
}
