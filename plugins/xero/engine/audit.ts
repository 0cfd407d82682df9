// xero_audit: the audit trail of every record — what was sent (payload, never credentials), Xero's answer
// (status, ids, numbers, validation messages), what we decided, who triggered it and when.
import type { Queryable } from '../../../server/plugins/contract';
import type { TriggeredBy, XeroEntityType, XeroRecordType } from './types';

export type AuditAction =
  | 'created' | 'adopted' | 'already_synced' | 'failed' | 'retry' | 'skipped' | 'deleted_upstream'
  | 'allocated' | 'unallocated' | 'refund_paid' | 'awaiting_payout' | 'history' | 'resend' | 'contact'
  // payouts: a charge matched by score, queued for sign-off, a person's decision on it, or posted by a
  // payout rule (payouts/rules.ts)
  | 'matched' | 'queued' | 'signed_off' | 'posted_by_rule'
  // a decided line back in the sign-off queue: its account was archived or deleted in Xero (payouts/matching.ts)
  | 'requeued'
  // a person's change to a payout rule (payouts/ruleChanges.ts)
  | 'rule_created' | 'rule_edited' | 'rule_moved' | 'rule_enabled' | 'rule_disabled' | 'rule_deleted'
  // a record that waits: for its service date (sync/serviceDate.ts)
  | 'deferred'
  // a sale's receipt attached to its invoice (sync/receipts/attach.ts)
  | 'attached';
export type AuditOutcome = 'ok' | 'failed' | 'retry' | 'skipped';

export interface AuditEntry {
  orgId: number;
  entityType: XeroEntityType;
  entityId: number;
  recordType: XeroRecordType;
  action: AuditAction;
  outcome: AuditOutcome;
  request?: unknown;
  response?: unknown;
  message?: string | null;
  triggeredBy?: TriggeredBy;
  /** The person who acted, as named then (engine/logView.ts actorLabel); rows the system writes have none. */
  actor?: string | null;
  outboxItemId?: number | null;
}

export interface AuditRow extends Required<Omit<AuditEntry, 'request' | 'response' | 'triggeredBy' | 'actor'>> {
  id: number;
  actor: string | null;
  request: unknown;
  response: unknown;
  triggeredBy: string;
  createdAt: number;
}

const json = (v: unknown) => (v === undefined ? null : JSON.stringify(v));

export async function writeAudit(db: Queryable, entries: AuditEntry | AuditEntry[], now: number): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  // Chunked: SQLite caps the variables of one statement.
  for (let i = 0; i < list.length; i += 50) {
    await db('xero_audit').insert(list.slice(i, i + 50).map((e) => ({
      org_id: e.orgId, entity_type: e.entityType, entity_id: e.entityId, record_type: e.recordType,
      action: e.action, outcome: e.outcome, request_summary: json(e.request), response_summary: json(e.response),
      message: e.message ?? null, triggered_by: e.triggeredBy ?? 'system', actor: e.actor ?? null, outbox_item_id: e.outboxItemId ?? null, created_at: now,
    })));
  }
}

export interface AuditFilter {
  orgId: number;
  entityType?: string;
  entityId?: number;
  recordType?: string;
  outcome?: string;
  from?: number;
  to?: number;
  /** Only these entities (of `entityType`). */
  entityIds?: readonly number[];
  actions?: readonly string[];
  excludeActions?: readonly string[];
  limit?: number;
  offset?: number;
  /** By id: newest first (default) or oldest first (a record's trail, read as a story). */
  order?: 'asc' | 'desc';
}

export async function listAudit(db: Queryable, filter: AuditFilter): Promise<AuditRow[]> {
  const q = db('xero_audit').where({ org_id: filter.orgId }).orderBy('id', filter.order ?? 'desc').limit(Math.min(Math.max(filter.limit ?? 100, 1), 1000));
  if (filter.offset) q.offset(filter.offset);
  if (filter.entityIds) q.whereIn('entity_id', filter.entityIds);
  if (filter.actions) q.whereIn('action', filter.actions);
  if (filter.excludeActions?.length) q.whereNotIn('action', filter.excludeActions);
  if (filter.entityType) q.where('entity_type', filter.entityType);
  if (filter.entityId !== undefined) q.where('entity_id', filter.entityId);
  if (filter.recordType) q.where('record_type', filter.recordType);
  if (filter.outcome) q.where('outcome', filter.outcome);
  if (filter.from !== undefined) q.where('created_at', '>=', filter.from);
  if (filter.to !== undefined) q.where('created_at', '<', filter.to);
  const rows = (await q) as Record<string, unknown>[];
  const parse = (v: unknown) => (typeof v === 'string' ? JSON.parse(v) : v ?? null);
  return rows.map((r) => ({
    id: Number(r.id),
    orgId: Number(r.org_id),
    entityType: r.entity_type as XeroEntityType,
    entityId: Number(r.entity_id),
    recordType: r.record_type as XeroRecordType,
    action: r.action as AuditAction,
    outcome: r.outcome as AuditOutcome,
    request: parse(r.request_summary),
    response: parse(r.response_summary),
    message: (r.message as string | null) ?? null,
    triggeredBy: String(r.triggered_by),
    actor: (r.actor as string | null | undefined) ?? null,
    outboxItemId: r.outbox_item_id === null ? null : Number(r.outbox_item_id),
    createdAt: Number(r.created_at),
  }));
}

/**
 * How each of these `triggeredBy` values ('user:3') was last named on a row that names its person: the
 * rows a worker writes for someone's request carry only the id.
 */
export async function actorsOf(db: Queryable, orgId: number, triggeredBy: readonly string[]): Promise<Map<string, string>> {
  const wanted = [...new Set(triggeredBy.filter((t) => t !== 'system'))];
  if (wanted.length === 0) return new Map();
  const rows = (await db('xero_audit').where({ org_id: orgId }).whereIn('triggered_by', wanted).whereNotNull('actor')
    .orderBy('id', 'desc').select('triggered_by', 'actor')) as { triggered_by: string; actor: string }[];
  const named = new Map<string, string>();
  for (const r of rows) if (!named.has(r.triggered_by)) named.set(r.triggered_by, r.actor);
  return named;
}
