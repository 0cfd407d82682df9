// The polling sweep (xero.incoming.poll): for connections Xero sends no webhooks for (private apps, custom
// connections, an install without XERO_WEBHOOK_KEY) and to catch up a webhook Xero disabled after failed
// deliveries. It reads Invoices, CreditNotes and Payments changed since the last sweep (If-Modified-Since,
// 100 a page, oldest first) and records each change as an incoming event, exactly as a webhook delivery
// would (same table, same handler). Where it stopped (endpoint and page) is saved after every page, so a
// sweep cut short (lease ending, rate budget, a crash) resumes there. Changes a webhook already told us
// about are not recorded twice. Every call goes through the session's rate budget.
import { RetryableError } from '../../../server/errors';
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { ChangedRecord } from '../gateway/answers';
import { openSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { getLiveConnection } from '../connection/store';
import { eventKey } from './payload';
import { INCOMING_POLL, recordIncoming, type IncomingEvent } from './store';

export interface PollPayload { runKey: string }

export const POLL_ENDPOINTS = ['Invoices', 'CreditNotes', 'Payments'] as const;
type Endpoint = (typeof POLL_ENDPOINTS)[number];
const PAGE_SIZE = 100;
/** The next sweep asks from a minute before this one started: a change committed in Xero while we read is not missed. */
const OVERLAP_MS = 60_000;

interface PollState { modifiedSince: number | null; sweepStartedAt: number | null; endpoint: Endpoint | null; page: number }

async function loadState(db: Queryable, orgId: number): Promise<PollState> {
  const row = (await db('xero_poll_state').where({ org_id: orgId }).first()) as Record<string, unknown> | undefined;
  return {
    modifiedSince: row?.modified_since === null || row?.modified_since === undefined ? null : Number(row.modified_since),
    sweepStartedAt: row?.sweep_started_at === null || row?.sweep_started_at === undefined ? null : Number(row.sweep_started_at),
    endpoint: (row?.endpoint as Endpoint | null | undefined) ?? null,
    page: row?.page === null || row?.page === undefined ? 1 : Number(row.page),
  };
}

async function saveState(db: Queryable, orgId: number, tenantId: string, patch: Record<string, unknown>): Promise<void> {
  await db('xero_poll_state').insert({ org_id: orgId, tenant_id: tenantId, ...patch }).onConflict('org_id').merge({ tenant_id: tenantId, ...patch });
}

/** Changes we have not seen yet: not at or before the latest event already recorded for the same resource. */
async function unseen(db: Queryable, orgId: number, changes: readonly ChangedRecord[]): Promise<ChangedRecord[]> {
  if (changes.length === 0) return [];
  const ids = [...new Set(changes.map((c) => c.resourceId.toLowerCase()))];
  const rows = (await db('xero_incoming_events').where({ org_id: orgId }).whereIn('resource_id', ids)
    .groupBy('resource_id').select('resource_id').max({ at: 'event_at' })) as { resource_id: string; at: number | string }[];
  const seen = new Map(rows.map((r) => [r.resource_id, Number(r.at)]));
  return changes.filter((c) => (seen.get(c.resourceId.toLowerCase()) ?? -1) < c.updatedAt);
}

export async function runPoll(svc: XeroServices, items: OutboxItem<PollPayload>[], h: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const connection = await getLiveConnection(ctx.db, orgId);
  if (!connection || connection.status !== 'connected') return items.map(() => ({ status: 'done' }));
  const tenantId = (connection.tenant_id ?? `org:${orgId}`).toLowerCase();
  const session = await openSession(svc.connection, svc.budget, orgId, h.signal);
  let state = await loadState(ctx.db, orgId);
  if (state.endpoint === null) {
    state = { ...state, sweepStartedAt: ctx.clock.now(), endpoint: 'Invoices', page: 1 };
    await saveState(ctx.db, orgId, tenantId, { sweep_started_at: state.sweepStartedAt, endpoint: state.endpoint, page: 1 });
  }
  try {
    for (let e = POLL_ENDPOINTS.indexOf(state.endpoint!); e < POLL_ENDPOINTS.length; e++) {
      const endpoint = POLL_ENDPOINTS[e]!;
      let page = endpoint === state.endpoint ? state.page : 1;
      for (;;) {
        if (h.signal.aborted) throw new RetryableError('polling sweep stopped: the lease is ending; it resumes where it was');
        const changes = await session.xero.changedSince(endpoint, state.modifiedSince, page);
        const fresh = await unseen(ctx.db, orgId, changes);
        const events: IncomingEvent[] = fresh.map((c) => ({
          orgId, tenantId, category: c.kind, type: 'UPDATE', resourceId: c.resourceId.toLowerCase(), at: c.updatedAt, source: 'poll',
          key: eventKey(['poll', tenantId, c.kind, c.resourceId.toLowerCase(), c.updatedAt]),
        }));
        const last = changes.length < PAGE_SIZE;
        const next = last ? { endpoint: POLL_ENDPOINTS[e + 1] ?? null, page: 1 } : { endpoint, page: page + 1 };
        await ctx.db.transaction(async (trx) => {
          await recordIncoming(ctx, trx, events);
          await saveState(trx, orgId, tenantId, { endpoint: next.endpoint, page: next.page });
        });
        if (last) break;
        page += 1;
      }
    }
    await saveState(ctx.db, orgId, tenantId, {
      modified_since: (state.sweepStartedAt ?? ctx.clock.now()) - OVERLAP_MS, sweep_started_at: null, endpoint: null, page: null,
      last_run_at: ctx.clock.now(), last_error: null, last_calls: session.calls,
    });
    return items.map(() => ({ status: 'done' }));
  } catch (err) {
    await saveState(ctx.db, orgId, tenantId, { last_error: String((err as Error).message ?? err).slice(0, 500) }).catch(() => undefined);
    throw err;
  }
}

type EnqueueCtx = Pick<PluginContext<XeroConfig>, 'db' | 'outbox'>;

/**
 * Queue one sweep per organisation with a live connection (the timer calls this). Every connection is
 * swept: one with working webhooks costs three calls a sweep when nothing changed, and a webhook Xero
 * disabled (it tells no one) is caught up without anyone noticing it first. `runKey` (the run's minute)
 * makes several worker processes firing the same minute queue one item between them.
 */
export async function enqueuePolls(ctx: EnqueueCtx, runKey: string): Promise<number> {
  const rows = (await ctx.db('xero_connections').whereNull('ended_at').where({ status: 'connected' }).select('org_id')) as { org_id: number }[];
  let created = 0;
  for (const { org_id } of rows) {
    const orgId = Number(org_id);
    const result = await ctx.outbox.enqueue(ctx.db, { type: INCOMING_POLL, orgId, payload: { runKey } satisfies PollPayload, dedupeKey: `xero:poll:${orgId}:${runKey}`, subject: `xero:poll:${orgId}` });
    if (result.created) created++;
  }
  return created;
}
