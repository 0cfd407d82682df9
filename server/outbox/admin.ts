// Operator actions on the outbox (CLI and admin pages): look, send again, clean up.
import type { Queryable } from '../db/knex';
import { nowMs } from '../db/knex';
import type { OutboxStatus } from './types';
import { OUTBOX_TABLE } from './rows';

export interface OutboxListEntry {
  id: number;
  orgId: number | null;
  type: string;
  subject: string | null;
  dedupeKey: string;
  status: OutboxStatus;
  attempts: number;
  maxAttempts: number;
  availableAt: number;
  leaseOwner: string | null;
  leaseExpiresAt: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
  doneAt: number | null;
}

export async function listOutbox(
  db: Queryable,
  filter: { status?: OutboxStatus; type?: string; orgId?: number; limit?: number } = {},
): Promise<OutboxListEntry[]> {
  const q = db(OUTBOX_TABLE)
    .select('id', 'org_id', 'type', 'subject', 'dedupe_key', 'status', 'attempts', 'max_attempts', 'available_at',
      'lease_owner', 'lease_expires_at', 'last_error', 'created_at', 'updated_at', 'done_at')
    .orderBy('id', 'desc')
    .limit(Math.min(Math.max(filter.limit ?? 50, 1), 10_000));
  if (filter.status) q.where('status', filter.status);
  if (filter.type) q.where('type', filter.type);
  if (filter.orgId !== undefined) q.where('org_id', filter.orgId);
  const rows = (await q) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: Number(r.id),
    orgId: r.org_id === null ? null : Number(r.org_id),
    type: String(r.type),
    subject: (r.subject as string | null) ?? null,
    dedupeKey: String(r.dedupe_key),
    status: r.status as OutboxStatus,
    attempts: Number(r.attempts),
    maxAttempts: Number(r.max_attempts),
    availableAt: Number(r.available_at),
    leaseOwner: (r.lease_owner as string | null) ?? null,
    leaseExpiresAt: r.lease_expires_at === null ? null : Number(r.lease_expires_at),
    lastError: (r.last_error as string | null) ?? null,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    doneAt: r.done_at === null ? null : Number(r.done_at),
  }));
}

/**
 * Send again by hand: back to pending with a fresh set of attempts, due now. Only dead and paused items
 * move (a leased item belongs to a worker; a done one was delivered — send it again through its domain
 * action so it gets its own item). The last error stays visible until the next outcome replaces it.
 */
export async function retryItems(
  db: Queryable,
  filter: { ids: number[]; type?: string } | { status: 'dead' | 'paused'; type?: string; orgId?: number },
): Promise<number> {
  const now = nowMs();
  const q = db(OUTBOX_TABLE);
  if ('ids' in filter) {
    if (filter.ids.length === 0) return 0;
    q.whereIn('id', filter.ids).whereIn('status', ['dead', 'paused']);
  } else {
    q.where('status', filter.status);
    if (filter.orgId !== undefined) q.where('org_id', filter.orgId);
  }
  if (filter.type) q.where('type', filter.type);
  return q.update({ status: 'pending', attempts: 0, available_at: now, lease_expires_at: null, updated_at: now });
}

/** After re-authorisation: one organisation's paused items of one plugin (or type prefix) go back to pending. */
export async function resumePaused(db: Queryable, filter: { orgId: number; typePrefix: string }): Promise<number> {
  const now = nowMs();
  // `xero` means the plugin (`xero.` …); a prefix ending in '.' or naming a full type is taken as given.
  // substr rather than LIKE: type names may contain '_', which LIKE treats as a wildcard.
  const prefix = filter.typePrefix;
  const dotted = prefix.endsWith('.') ? prefix : `${prefix}.`;
  return db(OUTBOX_TABLE)
    .where({ status: 'paused', org_id: filter.orgId })
    .andWhere((w) => w.where('type', prefix).orWhereRaw('substr(type, 1, ?) = ?', [dotted.length, dotted]))
    .update({ status: 'pending', available_at: now, updated_at: now });
}

/** Delete done items older than the given age. Returns how many went. */
export async function purgeDone(db: Queryable, opts: { olderThanMs: number; now?: number }): Promise<number> {
  if (!(opts.olderThanMs >= 0)) throw new Error('olderThanMs must be zero or more');
  const cutoff = (opts.now ?? nowMs()) - opts.olderThanMs;
  return db(OUTBOX_TABLE).where('status', 'done').andWhere('done_at', '<', cutoff).del();
}
