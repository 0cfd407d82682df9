import express, { Router } from 'express';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostDeps } from '../hostDeps';
import { createAuthPages } from './authPages';
import { createTwoFactorLoginPage } from './twoFactorLogin';
import { createTwoFactorPages } from './twoFactorPages';
import { createDashboardPage } from './dashboard';
import { createUsersPages } from './usersPages';
import { createPaymentMethodsPages } from './paymentMethodsPages';
import { createVouchersPages } from './vouchersPages';
import { createSalesPages } from './salesPages';
import { createSaleSyncJson } from './saleSyncJson';
import { createSaleLiveJson } from './saleLiveJson';

/** The repository root: views/ and public/ live here. */
export const WEB_ROOT_DIR = fileURLToPath(new URL('../..', import.meta.url));
export const VIEWS_DIR = join(WEB_ROOT_DIR, 'views');
export const PUBLIC_DIR = join(WEB_ROOT_DIR, 'public');

/** What the pages need (a HostDeps will do; tests may pass just this). */
export type WebDeps = Pick<HostDeps, 'config' | 'db' | 'logger' | 'events' | 'plugins' | 'paymentMethods' | 'secrets'>;

/**
 * The host's pages, mounted at `/` after createWebSecurityMiddleware (session, passport, CSRF, locals).
 * Every route guards itself with requireRole/requireLogin except /login, /login/two-factor and /setup.
 */
export function createWebRouter(deps: WebDeps): Router {
  const router = Router();
  router.use(createAuthPages(deps));
  router.use(createTwoFactorLoginPage(deps));
  router.use(createTwoFactorPages(deps));
  router.use(createDashboardPage(deps));
  router.use(createSalesPages(deps));
  router.use(createSaleSyncJson(deps));
  router.use(createSaleLiveJson(deps));
  router.use(createUsersPages(deps));
  router.use(createPaymentMethodsPages(deps));
  router.use(createVouchersPages(deps));
  return router;
}

/** Static CSS for hosts that do not serve `public/` themselves (mount at /assets, before the session). */
export function publicAssets(): express.RequestHandler {
  return express.static(PUBLIC_DIR, { maxAge: '1h', index: false });
}
