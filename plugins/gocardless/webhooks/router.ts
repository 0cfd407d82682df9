// POST /webhooks/gocardless. GoCardless signs only the body (Webhook-Signature = hex HMAC-SHA256 with the
// endpoint secret) and no timestamp, so:
//   1. the signature is checked on the raw bytes against each connected organisation's secret; the one that
//      verifies is the organisation. None → 400, like every webhook endpoint here, and nothing is read or
//      written. (GoCardless suggests 498 "Token Invalid"; it retries any non-2xx the same way, and one
//      answer for every forged webhook keeps monitoring simple.)
//   2. each event's created_at is the replay clock: events older than GOCARDLESS_WEBHOOK_MAX_AGE_HOURS are
//      refused (the nightly sweep reads them from the API instead); every event id is recorded once, so a
//      replay inside the window does nothing either.
//   3. accepted events only write rows (event id + outbox item, one transaction); the outbox does the API
//      calls, so the answer is quick and the work is never lost. Order does not matter: a payout is read
//      whole from the API whenever its event arrives.
import { Router, type Request, type Response } from 'express';
import { verifySignature } from 'gocardless-nodejs/webhooks';
import type { PluginContext } from '../../../server/plugins/contract';
import type { GcEvent } from '../client';
import type { GoCardlessConfig } from '../config';
import { acceptEvent } from '../events';
import { allSettings, openWebhookSecret } from '../settings';

export const INVALID_SIGNATURE_STATUS = 400;

function verifies(body: Buffer, secret: string, signature: string): boolean {
  try {
    verifySignature(body, secret, signature);
    return true;
  } catch {
    return false;
  }
}

/** The organisation whose webhook secret signed this body, or null. */
async function signer(ctx: PluginContext<GoCardlessConfig>, body: Buffer, signature: string): Promise<number | null> {
  if (!/^[0-9a-f]{64}$/i.test(signature)) return null;
  for (const row of await allSettings(ctx.db)) {
    const secret = await openWebhookSecret(ctx.db, ctx.secrets, row);
    if (secret && verifies(body, secret, signature)) return row.org_id;
  }
  return null;
}

function isEvent(e: unknown): e is GcEvent {
  const x = e as Partial<GcEvent> | null;
  return !!x && typeof x.id === 'string' && /^EV[0-9A-Z]{1,40}$/.test(x.id) && typeof x.resource_type === 'string' && typeof x.action === 'string'
    && typeof x.created_at === 'string' && !Number.isNaN(Date.parse(x.created_at)) && typeof x.links === 'object' && x.links !== null;
}

export function webhookRouter(ctx: PluginContext<GoCardlessConfig>): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const orgId = await signer(ctx, body, req.get('webhook-signature') ?? '');
    if (orgId === null) {
      ctx.logger.warn({ bytes: body.length }, 'GoCardless webhook refused: the signature matches no organisation');
      res.status(INVALID_SIGNATURE_STATUS).json({ error: { code: 'INVALID_SIGNATURE', message: 'Webhook-Signature does not verify' } });
      return;
    }
    let events: unknown[];
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { events?: unknown };
      if (!Array.isArray(parsed.events)) throw new Error('no events array');
      events = parsed.events;
    } catch {
      res.status(400).json({ error: { code: 'INVALID_BODY', message: 'The body must be JSON with an "events" array' } });
      return;
    }
    if (!events.every(isEvent)) {
      res.status(400).json({ error: { code: 'INVALID_EVENT', message: 'Every event needs an id (EV…), resource_type, action, links and created_at' } });
      return;
    }
    const oldest = Date.now() - ctx.config.webhookMaxAgeMs;
    const fresh = events.filter((e) => Date.parse(e.created_at) >= oldest);
    const stale = events.length - fresh.length;
    if (events.length > 0 && fresh.length === 0) {
      ctx.logger.warn({ orgId, stale }, 'GoCardless webhook refused: every event is older than the replay window');
      res.status(400).json({ error: { code: 'STALE_EVENTS', message: `Events older than ${ctx.config.webhookMaxAgeMs / 3_600_000} h are not accepted by webhook; the nightly sweep reads them from the API` } });
      return;
    }
    let accepted = 0;
    await ctx.db.transaction(async (trx) => {
      for (const event of fresh) if (await acceptEvent(trx, ctx, orgId, event, 'webhook')) accepted += 1;
    });
    ctx.logger.info({ orgId, accepted, duplicates: fresh.length - accepted, stale }, 'GoCardless webhook');
    res.status(200).json({ accepted, duplicates: fresh.length - accepted, stale });
  });
  return router;
}
