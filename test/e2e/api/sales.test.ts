// The sales API over HTTP: a small app built from createApiRouter, a test-only principal middleware
// (standing in for bearer auth) and apiErrorHandler. Runs on SQLite, and PostgreSQL when TEST_PG_URL is set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express, { type NextFunction, type Request, type Response } from 'express';
import request from 'supertest';
import { createApiRouter } from '../../../server/api/router';
import { apiErrorHandler } from '../../../server/api/errors';
import { EventBus } from '../../../server/domain/eventBus';
import type { Role } from '../../../server/plugins/contract';
import { dbKinds } from '../../support/db';
import { createDomainFixture, rowCounts, saleBody, type DomainFixture } from '../../integration/domain/fixtures';
import '../../../server/http/request';
import type { RequestListener } from 'node:http';
import { buildOpenApiDocument } from '../../../server/api/openapi/document';
import { methodIds } from '../../../server/domain/sales';
import { createApiContract, type ApiContract } from '../../support/apiContract';

interface LoggedError {
  obj: unknown;
  msg?: string;
}

function buildApp(deps: { db: DomainFixture['db']; events: EventBus; paymentMethods: DomainFixture['paymentMethods'] }, logged: LoggedError[]) {
  const app = express();
  // Stand-in for bearer auth: X-Test-Org / X-Test-Role become req.principal; no header, no principal.
  app.use((req: Request, _res: Response, next: NextFunction) => {
    const org = req.get('x-test-org');
    if (org) req.principal = { kind: 'token', id: 7, orgId: Number(org), role: (req.get('x-test-role') ?? 'staff') as Role, name: 'test token' };
    next();
  });
  app.use('/api/v1', createApiRouter(deps));
  app.use('/api/v1', (_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such API route' } });
  });
  app.use('/api/v1', apiErrorHandler({ error: (obj: unknown, msg?: string) => logged.push({ obj, msg }) } as never));
  return app;
}

for (const kind of dbKinds()) {
  describe(`sales API (${kind})`, () => {
    let fx: DomainFixture;
    // Every answer is also checked against the OpenAPI document (test/support/apiContract.ts).
    let app: RequestListener;
    let contract: ApiContract;
    const logged: LoggedError[] = [];
    const as = (role: Role = 'staff', org?: number) => ({ 'x-test-org': String(org ?? fx.orgId), 'x-test-role': role });

    before(async () => {
      fx = await createDomainFixture(kind);
      contract = createApiContract(buildOpenApiDocument({ paymentMethods: methodIds(fx) }));
      app = contract.wrap(buildApp(fx, logged));
    });
    after(async () => {
      await fx.destroy();
      assert.ok(contract.checked > 20, `only ${contract.checked} answers were checked against the document`);
      contract.assertClean();
    });

    it('creates a sale (201) and reads it back by id and in the list', async () => {
      const created = await request(app).post('/api/v1/sales').set(as()).send(saleBody({ reference: 'API-1' })).expect(201);
      assert.equal(created.body.reference, 'API-1');
      assert.equal(created.body.total, '28.00');
      assert.equal(created.body.outstanding, '28.00');
      const read = await request(app).get(`/api/v1/sales/${created.body.id}`).set(as('accountant')).expect(200);
      assert.deepEqual(read.body, created.body);
      const list = await request(app).get('/api/v1/sales?reference=API-1').set(as('accountant')).expect(200);
      assert.deepEqual(list.body, { data: [created.body], nextCursor: null });
    });

    it('answers 422 listing every offending field, and writes nothing', async () => {
      const counts = await rowCounts(fx.db);
      const res = await request(app)
        .post('/api/v1/sales')
        .set(as())
        .send({ currency: 'GBP', customer: { name: 'X' }, lines: [{ description: 'a', quantity: 0, unitPrice: '1.001' }, { description: 'b', quantity: 1, unitPrice: '2', discountRate: -1 }], payments: [{ method: 'stripe', amount: 'ten' }] })
        .expect(422);
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path).sort(), [
        'lines.0.quantity', 'lines.0.unitPrice', 'lines.1.discountRate', 'payments.0.amount',
      ]);
      assert.ok(res.body.error.details.every((d: { message: string }) => d.message.length > 0));
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('enforces roles: accountants read only, no principal is 401', async () => {
      const res = await request(app).post('/api/v1/sales').set(as('accountant')).send(saleBody()).expect(403);
      assert.equal(res.body.error.code, 'FORBIDDEN');
      await request(app).post('/api/v1/sales').set(as('admin')).send(saleBody()).expect(201);
      const anonymous = await request(app).get('/api/v1/sales').expect(401);
      assert.equal(anonymous.body.error.code, 'UNAUTHORIZED');
    });

    it('scopes ids to the caller\'s organisation: another org\'s sale is 404 for reads and writes', async () => {
      const theirs = await request(app).post('/api/v1/sales').set(as('staff', fx.otherOrgId)).send(saleBody()).expect(201);
      const counts = await rowCounts(fx.db);
      const get = await request(app).get(`/api/v1/sales/${theirs.body.id}`).set(as()).expect(404);
      assert.equal(get.body.error.code, 'NOT_FOUND');
      await request(app).post(`/api/v1/sales/${theirs.body.id}/refunds`).set(as()).send({ kind: 'full' }).expect(404);
      await request(app).post(`/api/v1/sales/${theirs.body.id}/payments`).set(as()).send({ method: 'cash', amount: '1.00' }).expect(404);
      await request(app).get('/api/v1/sales/abc').set(as()).expect(404);
      await request(app).get('/api/v1/sales/0').set(as()).expect(404);
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('refunds (201) and rejects an over-refund with the remaining amount', async () => {
      const sale = await request(app).post('/api/v1/sales').set(as()).send(saleBody()).expect(201);
      const refund = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).send({ kind: 'amount', amount: '8.00', reason: 'class cancelled' }).expect(201);
      assert.equal(refund.body.refund.amount, '8.00');
      assert.equal(refund.body.sale.status, 'partially_refunded');
      const over = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).send({ kind: 'amount', amount: '20.01', currency: 'GBP' }).expect(422);
      assert.deepEqual(over.body.error.details, [{ path: 'amount', message: 'is more than the 20.00 GBP left to refund on this sale' }]);
      const mismatch = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).send({ kind: 'full', currency: 'EUR' }).expect(422);
      assert.deepEqual(mismatch.body.error.details, [{ path: 'currency', message: 'must be GBP, the currency of the sale' }]);
    });

    it('records a payment (201), and the same provider reference again answers 200 with the same payment', async () => {
      const sale = await request(app).post('/api/v1/sales').set(as()).send(saleBody()).expect(201);
      const first = await request(app).post(`/api/v1/sales/${sale.body.id}/payments`).set(as()).send({ method: 'stripe', amount: '28.00', providerRef: 'ch_api' }).expect(201);
      const again = await request(app).post(`/api/v1/sales/${sale.body.id}/payments`).set(as()).send({ method: 'stripe', amount: '28.00', providerRef: 'ch_api' }).expect(200);
      assert.equal(again.body.payment.id, first.body.payment.id);
      assert.equal(again.body.sale.paid, '28.00');
      const over = await request(app).post(`/api/v1/sales/${sale.body.id}/payments`).set(as()).send({ method: 'cash', amount: '0.01' }).expect(422);
      assert.equal(over.body.error.details[0].path, 'amount');
    });

    it('refuses "Paid in Xero" (xero, recorded only by the Xero plugin) on a sale, payment and refund with 422 naming the field and why; writes nothing', async () => {
      const sale = await request(app).post('/api/v1/sales').set(as()).send(saleBody({ reference: 'API-XERO' })).expect(201);
      const counts = await rowCounts(fx.db);
      const why = /^xero: payments in Xero are brought back by the Xero plugin when the invoice is paid there; record a payment taken here with the method it was paid by: one of cash, /;
      const onSale = await request(app).post('/api/v1/sales').set(as()).send(saleBody({ payments: [{ method: 'xero', amount: '28.00' }] })).expect(422);
      assert.deepEqual(onSale.body.error.details.map((d: { path: string }) => d.path), ['payments.0.method']);
      assert.match(onSale.body.error.details[0].message, why);
      assert.doesNotMatch(onSale.body.error.details[0].message, /one of [^:]*\bxero\b/, 'the methods it lists leave xero out');
      const payment = await request(app).post(`/api/v1/sales/${sale.body.id}/payments`).set(as()).send({ method: 'xero', amount: '28.00' }).expect(422);
      assert.deepEqual(payment.body.error.details.map((d: { path: string }) => d.path), ['method']);
      assert.match(payment.body.error.details[0].message, why);
      const refund = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).send({ kind: 'full', method: 'xero' }).expect(422);
      assert.deepEqual(refund.body.error.details.map((d: { path: string }) => d.path), ['method']);
      assert.match(refund.body.error.details[0].message, why);
      assert.deepEqual(await rowCounts(fx.db), counts);
      const doc = buildOpenApiDocument({ paymentMethods: methodIds(fx) });
      assert.doesNotMatch(JSON.stringify(doc), /"xero"/, "the API document's method examples leave it out");
      assert.match(JSON.stringify(doc), /"bank_transfer"/);
    });

    it('says 409 SALE_REFERENCE_TAKEN naming the existing sale', async () => {
      const first = await request(app).post('/api/v1/sales').set(as()).send(saleBody({ reference: 'TAKEN' })).expect(201);
      const res = await request(app).post('/api/v1/sales').set(as()).send(saleBody({ reference: 'TAKEN' })).expect(409);
      assert.equal(res.body.error.code, 'SALE_REFERENCE_TAKEN');
      assert.equal(res.body.error.details.saleId, first.body.id);
    });

    it('answers malformed requests with JSON errors: bad JSON 400, too large 413, not JSON 415', async () => {
      const bad = await request(app).post('/api/v1/sales').set(as()).set('content-type', 'application/json').send('{"currency": ').expect(400);
      assert.equal(bad.body.error.code, 'INVALID_JSON');
      const huge = JSON.stringify(saleBody({ lines: [{ description: 'x'.repeat(1_100_000), quantity: 1, unitPrice: '1' }] }));
      const large = await request(app).post('/api/v1/sales').set(as()).set('content-type', 'application/json').send(huge).expect(413);
      assert.equal(large.body.error.code, 'PAYLOAD_TOO_LARGE');
      const form = await request(app).post('/api/v1/sales').set(as()).type('form').send('currency=GBP').expect(415);
      assert.equal(form.body.error.code, 'UNSUPPORTED_MEDIA_TYPE');
      const query = await request(app).get('/api/v1/sales?limit=1000&status=open').set(as()).expect(422);
      assert.deepEqual(query.body.error.details.map((d: { path: string }) => d.path).sort(), ['limit', 'status']);
    });

    it('hides internals of unexpected failures behind a logged 500', async () => {
      const events = new EventBus();
      events.on('sale.completed', async () => {
        throw new Error('secret internal detail: connection string postgres://user:pw@db');
      });
      const failing = buildApp({ ...fx, events }, logged);
      const before = logged.length;
      const res = await request(failing).post('/api/v1/sales').set(as()).send(saleBody()).expect(500);
      assert.equal(res.body.error.code, 'INTERNAL_ERROR');
      assert.doesNotMatch(JSON.stringify(res.body), /secret|postgres/);
      assert.equal(logged.length, before + 1);
    });

    describe('Idempotency-Key', () => {
      it('replays the stored answer for the same key and body, with Idempotent-Replayed', async () => {
        const body = saleBody({ reference: 'IDEM-1' });
        const first = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-1').send(body).expect(201);
        assert.equal(first.headers['idempotent-replayed'], undefined);
        const counts = await rowCounts(fx.db);
        // Same body with keys in another order is the same request.
        const reordered = Object.fromEntries(Object.entries(body).reverse());
        const again = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-1').send(reordered).expect(201);
        assert.equal(again.headers['idempotent-replayed'], 'true');
        assert.deepEqual(again.body, first.body);
        assert.deepEqual(await rowCounts(fx.db), counts, 'a replay writes nothing');
      });

      it('rejects the same key with a different body (422 IDEMPOTENCY_KEY_REUSED), and keys are per organisation', async () => {
        await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-2').send(saleBody()).expect(201);
        const counts = await rowCounts(fx.db);
        const res = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-2').send(saleBody({ reference: 'OTHER' })).expect(422);
        assert.equal(res.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
        assert.deepEqual(await rowCounts(fx.db), counts);
        await request(app).post('/api/v1/sales').set(as('staff', fx.otherOrgId)).set('Idempotency-Key', 'key-2').send(saleBody()).expect(201);
      });

      it('stores nothing for a failed request, so the corrected request may use the key', async () => {
        const sale = await request(app).post('/api/v1/sales').set(as()).send(saleBody()).expect(201);
        const counts = await rowCounts(fx.db);
        await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).set('Idempotency-Key', 'key-3').send({ kind: 'amount', amount: '99.00' }).expect(422);
        assert.deepEqual(await rowCounts(fx.db), counts);
        const ok = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).set('Idempotency-Key', 'key-3').send({ kind: 'amount', amount: '9.00' }).expect(201);
        const replay = await request(app).post(`/api/v1/sales/${sale.body.id}/refunds`).set(as()).set('Idempotency-Key', 'key-3').send({ kind: 'amount', amount: '9.00' }).expect(201);
        assert.equal(replay.headers['idempotent-replayed'], 'true');
        assert.equal(replay.body.refund.id, ok.body.refund.id);
        const after = await request(app).get(`/api/v1/sales/${sale.body.id}`).set(as()).expect(200);
        assert.equal(after.body.refunded, '9.00');
      });

      it('the same key on another endpoint is a different request', async () => {
        const sale = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-4').send(saleBody()).expect(201);
        await request(app).post(`/api/v1/sales/${sale.body.id}/payments`).set(as()).set('Idempotency-Key', 'key-4').send(saleBody()).expect(422).then((r) => {
          assert.equal(r.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
        });
      });

      it('concurrent twins with one key create one sale', async () => {
        const body = saleBody({ reference: 'TWINS' });
        const responses = await Promise.all(
          Array.from({ length: 5 }, () => request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'key-twins').send(body)),
        );
        assert.deepEqual(responses.map((r) => r.status), [201, 201, 201, 201, 201]);
        assert.equal(new Set(responses.map((r) => r.body.id)).size, 1);
        assert.equal(responses.filter((r) => r.headers['idempotent-replayed'] === 'true').length, 4);
        const rows = await fx.db('sales').where({ reference: 'TWINS' });
        assert.equal(rows.length, 1);
      });

      it('rejects an over-long or empty key', async () => {
        const long = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', 'k'.repeat(256)).send(saleBody()).expect(422);
        assert.equal(long.body.error.details[0].path, 'headers.Idempotency-Key');
        const empty = await request(app).post('/api/v1/sales').set(as()).set('Idempotency-Key', '').send(saleBody()).expect(422);
        assert.equal(empty.body.error.details[0].path, 'headers.Idempotency-Key');
      });
    });
  });
}
