// Secrets never rest or travel in clear: after a legacy private-app connect (certificate, consumer
// secret) and an OAuth2 connect (client secret, access and refresh tokens), with a sale pushed to Xero
// with those tokens, none of them — nor API tokens, passwords, the master key or the session secret — is
// in any row of any table, in any log line written at debug level, or in any response the app sent
// (every response of the flows and of every page an admin can open is recorded).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express, { type Express } from 'express';
import { dbKinds } from '../support/db';
import { getText, logIn, PASSWORD, postForm, registerPrivateAppAt } from '../support/xero';
import { createApiToken } from '../../server/auth/apiTokens';
import { startOutboxWorkers } from '../../server/outbox';
import { openCertificateKey } from '../../plugins/xero/connection/certificates';
import { currentCertificate } from '../../plugins/xero/connection/legacy';
import { getLiveConnection } from '../../plugins/xero/connection/store';
import { consentShortcut, followCallback, oauth2World, startConsent, tokensOf, type OAuth2World } from '../e2e/xero/oauth2Flow';
import { appRoutes } from './routes';
import { ROUTE_ROLES } from './routeRoles';
import { tableNames } from './world';

/** Every response the wrapped app sends: status line, headers and body, as text. */
function recordingApp(inner: Express, sink: string[]): Express {
  const outer = express();
  outer.use((req, res, next) => {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...a: unknown[]) => boolean;
    const end = res.end.bind(res) as (...a: unknown[]) => unknown;
    const keep = (chunk: unknown) => {
      if (typeof chunk === 'string') chunks.push(Buffer.from(chunk));
      else if (Buffer.isBuffer(chunk)) chunks.push(chunk);
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => { keep(chunk); return write(chunk, ...rest); }) as typeof res.write;
    res.end = ((chunk?: unknown, ...rest: unknown[]) => {
      keep(chunk);
      sink.push(`${req.method} ${req.originalUrl} ${res.statusCode}\n${JSON.stringify(res.getHeaders())}\n${Buffer.concat(chunks).toString('utf8')}`);
      return end(chunk, ...rest);
    }) as typeof res.end;
    next();
  });
  outer.use(inner);
  return outer;
}

for (const kind of dbKinds()) {
  describe(`security: secrets absent from the database, logs and responses (${kind})`, { timeout: 180_000 }, () => {
    let world: OAuth2World;
    const responses: string[] = [];
    let app: Express;
    const secrets = new Map<string, string>();

    before(async () => {
      world = await oauth2World(kind, { captureLogs: true });
      app = recordingApp(world.x.app, responses);
    });
    after(async () => world?.close());

    it('connects both ways and pushes a sale, then finds no secret anywhere', async () => {
      const { x, org } = world;
      const db = x.host.deps.db;
      const admin = await logIn(app, org.emails.admin);

      // Legacy: certificate from the page, private app at "Xero", key + secret through the form.
      const pem = (await getText(admin, '/plugins/xero/legacy/certificate.cer')).text;
      const privateApp = await registerPrivateAppAt(world.emu.url, pem);
      const saved = await postForm(admin, '/plugins/xero/connection', '/plugins/xero/legacy/connect', { consumerKey: privateApp.consumerKey, consumerSecret: privateApp.consumerSecret });
      assert.equal(saved.status, 303, saved.text.slice(0, 300));
      const cert = (await currentCertificate(db, org.orgId))!;
      const keyPem = await openCertificateKey(x.deps, org.orgId, cert.id);
      const keyBody = keyPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      secrets.set('consumer secret', privateApp.consumerSecret);
      secrets.set('private key', keyBody);
      keyPem.split('\n').filter((l) => l.length === 64).forEach((line, i) => secrets.set(`private key line ${i}`, line));

      // OAuth2: "Connect to Xero" → consent → callback, in the same session.
      const consent = await startConsent(world, admin);
      const callback = await followCallback(admin, await consentShortcut(world, consent));
      assert.equal(callback.status, 303, callback.text.slice(0, 300));
      const connection = (await getLiveConnection(db, org.orgId))!;
      assert.equal(connection.mode, 'oauth2');
      const tokens = await tokensOf(world, connection);
      assert.ok(tokens.access && tokens.refresh);
      secrets.set('access token', tokens.access);
      secrets.set('refresh token', tokens.refresh);
      secrets.set('client secret', world.client.clientSecret);

      // A sale pushed with the access token (the Authorization header goes through the logging client).
      const apiToken = (await createApiToken(db, { orgId: org.orgId, role: 'staff', name: 'till' })).token;
      secrets.set('API token', apiToken);
      secrets.set('password', PASSWORD);
      secrets.set('master key', Buffer.alloc(32, 7).toString('base64'));
      secrets.set('session secret', 'xero-tests-session-secret-0123456789abcdef');
      const workers = startOutboxWorkers({ db, handlers: x.host.deps.plugins.handlers, concurrency: 1, leaseMs: 15_000, pollMs: 100, logger: x.host.deps.logger, notifier: x.host.notifier });
      try {
        const { default: request } = await import('supertest');
        const sale = await request(app).post('/api/v1/sales').set('Authorization', `Bearer ${apiToken}`).send({
          currency: 'GBP', customer: { name: 'Secret Keeper' }, lines: [{ description: 'Climb', quantity: 1, unitPrice: '15.00', taxCode: 'OUTPUT2' }],
        });
        assert.equal(sale.status, 201, sale.text);
        const deadline = Date.now() + 20_000;
        for (;;) {
          const item = await db('outbox').where({ org_id: org.orgId, type: 'xero.invoice.push' }).first('status', 'attempts');
          if (item && (item.status === 'done' || Number(item.attempts) > 0)) break;
          if (Date.now() > deadline) throw new Error(`the invoice was never attempted: ${JSON.stringify(item)}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        await workers.stop();
      }

      // Every page an admin can open (ids: the sale just made).
      const saleId = Number((await db('sales').where({ org_id: org.orgId }).first('id')).id);
      for (const route of appRoutes(x.app)) {
        const access = ROUTE_ROLES[route.key];
        if (route.method !== 'GET' || route.path.startsWith('/api/') || access?.kind !== 'roles' || !access.roles.includes('admin')) continue;
        await admin.get(route.path.replace(':entityType', 'sale').replace(/:entityId|:id/, String(saleId)));
      }
      assert.ok(responses.length > 20, `${responses.length} responses recorded`);

      // ---- the scans
      const found: string[] = [];
      let rowsScanned = 0;
      for (const table of await tableNames(db)) {
        for (const row of (await db(table).select('*')) as Record<string, unknown>[]) {
          rowsScanned++;
          const text = JSON.stringify(row, (_k, v: unknown) => (Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'bigint' ? v.toString() : v));
          for (const [name, value] of secrets) if (text.includes(value)) found.push(`database ${table}: ${name}`);
        }
      }
      assert.ok(rowsScanned > 20, `${rowsScanned} rows scanned`);
      const logs = world.x.logs.join('');
      // The logger captures at debug level (capturingLogger); the flows above log logins, connects and pushes.
      assert.ok(world.x.logs.length > 5 && /xero private app connected/.test(logs), `${world.x.logs.length} log lines captured:\n${logs.slice(0, 2000)}`);
      for (const [name, value] of secrets) if (logs.includes(value)) found.push(`logs: ${name}`);
      for (const response of responses) {
        for (const [name, value] of secrets) if (response.includes(value)) found.push(`response ${response.split('\n')[0]}: ${name}`);
      }
      assert.deepEqual(found, []);
      // The scans can see: the public certificate is stored and served in clear, as it should be.
      assert.ok(responses.some((r) => r.includes(pem.split('\n')[1]!)));
    });
  });
}
