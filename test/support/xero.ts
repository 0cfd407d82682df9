// Shared helpers for Xero plugin tests (legacy private app and OAuth2 alike): the Xero emulator on a real
// port (OAuth 1.0a signs the URL, so signed calls need the real host:port), the full app booted with the
// Xero plugin pointed at it, users of every role, and logging in through the real login form.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import request, { type Response as SuperResponse } from 'supertest';
import type { Express } from 'express';
import { createXeroEmulator, type XeroEmulator, type XeroEmulatorOptions } from '../../emulators/xero/app';
import { recordingApp } from '../../emulators/xero/test/answerSchemas';
import { bootHost, type BootedHost } from '../../server/boot';
import { createApp } from '../../server/app';
import { createOrganisation, getOrganisation, resolveOrganisation, type Organisation } from '../../server/domain/organisations';
import type { Db } from '../../server/db/knex';
import { createSecretBox } from '../../server/secrets';
import { createOutboxWriter } from '../../server/outbox/writer';
import { createOutboxNotifier } from '../../server/outbox/notifier';
import { createPluginOutbox } from '../../server/outbox/pluginOutbox';
import { createUser } from '../../server/auth/users';
import { REDACTED_KEYS, type Logger } from '../../server/logger';
import type { OrganisationFacts, PluginContext, PluginDefinition, Role } from '../../server/plugins/contract';
import type { XeroConfig } from '../../plugins/xero/config';
import { connectionDeps, type ConnectionDeps } from '../../plugins/xero/connection/deps';
import { createTestDatabase, type DbKind, type TestDatabase } from './db';

export const PASSWORD = 'xero test password 1';
export const UK_ORG = 'Demo Company (UK)';
export const US_ORG = 'Demo Company (US)';

// ---- the emulator ------------------------------------------------------------------------------

export interface RunningEmulator {
  emulator: XeroEmulator;
  /** e.g. http://127.0.0.1:40123 — use as XERO_API_URL and XERO_IDENTITY_URL. */
  url: string;
  /** Stop listening (the emulator keeps its state; `start()` again on the same port is not supported). */
  close(): Promise<void>;
}

/** The Xero emulator listening on 127.0.0.1 (any free port). Real-time clock unless told otherwise. */
export async function startXeroEmulator(opts: XeroEmulatorOptions = {}): Promise<RunningEmulator> {
  const emulator = createXeroEmulator(opts);
  // Every Accounting API answer the product receives is read against Xero's OpenAPI document; close()
  // fails the test if one did not conform.
  const schemaProblems: string[] = [];
  const server: Server = recordingApp(emulator.app, schemaProblems).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const { port } = server.address() as AddressInfo;
  let closed = false;
  return {
    emulator,
    url: `http://127.0.0.1:${port}`,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await emulator.close();
      assert.deepEqual(schemaProblems, [], 'the Xero emulator answered the product off xero_accounting.yaml');
    },
  };
}

/** Control API: register a private app with a certificate, as the developer portal would. */
export async function registerPrivateAppAt(
  emulatorUrl: string,
  certificatePem: string,
  opts: { tenantId?: string; organisationName?: string } = {},
): Promise<{ consumerKey: string; consumerSecret: string; tenantId: string }> {
  const res = await request(emulatorUrl).post('/_emulator/apps').send({ type: 'private', certificatePem, ...opts });
  assert.equal(res.status, 201, `emulator refused the private app: ${res.text}`);
  return res.body as { consumerKey: string; consumerSecret: string; tenantId: string };
}

/** Move the emulator's clock (Xero's idea of now) forward. */
export async function advanceEmulatorClock(emulatorUrl: string, ms: number): Promise<void> {
  await request(emulatorUrl).post('/_emulator/clock/advance').send({ ms }).expect(200);
}

// ---- the app -----------------------------------------------------------------------------------

export interface XeroTestApp {
  app: Express;
  host: BootedHost;
  t: TestDatabase;
  dataDir: string;
  /** The Xero plugin's context, as routes and the CLI get it. */
  ctx: PluginContext<XeroConfig>;
  /** What the connection modules take, from the same context (override `now` per test as needed). */
  deps: ConnectionDeps;
  /** Every log line the app wrote, when booted with `captureLogs` (pino JSON, one per entry). */
  logs: string[];
  close(): Promise<void>;
}

export interface XeroTestAppOptions {
  emulatorUrl: string;
  env?: Record<string, string>;
  plugins?: PluginDefinition<unknown>[];
  /** Log at debug level into `logs` (with the host's redaction) instead of staying silent. */
  captureLogs?: boolean;
}

/** A fresh database of `kind`, and createApp(bootHost(...)) with the Xero plugin pointed at the emulator. */
export async function bootXeroApp(kind: DbKind, opts: XeroTestAppOptions): Promise<XeroTestApp> {
  const t = await createTestDatabase(kind);
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-xero-'));
  const logs: string[] = [];
  const logger = opts.captureLogs ? capturingLogger(logs) : undefined;
  let host: BootedHost;
  try {
    // Imported here, not at the top, so emulator-only tests do not load the whole plugin.
    const plugins = opts.plugins ?? [(await import('../../plugins/xero')).xeroPlugin as PluginDefinition<unknown>];
    host = await bootHost({
      plugins,
      ...(logger ? { logger } : {}),
      env: {
        NODE_ENV: 'test',
        LOG_LEVEL: 'silent',
        DATA_DIR: dataDir,
        DATABASE_URL: t.url,
        MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        SESSION_SECRET: 'xero-tests-session-secret-0123456789abcdef',
        LOGIN_MAX_ATTEMPTS: '1000',
        XERO_API_URL: opts.emulatorUrl,
        XERO_APP_URL: opts.emulatorUrl, // the emulator serves Xero's deep-link pages

        XERO_IDENTITY_URL: opts.emulatorUrl,
        XERO_HTTP_TIMEOUT_MS: '5000',
        ...opts.env,
      },
    });
  } catch (err) {
    await t.destroy();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const loaded = host.deps.plugins.plugins.find((p) => p.definition.id === 'xero');
  if (!loaded) throw new Error('the xero plugin did not load');
  const ctx = loaded.context as PluginContext<XeroConfig>;
  return {
    app: createApp(host.deps),
    host,
    t,
    dataDir,
    ctx,
    deps: connectionDeps(ctx),
    logs,
    async close() {
      await host.close();
      await t.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const factsOf = (org: Organisation): OrganisationFacts => ({ id: org.id, name: org.name, baseCurrency: org.baseCurrency, timeZone: org.timezone });

/**
 * The connection modules' deps without a booted host, for tests of those modules against a bare database:
 * our host's organisations and the Xero plugin's outbox over `db`, a silent logger, the real clock unless
 * `now` is given. The secret box uses `masterKey` (bootXeroApp's MASTER_KEY is 7s).
 */
export function standaloneConnectionDeps(db: Db, config: XeroConfig, opts: { now?: () => number; masterKey?: Buffer } = {}): ConnectionDeps {
  const notifier = createOutboxNotifier({ db, logger: pino({ level: 'silent' }) });
  return {
    db,
    secrets: createSecretBox({ masterKey: opts.masterKey ?? Buffer.alloc(32, 7) }),
    config,
    logger: pino({ level: 'silent' }),
    organisations: {
      get: async (q, orgId) => factsOf(await getOrganisation(q, orgId)),
      resolve: async (q, orgId) => factsOf(await resolveOrganisation(q, orgId)),
    },
    outbox: createPluginOutbox('xero', createOutboxWriter({ notifier, defaultMaxAttempts: 5 })),
    now: opts.now ?? Date.now,
  };
}

/** A pino logger with the host's redaction that writes every entry into `lines`. */
export function capturingLogger(lines: string[]): Logger {
  const paths = REDACTED_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `headers.${k}`, `req.headers.${k}`]);
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return pino({ level: 'debug', redact: { paths, censor: '[redacted]' } }, sink);
}

// ---- organisations, users, logging in ----------------------------------------------------------

export interface SeededOrg {
  orgId: number;
  name: string;
  /** Emails by role; every password is PASSWORD. */
  emails: Record<Role, string>;
}

/** An organisation with one user of each role (emails `<role>@<slug>.test`). */
export async function seedOrg(db: XeroTestApp['host']['deps']['db'], name: string): Promise<SeededOrg> {
  const org = await createOrganisation(db, { name, baseCurrency: 'GBP' });
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, '-');
  const emails = { admin: `admin@${slug}.test`, staff: `staff@${slug}.test`, accountant: `accountant@${slug}.test` };
  for (const role of ['admin', 'staff', 'accountant'] as const) {
    await createUser(db, { orgId: org.id, email: emails[role], name: `${role} of ${name}`, role, password: PASSWORD });
  }
  return { orgId: org.id, name, emails };
}

export type Agent = ReturnType<typeof request.agent>;

/** The CSRF token embedded in a rendered page's forms. */
export function csrfFrom(res: SuperResponse): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text);
  if (!match?.[1]) throw new Error(`no CSRF token in the page (status ${res.status})`);
  return match[1];
}

/** Log in through the real login form (GET for the CSRF token, POST the form); returns the cookie-keeping agent. */
export async function logIn(app: Express, email: string, password = PASSWORD): Promise<Agent> {
  const agent = request.agent(app);
  const page = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password });
  assert.equal(res.status, 303, `login as ${email}: ${res.status} ${res.text.slice(0, 300)}`);
  return agent;
}

/** GET a page for its CSRF token, then POST a form to `path` with it. */
export async function postForm(agent: Agent, pagePath: string, path: string, fields: Record<string, string> = {}): Promise<SuperResponse> {
  const page = await agent.get(pagePath);
  return agent.post(path).type('form').send({ _csrf: csrfFrom(page), ...fields });
}

/** GET a download (any content type) as text, e.g. the certificate `.cer`. */
export async function getText(agent: Agent, path: string): Promise<{ status: number; text: string; headers: Record<string, string> }> {
  const res = await agent.get(path).buffer(true).parse((r, done) => {
    let text = '';
    r.setEncoding('utf8');
    r.on('data', (chunk: string) => (text += chunk));
    r.on('end', () => done(null, text));
  });
  return { status: res.status, text: res.body as string, headers: res.headers as Record<string, string> };
}

/** Listen on a real port (browser tests). */
export async function listenApp(app: Express): Promise<{ url: string; close(): Promise<void> }> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
