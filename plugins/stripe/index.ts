// The Stripe plugin: payouts and card payments in from Stripe (official stripe package). Settings page
// (routes.ts), webhooks (webhooks.ts), payout fetch and mapping (payouts.ts), the nightly sweep (start).
import { Cron } from 'croner';
import { definePlugin } from '../../server/plugins/contract';
import { StripeConfigSchema, type StripeConfig } from './config';
import { stripe0001 } from './migrations/0001_stripe';
import { stripeRoutes } from './routes';
import { stripeWebhooks } from './webhooks';
import { sweepOrg } from './ingest';
import { allSettings, stripeSealedColumns } from './store';

export const stripePlugin = definePlugin<StripeConfig>({
  id: 'stripe',
  title: 'Stripe',
  configSchema: StripeConfigSchema,
  paymentMethods: [{ id: 'stripe', label: 'Stripe card payment', settledByPayouts: true }],
  sealedColumns: [stripeSealedColumns],
  migrations: [stripe0001],
  nav: [{ label: 'Stripe', href: '/plugins/stripe', roles: ['admin'] }],
  routes: (ctx) => stripeRoutes(ctx),
  webhooks: (ctx) => stripeWebhooks(ctx),
  // A missed payout.paid is caught the next night: every recently paid payout is recorded (idempotent).
  // Unconfigured organisations have no settings row, so an install without Stripe does no work here.
  async start(ctx) {
    if (!ctx.config.sweepCron) return;
    const job = new Cron(ctx.config.sweepCron, { protect: true, timezone: 'UTC', catch: (err) => ctx.logger.error({ err }, 'Stripe nightly sweep failed') }, async () => {
      for (const row of await allSettings(ctx.db)) {
        try {
          const created = await sweepOrg(ctx, row, Date.now());
          if (created) ctx.logger.info({ orgId: row.org_id, created }, 'Stripe sweep recorded missed payouts');
        } catch (err) {
          ctx.logger.error({ orgId: row.org_id, err: err instanceof Error ? err.message : String(err) }, 'Stripe sweep failed for an organisation');
        }
      }
    });
    return async () => {
      job.stop();
    };
  },
});
