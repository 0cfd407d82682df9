// The GoCardless plugin, on the provider kit: wiring only. Client (client.ts), per-organisation settings
// (settings.ts, routes/), webhooks in (webhooks/), events → outbox work (events.ts, handlers.ts), payouts →
// host (payouts/), the nightly sweep (sweep.ts).
import { fileURLToPath } from 'node:url';
import { definePlugin } from '../../server/plugins/contract';
import { startSweepSchedule } from '../providerKit';
import { registerGoCardlessCommands } from './cli';
import { GoCardlessConfigSchema, type GoCardlessConfig } from './config';
import { gocardlessHandlers } from './handlers';
import { gocardless0001 } from './migrations/0001_gocardless';
import { gocardlessSettings } from './settings';
import { settingsRoutes } from './routes/settings';
import { runSweep } from './sweep';
import { webhookRouterFor } from './webhooks/router';

export const gocardlessPlugin = definePlugin<GoCardlessConfig>({
  id: 'gocardless',
  title: 'GoCardless',
  configSchema: GoCardlessConfigSchema,
  paymentMethods: [{ id: 'gocardless', label: 'GoCardless Direct Debit', settledByPayouts: true }],
  sealedColumns: [gocardlessSettings.sealedColumns],
  migrations: [gocardless0001],
  viewsDir: fileURLToPath(new URL('./views', import.meta.url)),
  nav: [{ label: 'GoCardless', href: '/plugins/gocardless', roles: ['admin'] }],
  routes: (ctx) => settingsRoutes(ctx),
  webhooks: (ctx) => webhookRouterFor(ctx),
  handlers: (ctx) => gocardlessHandlers(ctx),
  cli: (program, context) => registerGoCardlessCommands(program, context),
  start: async (ctx) => startSweepSchedule(ctx, ctx.config.sweepCron, () => runSweep(ctx)),
});
