// Every page and form of the Xero plugin, mounted at /plugins/xero behind login. Each router guards its
// own routes by role (ctx.requireRole): connecting and settings are for admins.
import { Router } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { connectionPageRoutes } from './connectionPage';
import { legacyRoutes } from './legacy';
import { oauth2Routes } from './oauth2';
import { syncRoutes } from './sync';
import { settingsRoutes } from './settings';
import { scheduleRoutes } from './schedule';
import { historyRoutes } from './history';
import { payoutRoutes } from '../payouts/routes';

export function xeroRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  router.use(connectionPageRoutes(ctx));
  router.use(legacyRoutes(ctx));
  router.use(oauth2Routes(ctx));
  router.use(syncRoutes(ctx));
  router.use(settingsRoutes(ctx));
  router.use(scheduleRoutes(ctx));
  router.use(historyRoutes(ctx));
  router.use(payoutRoutes(ctx));
  return router;
}
