// Turning a GoCardless event into work, once. The event id is recorded (unique per organisation) in the
// same transaction as the outbox items it causes, so a duplicate, a replay or the sweep finding it again
// does nothing, and an accepted event can never lose its work. The items themselves dedupe on the payout /
// payment id, so "payment confirmed" then "payment paid_out", in any order, record the payment once.
import { nowMs, type Queryable } from '../../server/db/knex';
import type { PluginContext } from '../../server/plugins/contract';
import type { GcEvent } from './client';
import type { GoCardlessConfig } from './config';

export const PAYOUT_INGEST = 'gocardless.payout.ingest';
export const PAYMENT_RECORD = 'gocardless.payment.record';

export interface PayoutIngestPayload { payoutId: string }
export interface PaymentRecordPayload { paymentId: string }

/** The work an event asks for, or null when it is none of ours. */
export function workFor(event: Pick<GcEvent, 'resource_type' | 'action' | 'links'>): { type: string; id: string } | null {
  if (event.resource_type === 'payouts' && event.action === 'paid' && event.links.payout) return { type: PAYOUT_INGEST, id: event.links.payout };
  if (event.resource_type === 'payments' && (event.action === 'confirmed' || event.action === 'paid_out') && event.links.payment) {
    return { type: PAYMENT_RECORD, id: event.links.payment };
  }
  return null;
}

export async function enqueueWork(trx: Queryable, ctx: PluginContext<GoCardlessConfig>, orgId: number, work: { type: string; id: string }): Promise<boolean> {
  const payload = work.type === PAYOUT_INGEST ? { payoutId: work.id } : { paymentId: work.id };
  const res = await ctx.outbox.enqueue(trx, {
    type: work.type, orgId, dedupeKey: `${work.type}:${orgId}:${work.id}`, payload, subject: `gocardless:${orgId}:${work.id}`,
  });
  return res.created;
}

/** Record the event once; returns false when it was seen before. */
export async function acceptEvent(trx: Queryable, ctx: PluginContext<GoCardlessConfig>, orgId: number, event: GcEvent, source: 'webhook' | 'sweep'): Promise<boolean> {
  const work = workFor(event);
  const inserted = (await trx('gocardless_events')
    .insert({
      org_id: orgId, event_id: event.id, resource_type: event.resource_type.slice(0, 40), action: event.action.slice(0, 60),
      resource_id: work?.id ?? null, source, event_created_at: Date.parse(event.created_at), received_at: nowMs(),
    })
    .onConflict(['org_id', 'event_id'])
    .ignore()
    .returning('id')) as unknown[];
  if (inserted.length === 0) return false;
  if (work) await enqueueWork(trx, ctx, orgId, work);
  return true;
}
