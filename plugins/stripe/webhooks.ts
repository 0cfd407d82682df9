// POST /webhooks/stripe through the provider kit's pipeline. Stripe signs `t.body` (Stripe-Signature:
// t=…,v1=…); the stripe package's verifier checks it, with a 300 s tolerance on t, against each connected
// organisation's signing secret. Each event is recorded once in stripe_events; charge.succeeded and
// payout.paid queue their work by id (the handlers read the charge or payout fresh from Stripe).
import type { Router } from 'express';
import type { PluginContext } from '../../server/plugins/contract';
import { webhookRouter, WebhookRefusal, type ProviderEvent } from '../providerKit';
import type { StripeConfig } from './config';
import { verifyStripeSignature } from './client';
import { stripeSettings } from './settings';
import { chargeWork, payoutWork } from './work';

export const TOLERANCE_SECONDS = 300;

function verifies(body: Buffer, signature: string, secret: string): boolean {
  try {
    return verifyStripeSignature(body, signature, secret, TOLERANCE_SECONDS);
  } catch {
    return false;
  }
}

/** The one event of a verified body, with the work it asks for. */
export function readEvent(body: Buffer): ProviderEvent {
  let event: { id?: unknown; type?: unknown; data?: { object?: { id?: unknown } } };
  try {
    event = JSON.parse(body.toString('utf8')) as typeof event;
  } catch {
    throw new WebhookRefusal('INVALID_BODY', 'The body is not JSON');
  }
  if (typeof event?.id !== 'string' || !/^evt_\w{1,250}$/.test(event.id) || typeof event.type !== 'string' || event.type.length > 128) {
    throw new WebhookRefusal('INVALID_EVENT', 'A Stripe event needs an id (evt_…) and a type');
  }
  const objectId = event.data?.object?.id;
  const work = typeof objectId !== 'string' ? null
    : event.type === 'charge.succeeded' ? chargeWork(objectId)
      : event.type === 'payout.paid' ? payoutWork(objectId) : null;
  return { id: event.id, row: { type: event.type }, work };
}

export function stripeWebhooks(ctx: PluginContext<StripeConfig>): Router {
  return webhookRouter(ctx, {
    store: stripeSettings, webhookSecret: 'webhookSecret', eventsTable: 'stripe_events', signatureHeader: 'Stripe-Signature',
    verifies,
    read: (body) => ({ events: [readEvent(body)] }),
  });
}
