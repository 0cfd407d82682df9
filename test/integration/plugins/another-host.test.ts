// The plugin contract is host-agnostic: a plain Express app with its own authentication mounts a
// plugin with mountPlugin, and events reach the plugin's subscribers inside the emitting transaction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { notesPlugin } from '../../fixtures/plugins/notes';
import {
  buildPluginContext, mountPlugin, pluginHandlers, subscribePlugin, validatePluginConfigs, type HostAuthAdapter,
} from '../../../server/plugins/registry';
import type { HostServices, PluginDefinition, Principal, Role } from '../../../server/plugins/contract';
import { EventBus } from '../../../server/domain/eventBus';
import { createOutboxNotifier, createOutboxWriter, startOutboxWorkers } from '../../../server/outbox';
import { createSyncStateStore } from '../../../server/sync/store';
import { createPayoutStore } from '../../../server/payouts/store';
import { createPaymentMethodCatalogue } from '../../../server/plugins/paymentMethods';
import { createSecretBox } from '../../../server/secrets';
import { createLogger } from '../../../server/logger';
import '../../../server/http/request';

const SECRET = 'a-webhook-secret';
const plugin = notesPlugin as unknown as PluginDefinition<unknown>;

// "Another host": it authenticates with a header of its own, nothing from Ledgerbridge's auth.
const headerAuth: HostAuthAdapter = {
  authenticate: ((req, res, next) => {
    const role = req.get('x-role') as Role | undefined;
    if (!role) return void res.status(401).json({ error: 'who are you?' });
    req.principal = { kind: 'user', id: 1, orgId: Number(req.get('x-org') ?? 1), role, name: 'someone' } satisfies Principal;
    next();
  }) as RequestHandler,
  requireRole: (...roles: Role[]): RequestHandler => (req, res, next) => {
    if (!req.principal || !roles.includes(req.principal.role)) return void res.status(403).json({ error: 'not for you' });
    next();
  },
};

describe('plugin config validation', () => {
  it('reports every plugin problem by env var name', () => {
    const { problems } = validatePluginConfigs([plugin], { NOTES_WEBHOOK_SECRET: 'short' });
    assert.deepEqual(problems, ['NOTES_WEBHOOK_SECRET: must be at least 8 characters']);
    const missing = validatePluginConfigs([plugin], {});
    assert.equal(missing.problems.length, 1);
    assert.match(missing.problems[0]!, /^NOTES_WEBHOOK_SECRET: /);
  });
});

for (const kind of dbKinds()) {
  describe(`a plugin mounted in another Express host (${kind})`, () => {
    let t: TestDatabase;
    let app: express.Express;
    let bus: EventBus;
    let ctx: ReturnType<typeof buildPluginContext<unknown>>;
    let notifier: ReturnType<typeof createOutboxNotifier>;
    const logger = createLogger({ level: 'silent' });

    before(async () => {
      t = await createTestDatabase(kind, [{ id: plugin.id, migrations: plugin.migrations ?? [] }]);
      notifier = createOutboxNotifier({ db: t.db, logger });
      const { configs } = validatePluginConfigs([plugin], { NOTES_WEBHOOK_SECRET: SECRET });
      bus = new EventBus();
      const paymentMethods = createPaymentMethodCatalogue([{ id: 'voucher', label: 'Voucher' }], [plugin]);
      // This host keeps no sales of its own: the notes plugin reads none, so anything else is refused loudly.
      const unavailable = <T extends object>(what: string): T =>
        new Proxy({} as T, { get: (_target, key) => () => { throw new Error(`${what}.${String(key)} is not offered by this host`); } });
      const host: HostServices = {
        records: unavailable('records'), organisations: unavailable('organisations'), payments: unavailable('payments'),
        paymentMethods: paymentMethods.list(), auth: headerAuth,
        pages: unavailable('pages'),
      };
      ctx = buildPluginContext(plugin, configs.get('notes'), {
        db: t.db, logger, outbox: createOutboxWriter({ notifier, defaultMaxAttempts: 5 }), publicUrl: 'http://other-host.test',
        secrets: createSecretBox({ masterKey: randomBytes(32) }), syncStore: createSyncStateStore, paymentMethods, clock: { now: Date.now },
        payouts: createPayoutStore({ db: t.db, events: bus, providers: () => [], existingSaleIds: async () => new Set() }),
      }, host, '/plugins/notes');
      subscribePlugin(plugin, ctx, bus);
      app = express();
      mountPlugin(app, plugin, ctx, headerAuth); // before any body parser: webhooks need the raw body
      app.use(express.json());
    });
    after(async () => {
      await notifier.close();
      await t.destroy();
    });

    it('guards routes with the host authentication and the plugin-declared roles', async () => {
      await request(app).get('/plugins/notes/').expect(401);
      await request(app).get('/plugins/notes/').set('x-role', 'accountant').expect(403);
      await request(app).get('/plugins/notes/').set('x-role', 'staff').expect(200, { notes: [] });
      await request(app).get('/plugins/notes/admin-only').set('x-role', 'staff').expect(403);
      await request(app).get('/plugins/notes/admin-only').set('x-role', 'admin').expect(200);
    });

    it('hands webhooks the raw body, without the host authentication', async () => {
      const body = JSON.stringify({ orgId: 1, text: 'from a webhook' });
      const signature = createHmac('sha256', SECRET).update(body).digest('hex');
      await request(app).post('/webhooks/notes').set('content-type', 'application/json').set('x-signature', signature).send(body).expect(204);
      await request(app).post('/webhooks/notes').set('content-type', 'application/json').set('x-signature', '00'.repeat(32)).send(body).expect(400);
      const res = await request(app).get('/plugins/notes/').set('x-role', 'admin').expect(200);
      assert.deepEqual(res.body.notes, ['from a webhook']);
    });

    it('runs subscribers inside the emitting transaction: a rollback leaves no outbox item', async () => {
      const sale = { id: 41, orgId: 1, reference: null, currency: 'GBP', totalMinor: 1234, occurredAt: Date.now(), customer: { id: 1, name: 'A', email: null }, lines: [] };
      await assert.rejects(
        t.db.transaction(async (trx) => {
          await bus.emit(trx, { type: 'sale.completed', orgId: 1, occurredAt: Date.now(), data: { sale } }, { type: 'sale', id: 41 });
          throw new Error('the sale failed after the event');
        }),
        /the sale failed/,
      );
      assert.equal((await t.db('outbox').where({ dedupe_key: 'notes:sale:41' })).length, 0);
      assert.equal((await t.db('domain_events')).length, 0);
    });

    it('delivers committed events through the outbox to the plugin handler exactly once', async () => {
      const workers = startOutboxWorkers({
        db: t.db, handlers: pluginHandlers(plugin, ctx), concurrency: 2, leaseMs: 5_000, pollMs: 200, logger, notifier,
      });
      try {
        for (const id of [42, 43, 42]) {
          const sale = { id, orgId: 1, reference: null, currency: 'GBP', totalMinor: id * 100, occurredAt: Date.now(), customer: { id: 1, name: 'A', email: null }, lines: [] };
          await t.db.transaction((trx) => bus.emit(trx, { type: 'sale.completed', orgId: 1, occurredAt: Date.now(), data: { sale } }, { type: 'sale', id }));
        }
        const deadline = Date.now() + 10_000;
        while ((await t.db('outbox').whereNot({ status: 'done' })).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const notes = (await t.db('notes_entries').whereNotNull('outbox_id').orderBy('text')).map((r: { text: string }) => r.text);
        assert.deepEqual(notes, ['sale 42: 4200', 'sale 43: 4300']); // the repeated event was deduplicated
      } finally {
        await workers.stop();
      }
    });
  });
}
