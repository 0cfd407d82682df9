// POST /webhooks/stripe: the raw body is verified with the stripe package against every configured
// organisation's signing secret; the one that verifies names the organisation. A bad or missing
// signature, or a timestamp older than 300 s, is a 400 and nothing is done. Each event id is handled
// once per organisation (stripe_events); a repeat answers 200 and changes nothing. The id is recorded
// only after the work succeeded, so a failure (500) lets Stripe retry it.
import { Router, type Request, type Response } from 'express';
import type Stripe from 'stripe';
import type { PluginContext } from '../../server/plugins/contract';
import type { StripeConfig } from './config';
import { webhookVerifier } from './client';
import { onChargeSucceeded, recordPayout } from './ingest';
import { allSettings, openWebhookSecret, type SettingsRow } from './store';

export const TOLERANCE_SECONDS = 300;

async function verify(ctx: PluginContext<StripeConfig>, body: Buffer, header: string): Promise<{ row: SettingsRow; event: Stripe.Event } | null> {
  for (const row of await allSettings(ctx.db)) {
    const secret = await openWebhookSecret(ctx.db, ctx.secrets, row);
    try {
      return { row, event: webhookVerifier.constructEvent(body, header, secret, TOLERANCE_SECONDS) };
    } catch {
      // Not this organisation's secret (or stale, or forged): try the next one.
    }
  }
  return null;
}

export function stripeWebhooks(ctx: PluginContext<StripeConfig>): Router {
  const router = Router();
  router.post('/', async (req: Request, res: Response) => {
    const header = req.get('stripe-signature');
    const body = Buffer.isBuffer(req.body) ? req.body : null;
    if (!header || !body || body.length === 0) {
      res.status(400).json({ error: 'missing Stripe-Signature header or body' });
      return;
    }
    const verified = await verify(ctx, body, header);
    if (!verified) {
      ctx.logger.warn({ bytes: body.length }, 'Stripe webhook refused: no organisation\'s signing secret verifies it within 300 s');
      res.status(400).json({ error: 'signature verification failed' });
      return;
    }
    const { row, event } = verified;
    const seen = await ctx.db('stripe_events').where({ org_id: row.org_id, event_id: event.id }).first();
    if (seen) {
      res.json({ received: true, duplicate: true });
      return;
    }
    if (event.type === 'charge.succeeded') await onChargeSucceeded(ctx, row, event.data.object);
    else if (event.type === 'payout.paid') await recordPayout(ctx, row, event.data.object.id);
    await ctx.db('stripe_events').insert({ org_id: row.org_id, event_id: event.id, type: event.type, received_at: Date.now() }).onConflict(['org_id', 'event_id']).ignore();
    res.json({ received: true });
  });
  return router;
}
