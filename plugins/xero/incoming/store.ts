// Recording what Xero told us: each event once per organisation (xero_incoming_events, unique on its key),
// and the work it asks for queued in the SAME transaction, so an accepted event can never lose its work and
// a duplicate (Xero retrying, the sweep finding it again) does nothing. Events of one resource in one
// delivery share one item: the handler reads the resource as it is now, so one read serves them all.
import type { PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { EventCategory, EventType } from './payload';

export const INCOMING_SYNC = 'xero.incoming.sync';
export const INCOMING_POLL = 'xero.incoming.poll';
/** The categories whose resources the handler reads back; others (CONTACT) are recorded only. */
export const HANDLED_CATEGORIES: readonly EventCategory[] = ['INVOICE', 'CREDITNOTE'];

export interface IncomingSyncPayload {
  category: 'INVOICE' | 'CREDITNOTE';
  resourceId: string;
  tenantId: string;
}

export interface IncomingEvent {
  orgId: number;
  tenantId: string;
  key: string;
  category: EventCategory;
  type: EventType;
  resourceId: string;
  at: number;
  source: 'webhook' | 'poll';
}

type Ctx = Pick<PluginContext<XeroConfig>, 'outbox' | 'clock'>;

const CHUNK = 50;

/** Record the events and queue their work, in the caller's transaction. Returns how many were new. */
/**
 * Which of these resources are records we created (an invoice of a sale, a credit note of a refund): only
 * theirs need reading back. Looked up in our own table, so a delivery of events about the rest of the
 * organisation's books queues nothing. (An event that beats our own record of a just-created invoice is the
 * echo of our own write; a later change, or the sweep, is read back as usual.)
 */
async function ourResources(trx: Queryable, events: readonly IncomingEvent[]): Promise<Set<string>> {
  const wanted = events.filter((e) => HANDLED_CATEGORIES.includes(e.category));
  const out = new Set<string>();
  for (const orgId of new Set(wanted.map((e) => e.orgId))) {
    const ids = [...new Set(wanted.filter((e) => e.orgId === orgId).map((e) => e.resourceId))];
    for (let i = 0; i < ids.length; i += 400) {
      const chunk = ids.slice(i, i + 400);
      const rows = (await trx('xero_records').where({ org_id: orgId }).whereIn('record_type', ['invoice', 'credit_note'])
        .whereIn('xero_id', [...chunk, ...chunk.map((id) => id.toUpperCase())]).select('xero_id')) as { xero_id: string }[];
      for (const r of rows) out.add(`${orgId}:${r.xero_id.toLowerCase()}`);
    }
  }
  return out;
}

export async function recordIncoming(ctx: Ctx, trx: Queryable, events: readonly IncomingEvent[]): Promise<{ accepted: number; duplicates: number }> {
  const now = ctx.clock.now();
  const ours = await ourResources(trx, events);
  const isOurs = (e: IncomingEvent): boolean => ours.has(`${e.orgId}:${e.resourceId}`);
  const fresh: IncomingEvent[] = [];
  for (let i = 0; i < events.length; i += CHUNK) {
    const chunk = events.slice(i, i + CHUNK);
    const inserted = (await trx('xero_incoming_events')
      .insert(chunk.map((e) => ({
        org_id: e.orgId, tenant_id: e.tenantId, event_key: e.key, category: e.category, event_type: e.type, resource_id: e.resourceId,
        event_at: e.at, source: e.source, received_at: now,
        ...(!HANDLED_CATEGORIES.includes(e.category) ? { handled_at: now, outcome: 'Recorded; nothing to do for this kind of record' }
          : !isOurs(e) ? { handled_at: now, outcome: `Not the ${e.category === 'INVOICE' ? 'invoice of one of our sales' : 'credit note of one of our refunds'}: ignored` } : {}),
      })))
      .onConflict(['org_id', 'event_key'])
      .ignore()
      .returning(['org_id', 'event_key'])) as { org_id: number; event_key: string }[];
    const keys = new Set(inserted.map((r) => `${Number(r.org_id)}:${r.event_key}`));
    fresh.push(...chunk.filter((e) => keys.has(`${e.orgId}:${e.key}`)));
  }
  const latest = new Map<string, IncomingEvent>();
  for (const e of fresh) {
    if (!HANDLED_CATEGORIES.includes(e.category) || !isOurs(e)) continue;
    latest.set(`${e.orgId}:${e.resourceId}`, e);
  }
  for (const e of latest.values()) {
    const payload: IncomingSyncPayload = { category: e.category as IncomingSyncPayload['category'], resourceId: e.resourceId, tenantId: e.tenantId };
    await ctx.outbox.enqueue(trx, {
      type: INCOMING_SYNC, orgId: e.orgId, payload,
      dedupeKey: `xero:incoming:${e.orgId}:${e.key}`,
      // One resource's events are read back in the order they came.
      subject: `xero:incoming:${e.resourceId}`,
    });
  }
  return { accepted: fresh.length, duplicates: events.length - fresh.length };
}

/** The organisations whose live Xero connection is to this tenant (usually one). */
export async function organisationsOfTenants(db: Queryable, tenantIds: readonly string[]): Promise<Map<string, { orgId: number; mode: string }[]>> {
  const out = new Map<string, { orgId: number; mode: string }[]>();
  if (tenantIds.length === 0) return out;
  const rows = (await db('xero_connections')
    .whereNull('ended_at')
    .whereIn('status', ['connected', 'needs_reauth'])
    .whereNotNull('tenant_id')
    .select('org_id', 'tenant_id', 'mode')) as { org_id: number; tenant_id: string; mode: string }[];
  // One row per live connection (a handful); Xero's ids are compared case-insensitively.
  const wanted = new Set(tenantIds.map((t) => t.toLowerCase()));
  for (const r of rows) {
    const key = r.tenant_id.toLowerCase();
    if (!wanted.has(key)) continue;
    out.set(key, [...(out.get(key) ?? []), { orgId: Number(r.org_id), mode: r.mode }]);
  }
  return out;
}

const RECEIPTS_ID = 'install';

export async function noteReceipt(db: Queryable, what: 'intent' | 'delivery', now: number): Promise<void> {
  const column = what === 'intent' ? 'intent_verified_at' : 'last_delivery_at';
  await db('xero_webhook_receipts').insert({ id: RECEIPTS_ID, [column]: now }).onConflict('id').merge({ [column]: now });
}

export interface WebhookReceipts { intentVerifiedAt: number | null; lastDeliveryAt: number | null }

export async function webhookReceipts(db: Queryable): Promise<WebhookReceipts> {
  const row = (await db('xero_webhook_receipts').where({ id: RECEIPTS_ID }).first()) as Record<string, unknown> | undefined;
  const n = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
  return { intentVerifiedAt: n(row?.intent_verified_at), lastDeliveryAt: n(row?.last_delivery_at) };
}

/** Mark a resource's unhandled events handled, with what the handler did. */
export async function markHandled(db: Queryable, orgId: number, resourceId: string, outcome: string, now: number): Promise<void> {
  await db('xero_incoming_events').where({ org_id: orgId, resource_id: resourceId }).whereNull('handled_at').update({ handled_at: now, outcome: outcome.slice(0, 500) });
}

export interface IncomingEventRow {
  id: number; category: string; eventType: string; resourceId: string; eventAt: number; source: string; receivedAt: number; handledAt: number | null; outcome: string | null;
}

/** The organisation's latest incoming events (the sync log), newest first. */
export async function latestIncoming(db: Queryable, orgId: number, limit: number): Promise<IncomingEventRow[]> {
  const rows = (await db('xero_incoming_events').where({ org_id: orgId }).orderBy('id', 'desc').limit(limit)) as Record<string, unknown>[];
  return rows.map((r) => ({
    id: Number(r.id), category: String(r.category), eventType: String(r.event_type), resourceId: String(r.resource_id), eventAt: Number(r.event_at),
    source: String(r.source), receivedAt: Number(r.received_at), handledAt: r.handled_at === null ? null : Number(r.handled_at), outcome: (r.outcome as string | null) ?? null,
  }));
}

export async function lastIncomingAt(db: Queryable, orgId: number): Promise<number | null> {
  const row = (await db('xero_incoming_events').where({ org_id: orgId }).max({ at: 'received_at' }).first()) as { at: unknown } | undefined;
  return row?.at === null || row?.at === undefined ? null : Number(row.at);
}
