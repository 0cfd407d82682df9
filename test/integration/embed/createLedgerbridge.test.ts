// ledgerbridge/embed as a booking system meets it: options checked all at once, its migrations beside the
// host's own, webhooks before the host's body parser, plugin routes behind the host's login, events emitted
// in the host's transaction (refused at the door when their snapshots are wrong), workers that deliver once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express, { type RequestHandler } from 'express';
import request from 'supertest';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { notesPlugin } from '../../fixtures/plugins/notes';
import { ConfigError, createLedgerbridge, ValidationError, type Ledgerbridge } from '../../../server/embed';
import type { HostServices, Principal, Role, SaleSnapshot } from '../../../server/plugins/contract';
import { createLogger } from '../../../server/logger';

const SECRET = 'a-webhook-secret';
const KEY = Buffer.alloc(32, 3).toString('base64');
const logger = createLogger({ level: 'silent' });

// The host's login: a header says who is asking (a real host reads its session here).
const auth: HostServices['auth'] = {
  authenticate: ((req, res, next) => {
    const role = req.get('x-role') as Role | undefined;
    if (!role) return void res.status(401).json({ error: 'sign in' });
    req.principal = { kind: 'user', id: 1, orgId: 1, role, name: 'desk' } satisfies Principal;
    next();
  }) as RequestHandler,
  requireRole: (...roles: Role[]): RequestHandler => (req, res, next) => {
    if (!req.principal || !roles.includes(req.principal.role)) return void res.status(403).json({ error: 'not for you' });
    next();
  },
};

/** A host that offers what the notes plugin uses (login, its own methods); anything else it is asked for fails loudly. */
function hostServices(): HostServices {
  const refuse = (what: string) => () => {
    throw new Error(`${what} is not used here`);
  };
  const records = ['sale', 'refund', 'payment', 'refundsOfSale', 'paymentsOfSale', 'salesBetween', 'countSalesBetween', 'activityOfSales', 'saleCategories', 'existingSaleIds'];
  return {
    records: Object.fromEntries(records.map((name) => [name, refuse(`records.${name}`)])) as unknown as HostServices['records'],
    organisations: { get: refuse('organisations.get'), resolve: refuse('organisations.resolve') },
    payments: { record: refuse('payments.record') },
    paymentMethods: [{ id: 'voucher', label: 'Gift voucher' }],
    pages: { renderFile: refuse('pages.renderFile'), setFlash: refuse('pages.setFlash'), takeFlash: () => null, formatDateTime: () => '', formatMoney: () => '' },
    auth,
  };
}

const sale = (id: number, over: Partial<SaleSnapshot> = {}): SaleSnapshot => ({
  id, orgId: 1, reference: `BK-${id}`, currency: 'GBP', totalMinor: id * 100, occurredAt: Date.now(), customer: { id: 7, name: 'Sam', email: null },
  lines: [{ id: id * 10, position: 1, description: 'Court hire', quantity: '1', unitPriceMinor: id * 100, discountRate: null, category: 'court', taxCode: null, lineTotalMinor: id * 100 }],
  ...over,
});

describe('createLedgerbridge options', () => {
  it('reports every problem at once: plugin settings by variable, URL, key, driver, workers, the host\'s services', () => {
    assert.throws(
      () => createLedgerbridge({
        db: { client: { driverName: 'mysql' } } as never, plugins: [notesPlugin], host: { ...hostServices(), auth: undefined } as never,
        env: { NOTES_WEBHOOK_SECRET: 'short' }, publicUrl: 'bookings.example.com', masterKey: { key: 'not a key' }, worker: { concurrency: 0 },
      }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems.map((p) => p.split(':')[0]), ['db', 'NOTES_WEBHOOK_SECRET', 'publicUrl', 'masterKey.key', 'worker.concurrency', 'host.auth.authenticate', 'host.auth.requireRole']);
        return true;
      },
    );
  });

  it('checks the host\'s services built by a function once it has run', () => {
    assert.throws(
      () => createLedgerbridge({
        db: { client: { driverName: 'sqlite3', config: {} } } as never, plugins: [], host: () => ({ ...hostServices(), paymentMethods: undefined }) as never,
        env: {}, publicUrl: 'http://bookings.test', masterKey: { key: KEY },
      }),
      /host\.paymentMethods: must be a list/,
    );
    assert.throws(
      () => createLedgerbridge({
        db: { client: { driverName: 'sqlite3', config: {} } } as never, plugins: [], host: { ...hostServices(), receipts: {} } as never,
        env: {}, publicUrl: 'http://bookings.test', masterKey: { key: KEY },
      }),
      /host\.receipts\.pdf: must be a function/,
    );
  });
});

for (const kind of dbKinds()) {
  describe(`ledgerbridge/embed in a booking system (${kind})`, () => {
    let t: TestDatabase;
    let dir: string;
    let lb: Ledgerbridge;
    let app: express.Express;

    before(async () => {
      // The booking system's database: its own tables only, before Ledgerbridge migrates.
      t = await createTestDatabase(kind, [], { migrate: false });
      await t.db.schema.createTable('bookings', (b) => {
        b.increments('id');
        b.integer('total').notNullable();
      });
      dir = mkdtempSync(join(tmpdir(), 'lb-embed-'));
      lb = createLedgerbridge({
        db: t.db, plugins: [notesPlugin], host: hostServices(), env: { NOTES_WEBHOOK_SECRET: SECRET }, publicUrl: 'http://bookings.test/',
        masterKey: { file: join(dir, 'keys', 'master.key') }, logger, worker: { pollMs: 100, leaseMs: 5_000 },
      });
      app = express();
      app.use(lb.webhooks);
      app.use(express.json());
      app.use(lb.routes);
    });
    after(async () => {
      await lb?.close();
      await t?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('creates the key file private, and migrates into its own table beside the host\'s', async () => {
      assert.equal(statSync(join(dir, 'keys', 'master.key')).mode & 0o777, 0o600);
      assert.deepEqual(await lb.migrate(), ['ledgerbridge/0001_runtime_tables', 'ledgerbridge/0002_sync_record_note', 'notes/0001_notes']);
      assert.deepEqual(await lb.migrate(), []);
      assert.deepEqual(await t.db('ledgerbridge_migrations').orderBy('id').pluck('name'), ['ledgerbridge/0001_runtime_tables', 'ledgerbridge/0002_sync_record_note', 'notes/0001_notes']);
      assert.equal(await t.db.schema.hasTable('knex_migrations'), false, 'the host\'s own migrations table is left to the host');
    });

    it('offers the host\'s methods with the plugins\', and the plugins\' navigation', () => {
      assert.deepEqual(lb.paymentMethods.list().map((m) => [m.id, m.source]), [['voucher', 'host']]);
      assert.deepEqual(lb.nav.map((n) => [n.label, n.href, n.group]), [['Notes', '/plugins/notes/', 'Notes']]);
    });

    it('routes: behind the host\'s authentication and the plugin\'s roles', async () => {
      await request(app).get('/plugins/notes/').expect(401);
      await request(app).get('/plugins/notes/admin-only').set('x-role', 'staff').expect(403);
      await request(app).get('/plugins/notes/').set('x-role', 'staff').expect(200, { notes: [] });
    });

    it('webhooks: the raw body, before the host\'s parser; mounted after one, a clear 500 instead of a bad signature', async () => {
      const body = JSON.stringify({ orgId: 1, text: 'from a webhook' });
      const signature = createHmac('sha256', SECRET).update(body).digest('hex');
      await request(app).post('/webhooks/notes').set('content-type', 'application/json').set('x-signature', signature).send(body).expect(204);
      const wrong = express();
      wrong.use(express.json());
      wrong.use(lb.webhooks);
      const res = await request(wrong).post('/webhooks/notes').set('content-type', 'application/json').set('x-signature', signature).send(body).expect(500);
      assert.equal(res.body.error.code, 'WEBHOOK_BODY_PARSED');
    });

    it('emit: in the host\'s transaction (a rollback leaves nothing); an inconsistent event is refused, rolling the booking back', async () => {
      await assert.rejects(t.db.transaction(async (trx) => {
        await trx('bookings').insert({ id: 41, total: 4100 });
        await lb.emit(trx, { type: 'sale.completed', orgId: 1, occurredAt: Date.now(), data: { sale: sale(41) } });
        throw new Error('the booking failed after the event');
      }), /the booking failed/);
      assert.equal((await t.db('outbox')).length + (await t.db('domain_events')).length + (await t.db('bookings')).length, 0);

      await assert.rejects(
        t.db.transaction(async (trx) => {
          await trx('bookings').insert({ id: 42, total: 4200 });
          await lb.emit(trx, { type: 'sale.completed', orgId: 2, occurredAt: Date.now(), data: { sale: sale(42, { totalMinor: '4200' as never, lines: [] }) } });
        }),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.deepEqual(err.issues.map((i) => i.path), ['data.sale.totalMinor', 'data.sale.lines']);
          assert.match(err.message, /^Ledgerbridge cannot use this sale\.completed event: data\.sale\.totalMinor /);
          return true;
        },
      );
      await assert.rejects(
        t.db.transaction((trx) => lb.emit(trx, {
          type: 'payment.received', orgId: 1, occurredAt: Date.now(),
          data: { sale: sale(43), payment: { id: 1, orgId: 1, saleId: 44, method: 'bitcoin', amountMinor: 100, currency: 'GBP', providerRef: null, receivedAt: Date.now() } },
        })),
        (err: unknown) => err instanceof ValidationError && err.issues.map((i) => i.path).join() === 'data.payment.saleId,data.payment.method',
      );
      await assert.rejects(lb.emit(t.db as never, { type: 'sale.completed', orgId: 1, occurredAt: Date.now(), data: { sale: sale(45) } }), /inside a transaction/);
      assert.equal((await t.db('bookings')).length, 0);
    });

    it('workers deliver each committed event once, and stop', async () => {
      const stop = await lb.startWorkers({ workerId: 'embed-test' });
      try {
        for (const id of [51, 52, 51]) {
          await t.db.transaction(async (trx) => {
            await lb.emit(trx, { type: 'sale.completed', orgId: 1, occurredAt: Date.now(), data: { sale: sale(id) } });
          });
        }
        const deadline = Date.now() + 10_000;
        while ((await t.db('outbox').whereNot({ status: 'done' })).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const notes = (await t.db('notes_entries').whereNotNull('outbox_id').orderBy('text')).map((r: { text: string }) => r.text);
        assert.deepEqual(notes, ['sale 51: 5100', 'sale 52: 5200']);
        assert.deepEqual(await t.db('domain_events').orderBy('id').pluck('subject_id'), [51, 52, 51], 'every event kept');
        assert.deepEqual([...new Set(await t.db('outbox').pluck('lease_owner'))].filter(Boolean).every((o) => String(o).startsWith('embed-test:')), true);
      } finally {
        await stop();
      }
      await stop(); // twice is fine
    });
  });
}
