// A GoCardless event → what the provider kit records and the work it queues. The work dedupes on the
// payout / payment id, so "payment confirmed" then "payment paid_out", in any order, record the payment once.
import type { ProviderEvent, Work } from '../providerKit';
import type { GcEvent } from './client';

export const PAYOUT_INGEST = 'gocardless.payout.ingest';
export const PAYMENT_RECORD = 'gocardless.payment.record';
export const EVENTS_TABLE = 'gocardless_events';

export interface PayoutIngestPayload { payoutId: string }
export interface PaymentRecordPayload { paymentId: string }

export const payoutWork = (payoutId: string): Work => ({ type: PAYOUT_INGEST, key: payoutId, payload: { payoutId } satisfies PayoutIngestPayload });
export const paymentWork = (paymentId: string): Work => ({ type: PAYMENT_RECORD, key: paymentId, payload: { paymentId } satisfies PaymentRecordPayload });

/** The work an event asks for, or null when it is none of ours. */
export function workFor(event: Pick<GcEvent, 'resource_type' | 'action' | 'links'>): Work | null {
  if (event.resource_type === 'payouts' && event.action === 'paid' && event.links.payout) return payoutWork(event.links.payout);
  if (event.resource_type === 'payments' && (event.action === 'confirmed' || event.action === 'paid_out') && event.links.payment) return paymentWork(event.links.payment);
  return null;
}

/** The event as the kit records it in gocardless_events, from a webhook or the sweep. */
export function providerEvent(event: GcEvent, source: 'webhook' | 'sweep'): ProviderEvent {
  const work = workFor(event);
  return {
    id: event.id,
    row: { resource_type: event.resource_type.slice(0, 40), action: event.action.slice(0, 60), resource_id: work?.key ?? null, source, event_created_at: Date.parse(event.created_at) },
    work,
  };
}
