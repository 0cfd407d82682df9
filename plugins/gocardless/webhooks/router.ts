// POST /webhooks/gocardless through the provider kit's pipeline. GoCardless signs only the body
// (Webhook-Signature = hex HMAC-SHA256 with the endpoint secret) and no timestamp, so:
//   1. the signature is checked on the raw bytes against each connected organisation's secret; the one that
//      verifies is the organisation. None → 400, like every webhook endpoint here, and nothing is read or
//      written. (GoCardless suggests 498 "Token Invalid"; it retries any non-2xx the same way, and one
//      answer for every forged webhook keeps monitoring simple.)
//   2. each event's created_at is the replay clock: events older than GOCARDLESS_WEBHOOK_MAX_AGE_HOURS are
//      refused (the nightly sweep reads them from the API instead); every event id is recorded once, so a
//      replay inside the window does nothing either.
//   3. accepted events only write rows (event id + outbox item, one transaction); the outbox does the API
//      calls. Order does not matter: a payout is read whole from the API whenever its event arrives.
import type { Router } from 'express';
import { verifySignature } from 'gocardless-nodejs/webhooks';
import type { PluginContext } from '../../../server/plugins/contract';
import { webhookRouter, WebhookRefusal, type ProviderEvent } from '../../providerKit';
import type { GcEvent } from '../client';
import type { GoCardlessConfig } from '../config';
import { EVENTS_TABLE, providerEvent } from '../events';
import { gocardlessSettings } from '../settings';

export const INVALID_SIGNATURE_STATUS = 400;

function verifies(body: Buffer, signature: string, secret: string): boolean {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return false;
  try {
    verifySignature(body, secret, signature);
    return true;
  } catch {
    return false;
  }
}

function isEvent(e: unknown): e is GcEvent {
  const x = e as Partial<GcEvent> | null;
  return !!x && typeof x.id === 'string' && /^EV[0-9A-Z]{1,40}$/.test(x.id) && typeof x.resource_type === 'string' && typeof x.action === 'string'
    && typeof x.created_at === 'string' && !Number.isNaN(Date.parse(x.created_at)) && typeof x.links === 'object' && x.links !== null;
}

/** The fresh events of a verified body; stale ones are counted, and a body of stale events only is refused. */
export function readEvents(body: Buffer, now: number, maxAgeMs: number): { events: ProviderEvent[]; counts: { stale: number } } {
  let events: unknown[];
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { events?: unknown };
    if (!Array.isArray(parsed.events)) throw new Error('no events array');
    events = parsed.events;
  } catch {
    throw new WebhookRefusal('INVALID_BODY', 'The body must be JSON with an "events" array');
  }
  if (!events.every(isEvent)) throw new WebhookRefusal('INVALID_EVENT', 'Every event needs an id (EV…), resource_type, action, links and created_at');
  const fresh = events.filter((e) => Date.parse(e.created_at) >= now - maxAgeMs);
  if (events.length > 0 && fresh.length === 0) {
    throw new WebhookRefusal('STALE_EVENTS', `Events older than ${maxAgeMs / 3_600_000} h are not accepted by webhook; the nightly sweep reads them from the API`);
  }
  return { events: fresh.map((e) => providerEvent(e, 'webhook')), counts: { stale: events.length - fresh.length } };
}

export function webhookRouterFor(ctx: PluginContext<GoCardlessConfig>): Router {
  return webhookRouter(ctx, {
    store: gocardlessSettings, webhookSecret: 'webhookSecret', eventsTable: EVENTS_TABLE, signatureHeader: 'Webhook-Signature',
    verifies,
    read: (body, now) => readEvents(body, now, ctx.config.webhookMaxAgeMs),
  });
}
