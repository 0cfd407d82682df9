// The GoCardless plugin: wiring only. Client (client.ts), per-organisation settings (settings.ts,
// routes/), webhooks in (webhooks/), events → outbox work (events.ts, handlers.ts), payouts → host
// (payouts/), the nightly sweep (sweep.ts).
import { definePlugin } from '../../server/plugins/contract';
import { registerGoCardlessCommands } from './cli';
import { GoCardlessConfigSchema, type GoCardlessConfig } from './config';
import { gocardlessHandlers } from './handlers';
import { gocardless0001 } from './migrations/0001_gocardless';
import { gocardlessSealedColumns } from './settings';
import { settingsRoutes } from './routes/settings';
import { startSweepSchedule } from './sweep';
import { webhookRouter } from './webhooks/router';

export const gocardlessPlugin = definePlugin<GoCardlessConfig>({
  id: 'gocardless',
  title: 'GoCardless',
  configSchema: GoCardlessConfigSchema,
  paymentMethods: [{ id: 'gocardless', label: 'GoCardless Direct Debit', settledByPayouts: true }],
  sealedColumns: [gocardlessSealedColumns],
  migrations: [gocardless0001],
  nav: [{ label: 'GoCardless', href: '/plugins/gocardless', roles: ['admin'] }],
  routes: (ctx) => settingsRoutes(ctx),
  webhooks: (ctx) => webhookRouter(ctx),
  handlers: (ctx) => gocardlessHandlers(ctx),
  cli: (program, context) => registerGoCardlessCommands(program, context),
  start: async (ctx) => startSweepSchedule(ctx),
});
