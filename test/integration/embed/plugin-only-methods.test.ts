// ledgerbridge/embed refuses, at emit, a payment or refund in a method only its plugin records (Xero's
// "Paid in Xero", `xero`) when the booking system's own code emits it — the reason the API gives — and still
// takes it when the booking system emits it while recording a plugin's payment (ctx.payments.record), the
// path the Xero plugin brings payments made in Xero back by. Before, the embed took `xero` from anyone.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Router } from 'express';
import express from 'express';
import request from 'supertest';
import { z } from 'zod';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { createLedgerbridge, ValidationError, type Ledgerbridge } from '../../../server/embed';
import { definePlugin, type HostServices, type PaymentSnapshot, type SaleSnapshot } from '../../../server/plugins/contract';
import { createLogger } from '../../../server/logger';
import { xeroPlugin } from '../../../plugins/xero';

const logger = createLogger({ level: 'silent' });
const REASON = 'payments in Xero are brought back by the Xero plugin when the invoice is paid there; record a payment taken here with the method it was paid by';

const sale = (id: number): SaleSnapshot => ({
  id, orgId: 1, reference: `BK-${id}`, currency: 'GBP', totalMinor: 5000, occurredAt: Date.now(), customer: { id: 7, name: 'Sam', email: null },
  lines: [{ id: id * 10, position: 1, description: 'Court hire', quantity: '1', unitPriceMinor: 5000, discountRate: null, category: null, taxCode: null, lineTotalMinor: 5000 }],
});
const payment = (id: number, saleId: number, method: string): PaymentSnapshot => ({
  id, orgId: 1, saleId, method, amountMinor: 5000, currency: 'GBP', providerRef: `ref-${id}`, receivedAt: Date.now(),
});

// Stands in for a plugin that brings payments back (as the Xero plugin's polling does): its route asks the host to record one.
const courier = definePlugin({
  id: 'courier',
  title: 'Courier',
  configSchema: z.object({}),
  routes(ctx) {
    const router = Router();
    router.post('/record', async (req, res) => {
      const { saleId, method } = req.body as { saleId: number; method: string };
      try {
        res.json(await ctx.payments.record(1, saleId, { method, amountMinor: 5000, currency: 'GBP', providerRef: `xero-${saleId}`, receivedAt: Date.now() }));
      } catch (err) {
        res.status(422).json({ error: String((err as Error).message) });
      }
    });
    return router;
  },
});

for (const kind of dbKinds()) {
  describe(`ledgerbridge/embed: methods only a plugin records (${kind})`, () => {
    let t: TestDatabase;
    let dir: string;
    let lb: Ledgerbridge;
    let app: express.Express;
    let nextPayment = 1;

    before(async () => {
      t = await createTestDatabase(kind, [], { migrate: false });
      dir = mkdtempSync(join(tmpdir(), 'lb-embed-methods-'));
      const host = (bridge: { emit: Ledgerbridge['emit'] }): HostServices => {
        const refuse = (what: string) => () => {
          throw new Error(`${what} is not used here`);
        };
        const records = ['sale', 'refund', 'payment', 'refundsOfSale', 'paymentsOfSale', 'salesBetween', 'countSalesBetween', 'activityOfSales', 'saleCategories', 'existingSaleIds'];
        return {
          records: Object.fromEntries(records.map((name) => [name, refuse(`records.${name}`)])) as unknown as HostServices['records'],
          organisations: { get: refuse('organisations.get'), resolve: refuse('organisations.resolve') },
          // The booking system records the plugin's payment in its own table, then emits it in that transaction.
          payments: {
            record: async (_orgId, saleId, input) => t.db.transaction(async (trx) => {
              const id = nextPayment++;
              await bridge.emit(trx, { type: 'payment.received', orgId: 1, occurredAt: Date.now(), data: { sale: sale(saleId), payment: payment(id, saleId, input.method) } });
              return { paymentId: id, created: true };
            }),
          },
          paymentMethods: [{ id: 'cash', label: 'Cash' }],
          pages: { renderFile: refuse('pages.renderFile'), setFlash: refuse('pages.setFlash'), takeFlash: () => null, formatDateTime: () => '', formatMoney: () => '' },
          auth: {
            authenticate: (req, _res, next) => {
              req.principal = { kind: 'user', id: 1, orgId: 1, role: 'admin', name: 'desk' };
              next();
            },
            requireRole: () => (_req, _res, next) => next(),
          },
        };
      };
      lb = createLedgerbridge({
        db: t.db, plugins: [xeroPlugin, courier], host, env: {}, publicUrl: 'http://bookings.test/', masterKey: { file: join(dir, 'master.key') }, logger,
      });
      await lb.migrate();
      app = express();
      app.use(express.json());
      app.use(lb.routes);
    });
    after(async () => {
      await lb?.close();
      await t?.destroy();
      rmSync(dir, { recursive: true, force: true });
    });

    it('refuses a payment in `xero` emitted by the booking system itself, with the API\'s reason; nothing is kept', async () => {
      await assert.rejects(
        t.db.transaction((trx) => lb.emit(trx, { type: 'payment.received', orgId: 1, occurredAt: Date.now(), data: { sale: sale(61), payment: payment(900, 61, 'xero') } })),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.deepEqual(err.issues, [{ path: 'data.payment.method', message: REASON }]);
          return true;
        },
      );
      assert.equal((await t.db('domain_events')).length, 0);
    });

    it('refuses a refund paid back in `xero` likewise', async () => {
      await assert.rejects(
        t.db.transaction((trx) => lb.emit(trx, {
          type: 'refund.issued', orgId: 1, occurredAt: Date.now(),
          data: { sale: sale(62), refund: { id: 5, orgId: 1, saleId: 62, kind: 'amount', amountMinor: 100, currency: 'GBP', method: 'xero', providerRef: null, reason: null, createdAt: Date.now(), lines: [] } },
        })),
        (err: unknown) => err instanceof ValidationError && JSON.stringify(err.issues) === JSON.stringify([{ path: 'data.refund.method', message: REASON }]),
      );
    });

    it('takes the host\'s own methods as before', async () => {
      await t.db.transaction((trx) => lb.emit(trx, { type: 'payment.received', orgId: 1, occurredAt: Date.now(), data: { sale: sale(63), payment: payment(901, 63, 'cash') } }));
      assert.deepEqual(await t.db('domain_events').pluck('subject_id'), [901]);
    });

    it('takes `xero` when the booking system emits it recording a plugin\'s payment (ctx.payments.record)', async () => {
      const res = await request(app).post('/plugins/courier/record').send({ saleId: 64, method: 'xero' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.created, true);
      assert.deepEqual(await t.db('domain_events').where({ type: 'payment.received' }).orderBy('id').pluck('subject_id'), [901, res.body.paymentId]);
    });
  });
}
