// The outbox table as rows, and the one place rows become OutboxItems. Every *_at is epoch ms.
import type { Queryable } from '../db/knex';
import { isPostgres } from '../db/knex';
import type { OutboxItem, OutboxStatus } from './types';

export const OUTBOX_TABLE = 'outbox';

export interface OutboxRow {
  id: number;
  org_id: number | null;
  plugin_id: string;
  type: string;
  subject: string | null;
  dedupe_key: string;
  payload: string;
  status: OutboxStatus;
  attempts: number;
  max_attempts: number;
  available_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  done_at: number | null;
}

/** An item as a worker holds it: the contract's OutboxItem plus the lease it was claimed under. */
export interface LeasedItem<P = unknown> extends OutboxItem<P> {
  leaseOwner: string;
  leaseExpiresAt: number;
}

export function toItem<P = unknown>(row: OutboxRow): LeasedItem<P> {
  return {
    id: Number(row.id),
    orgId: row.org_id === null ? null : Number(row.org_id),
    pluginId: row.plugin_id,
    type: row.type,
    subject: row.subject,
    dedupeKey: row.dedupe_key,
    payload: JSON.parse(row.payload) as P,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    createdAt: Number(row.created_at),
    leaseOwner: row.lease_owner ?? '',
    leaseExpiresAt: Number(row.lease_expires_at ?? 0),
  };
}

/** Rows of a raw statement (SELECT or … RETURNING) on either database. */
export async function rawRows<T>(db: Queryable, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  const result: unknown = await db.raw(sql, bindings as never[]);
  if (isPostgres(db)) return (result as { rows: T[] }).rows;
  return result as T[];
}

/** `?, ?, ?` for an IN list of n values. */
export const placeholders = (n: number): string => Array.from({ length: n }, () => '?').join(', ');
