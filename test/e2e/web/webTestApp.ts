// An Express app assembled from the auth/web exports only (the full createApp has its own e2e tests):
// views + static assets + createWebSecurityMiddleware + createWebRouter + a 404 and an error page.
import { createSealedColumnRegistry, createSecretBox } from '../../../server/secrets';
import { createTaxCodeCatalogue } from '../../../server/plugins/taxCodes';
import { testPaymentMethods } from '../../support/paymentMethods';
import express, { type ErrorRequestHandler, type Express } from 'express';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Response as SuperResponse } from 'supertest';
import { loadConfig, type AppConfig } from '../../../server/config';
import { createLogger } from '../../../server/logger';
import { EventBus } from '../../../server/domain/eventBus';
import type { PluginRuntime } from '../../../server/plugins/registry';
import { createWebSecurityMiddleware } from '../../../server/auth/webSecurity';
import { PUBLIC_DIR, VIEWS_DIR, createWebRouter, type WebDeps } from '../../../server/web/router';
import { createOrganisation } from '../../../server/domain/organisations';
import { createUser } from '../../../server/auth/users';
import type { Role } from '../../../server/plugins/contract';
import { createTestDatabase, type DbKind, type TestDatabase } from '../../support/db';

export const PASSWORD = 'correct horse battery staple';

export interface WebTestApp {
  app: Express;
  deps: WebDeps;
  t: TestDatabase;
  config: AppConfig;
  destroy(): Promise<void>;
}

export async function createWebTestApp(kind: DbKind, env: Record<string, string> = {}): Promise<WebTestApp> {
  const t = await createTestDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-web-'));
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent', ...env });
  const plugins: PluginRuntime = { plugins: [], handlers: new Map(), nav: [], migrationOwners: [], sealedColumns: createSealedColumnRegistry(), taxCodes: createTaxCodeCatalogue([]) };
  const deps: WebDeps = {
    config,
    db: t.db,
    logger: createLogger({ level: 'silent' }),
    events: new EventBus(),
    plugins,
    paymentMethods: testPaymentMethods,
    secrets: createSecretBox({ masterKey: randomBytes(32) }),
  };
  const app = express();
  app.set('view engine', 'ejs');
  app.set('views', VIEWS_DIR);
  app.set('trust proxy', true); // lets tests play several client IPs with X-Forwarded-For
  app.use('/assets', express.static(PUBLIC_DIR));
  app.use(...createWebSecurityMiddleware(deps));
  app.use(createWebRouter(deps));
  app.use((_req, res) => {
    res.status(404).render('error', { title: 'Page not found', detail: '', status: 404 });
  });
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    const status = typeof err?.statusCode === 'number' ? err.statusCode : 500;
    if (status >= 500) console.error(err);
    res.status(status).render('error', { title: String(err?.message ?? 'error'), detail: '', status });
  };
  app.use(onError);
  return {
    app, deps, t, config,
    async destroy() {
      await t.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function seedUser(db: WebDeps['db'], role: Role, email: string, orgId?: number): Promise<{ orgId: number; userId: number }> {
  const org = orgId ?? (await createOrganisation(db, { name: 'Test Gym' })).id;
  const user = await createUser(db, { orgId: org, email, name: email.split('@')[0], role, password: PASSWORD });
  return { orgId: org, userId: user.id };
}

/** The CSRF token embedded in a rendered form. */
export function csrfFrom(res: SuperResponse): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text);
  if (!match?.[1]) throw new Error(`no CSRF token in the page (status ${res.status})`);
  return match[1];
}

/** The session cookie set by a response, or undefined. */
export function sessionCookie(res: SuperResponse): string | undefined {
  const cookies = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  return cookies.find((c) => c.startsWith('lb.sid='));
}
