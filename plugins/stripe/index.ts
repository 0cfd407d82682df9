// The Stripe plugin: payouts and card payments in from Stripe (official stripe package), on the provider
// kit. Settings page (routes.ts), webhooks in (webhooks.ts), outbox work that reads Stripe (work.ts), payout
// mapping (payouts.ts), the nightly sweep (sweep.ts).
import { fileURLToPath } from 'node:url';
import { definePlugin } from '../../server/plugins/contract';
import { startSweepSchedule } from '../providerKit';
import { StripeConfigSchema, type StripeConfig } from './config';
import { stripe0001 } from './migrations/0001_stripe';
import { stripe0002 } from './migrations/0002_stripe_payouts';
import { stripeRoutes } from './routes';
import { stripeSettings } from './settings';
import { runSweep } from './sweep';
import { stripeWebhooks } from './webhooks';
import { stripeHandlers } from './work';

export const stripePlugin = definePlugin<StripeConfig>({
  id: 'stripe',
  title: 'Stripe',
  configSchema: StripeConfigSchema,
  paymentMethods: [{ id: 'stripe', label: 'Stripe card payment', settledByPayouts: true }],
  sealedColumns: [stripeSettings.sealedColumns],
  migrations: [stripe0001, stripe0002],
  viewsDir: fileURLToPath(new URL('./views', import.meta.url)),
  nav: [{ label: 'Stripe', href: '/plugins/stripe', roles: ['admin'] }],
  routes: (ctx) => stripeRoutes(ctx),
  webhooks: (ctx) => stripeWebhooks(ctx),
  handlers: (ctx) => stripeHandlers(ctx),
  // A missed payout.paid is caught the next night. Unconfigured organisations have no settings row, so an
  // install without Stripe does no work here.
  start: async (ctx) => startSweepSchedule(ctx, ctx.config.sweepCron, () => runSweep(ctx)),
});
