// createApp(deps): the Express app, no listen() — supertest's target and main.ts's.
// Middleware runs in a fixed, readable order:
//   1. security headers, request ids and logging
//   2. health and metrics (no session)
//   3. plugin webhooks (raw body, no session, signature-checked by the plugin)
//   4. JSON API /api/v1 (bearer tokens, no cookies, no CSRF)
//   5. static assets
//   6. pages and plugin pages (session, passport, CSRF)
//   7. 404, then one error handler per surface
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostDeps } from './hostDeps';
import { securityHeaders } from './http/securityHeaders';
import { requestLogger } from './http/requestLogger';
import { createOpsRouter } from './http/ops';
import { createApiRouter } from './api/router';
import { apiErrorHandler } from './api/errors';
import { refuseDeepJson } from './api/jsonDepth';
import { OPENAPI_PATH } from './api/openapi/document';
import { openApiHandler } from './api/openapi/route';
import { bearerAuth, requireLogin, requireRole } from './auth/middleware';
import { createWebSecurityMiddleware } from './auth/webSecurity';
import { createWebRouter } from './web/router';
import { messageHtml, linkablePaths } from './web/messageHtml';
import { HOST_NAV } from './web/nav';
import { mountPluginRoutes, mountPluginWebhooks, type HostAuthAdapter } from './plugins/registry';
import { pageErrorHandler, pageNotFound } from './http/pageErrors';

export const ROOT_DIR = fileURLToPath(new URL('..', import.meta.url));

export function createApp(deps: HostDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', [join(ROOT_DIR, 'views'), ...deps.plugins.plugins.flatMap((p) => (p.definition.viewsDir ? [p.definition.viewsDir] : []))]);
  app.locals.appName = 'Ledgerbridge';

  app.use(securityHeaders());
  app.use(requestLogger(deps.logger));

  app.use(createOpsRouter(deps));

  mountPluginWebhooks(app, deps.plugins);
  // A webhook for no installed plugin is answered as webhooks are (JSON), not with an HTML page.
  app.use('/webhooks', (_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No installed plugin takes webhooks at this path' } });
  });

  const api = express.Router();
  api.use(express.json({ limit: '1mb' }));
  api.use(refuseDeepJson());
  api.get(OPENAPI_PATH, openApiHandler(deps)); // public: describes the API, holds no data
  api.use(bearerAuth(deps));
  api.use(createApiRouter(deps));
  api.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such API route' } });
  });
  api.use(apiErrorHandler(deps.logger));
  app.use('/api/v1', api);

  app.use('/assets', express.static(join(ROOT_DIR, 'public'), { maxAge: '1h', index: false }));

  app.use(...createWebSecurityMiddleware(deps));
  // Failure messages name pages by path; a page links them (messageHtml), the CSV and the CLI keep the text.
  const inAppPaths = linkablePaths([...HOST_NAV, ...deps.plugins.nav].map((entry) => entry.href));
  const linkMessage = (text: string | null | undefined): string => messageHtml(text, inAppPaths);
  app.use((req: Request, res: Response, next: NextFunction) => {
    res.locals.nav = deps.plugins.nav;
    res.locals.messageHtml = linkMessage;
    res.locals.currentPath = req.path;
    next();
  });
  const pluginAuth: HostAuthAdapter = { authenticate: requireLogin, requireRole };
  mountPluginRoutes(app, deps.plugins, pluginAuth);
  app.use(createWebRouter(deps));
  app.use(pageNotFound);
  app.use(pageErrorHandler(deps.logger));
  return app;
}
