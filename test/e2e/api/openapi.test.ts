// The OpenAPI 3.1 document of /api/v1: served without a token, valid OpenAPI 3.1 (the official schema, via
// @seriousme/openapi-schema-validator), describing exactly the API's routes; and the contract check that
// every e2e API test runs (test/support/apiContract.ts) both passes on real answers and fails on drift.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { createApiContract } from '../../support/apiContract';
import { createOrganisation } from '../../../server/domain/organisations';
import { createApiToken } from '../../../server/auth/apiTokens';
import { methodIds } from '../../../server/domain/sales';
import { buildOpenApiDocument, REQUEST_EXAMPLES, type OpenApiDocument } from '../../../server/api/openapi/document';
import { ROUTE_ROLES } from '../../security/routeRoles';

const sale = {
  reference: 'DOC-1',
  currency: 'GBP',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ description: 'Climbing session', quantity: '2', unitPrice: '12.50', discountRate: 10 }],
  payments: [{ method: 'cash', amount: '5.00' }],
};

for (const kind of dbKinds()) {
  describe(`the /api/v1 OpenAPI document (${kind})`, () => {
    let app: TestApp;
    let auth: string;
    let served: OpenApiDocument;

    before(async () => {
      app = await startTestApp({ kind });
      const venue = await createOrganisation(app.host.deps.db, { name: 'Venue' });
      auth = `Bearer ${(await createApiToken(app.host.deps.db, { orgId: venue.id, role: 'staff', name: 'till' })).token}`;
      const res = await request(app.baseUrl).get('/api/v1/openapi.json').expect(200).expect('content-type', /application\/json/);
      served = res.body as OpenApiDocument;
    });
    after(async () => app.close());

    it('is served without a token and validates as OpenAPI 3.1', async () => {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(served));
      assert.deepEqual(result.errors, undefined);
      assert.equal(result.valid, true);
      assert.equal(validator.version, '3.1');
      assert.deepEqual(served, JSON.parse(JSON.stringify(buildOpenApiDocument({ paymentMethods: methodIds(app.host.deps) }))));
    });

    it('describes exactly the routes the API serves (the route-role list), each with its errors', () => {
      const documented = Object.entries(served.paths)
        .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} /api/v1${path.replace(/\{(\w+)\}/g, ':$1')}`))
        .sort();
      const served_ = Object.keys(ROUTE_ROLES).filter((route) => / \/api\/v1\//.test(route)).sort();
      assert.deepEqual(documented, served_);
      for (const [path, ops] of Object.entries(served.paths)) {
        for (const [method, op] of Object.entries(ops as Record<string, { responses: Record<string, unknown> }>)) {
          if (path === '/openapi.json') continue;
          for (const status of ['401', '403', '500']) assert.ok(op.responses[status], `${method} ${path} documents ${status}`);
        }
      }
    });

    it("names the install's payment methods (an organisation may add its own, so no closed enum), and the idempotency header on every POST", () => {
      const paymentMethod = (served.components.schemas.PaymentRequest as { properties: { method: { enum?: string[]; examples: string[]; description: string } } }).properties.method;
      // And a payment from the customer's credit (their earlier overpayments).
      assert.deepEqual(paymentMethod.examples, [...methodIds(app.host.deps), 'customer_credit']);
      assert.equal(paymentMethod.enum, undefined);
      const salePayments = (served.components.schemas.SaleRequest as { properties: { payments: { anyOf: { items?: { properties: { method: { examples: string[] } } } }[] } } }).properties.payments;
      const salePayment = salePayments.anyOf.find((a) => a.items)!.items!.properties.method;
      assert.deepEqual(salePayment.examples, [...methodIds(app.host.deps), 'customer_credit'], 'a sale may be paid from credit when it is created');
      assert.match(paymentMethod.description, /cash, card_terminal, bank_transfer.*or one the organisation added under Payment methods/);
      for (const ops of Object.values(served.paths)) {
        const post = (ops as { post?: { parameters: { name: string }[] } }).post;
        if (post) assert.ok(post.parameters.some((p) => p.name === 'Idempotency-Key'));
      }
    });

    it('real answers match it: created, read, listed, refunded, paid, replayed, refused', async () => {
      const before = app.apiContract.checked;
      const api = () => request(app.baseUrl);
      const created = await api().post('/api/v1/sales').set('Authorization', auth).set('Idempotency-Key', 'doc-1').send(sale).expect(201);
      const replay = await api().post('/api/v1/sales').set('Authorization', auth).set('Idempotency-Key', 'doc-1').send(sale).expect(201);
      assert.equal(replay.headers['idempotent-replayed'], 'true');
      await api().post('/api/v1/sales').set('Authorization', auth).set('Idempotency-Key', 'doc-1').send({ ...sale, reference: 'DOC-2' }).expect(422);
      await api().get(`/api/v1/sales/${created.body.id}`).set('Authorization', auth).expect(200);
      await api().get('/api/v1/sales?limit=1&status=completed&from=2000-01-01').set('Authorization', auth).expect(200);
      await api().post(`/api/v1/sales/${created.body.id}/payments`).set('Authorization', auth).send({ method: 'cash', amount: 10, providerRef: 'till-9' }).expect(201);
      await api().post(`/api/v1/sales/${created.body.id}/payments`).set('Authorization', auth).send({ method: 'cash', amount: 10, providerRef: 'till-9' }).expect(200);
      await api().post(`/api/v1/sales/${created.body.id}/refunds`).set('Authorization', auth).send({ kind: 'lines', lines: [{ lineId: created.body.lines[0].id, quantity: 1 }], method: 'cash' }).expect(201);
      // An overpayment (7.50 owed, 10.00 paid) and the credit it leaves, spent on the customer's next sale.
      const over = await api().post(`/api/v1/sales/${created.body.id}/payments`).set('Authorization', auth).send({ method: 'cash', amount: '10.00' }).expect(201);
      assert.deepEqual([over.body.payment.toCredit, over.body.sale.customerCredit], ['2.50', [{ currency: 'GBP', amount: '2.50' }]]);
      const next = await api().post('/api/v1/sales').set('Authorization', auth).send({ ...sale, reference: 'DOC-3', payments: [] }).expect(201);
      await api().post(`/api/v1/sales/${next.body.id}/payments`).set('Authorization', auth).send({ method: 'customer_credit', amount: '1.00' }).expect(201);
      // And the rest of it inside the next sale itself.
      const fromCredit = await api().post('/api/v1/sales').set('Authorization', auth).send({ ...sale, reference: 'DOC-4', payments: [{ method: 'customer_credit', amount: '1.50' }] }).expect(201);
      assert.deepEqual(fromCredit.body.customerCredit, []);
      await api().post('/api/v1/sales').set('Authorization', auth).send(sale).expect(409);
      await api().get('/api/v1/sales/999999').set('Authorization', auth).expect(404);
      await api().get('/api/v1/sales').expect(401);
      assert.equal(app.apiContract.checked - before, 15);
      assert.deepEqual(app.apiContract.violations, []);
    });

    it("its request examples are accepted by the API and match the document's schemas", async () => {
      const examples = Object.values(served.paths).flatMap((ops) => Object.values(ops as Record<string, { requestBody?: { content: Record<string, { examples?: Record<string, { value: unknown }> }> } }>))
        .flatMap((op) => Object.values(op.requestBody?.content['application/json']?.examples ?? {}));
      assert.equal(examples.length, 3);
      const api = () => request(app.baseUrl);
      const created = await api().post('/api/v1/sales').set('Authorization', auth).send(REQUEST_EXAMPLES.sale).expect(201);
      assert.equal(created.body.total, '27.00');
      await api().post(`/api/v1/sales/${created.body.id}/refunds`).set('Authorization', auth).send(REQUEST_EXAMPLES.refund).expect(201);
      const owing = await api().post('/api/v1/sales').set('Authorization', auth).send({ ...REQUEST_EXAMPLES.sale, reference: 'BOOK-1002', payments: [] }).expect(201);
      await api().post(`/api/v1/sales/${owing.body.id}/payments`).set('Authorization', auth).send(REQUEST_EXAMPLES.payment).expect(201);
      // The contract check validated each accepted example against its documented request schema.
      assert.deepEqual(app.apiContract.violations, []);
    });

    it('the contract check fails on drift: an undocumented field, status, header or accepted body', async () => {
      const contract = createApiContract(served);
      const real = (await request(app.baseUrl).get('/api/v1/sales?limit=1').set('Authorization', auth).expect(200)).body as { data: Record<string, unknown>[] };
      const exchange = { method: 'GET', url: '/api/v1/sales?limit=1', status: 200, contentType: 'application/json; charset=utf-8', headers: {}, requestBody: undefined };
      contract.check({ ...exchange, body: JSON.stringify(real) });
      assert.deepEqual(contract.violations, [], 'the real answer passes');

      contract.check({ ...exchange, body: JSON.stringify({ ...real, data: [{ ...real.data[0], loyaltyPoints: 3 }] }) });
      contract.check({ ...exchange, body: JSON.stringify({ ...real, data: [{ ...real.data[0], total: 12.5 }] }) });
      contract.check({ ...exchange, status: 202, body: '{}' });
      contract.check({ ...exchange, url: '/api/v1/customers', body: '[]' });
      contract.check({ ...exchange, method: 'POST', url: '/api/v1/sales', status: 201, headers: { 'idempotent-replayed': 'yes' }, body: JSON.stringify(real.data[0]), requestBody: sale });
      contract.check({ ...exchange, method: 'POST', url: '/api/v1/sales', status: 201, body: JSON.stringify(real.data[0]), requestBody: { ...sale, tip: '1.00' } });
      assert.equal(contract.violations.length, 6, contract.violations.join('\n'));
      assert.match(contract.violations[0]!, /loyaltyPoints|additional/);
      assert.match(contract.violations[1]!, /total/);
      assert.match(contract.violations[2]!, /status 202 is not documented/);
      assert.match(contract.violations[3]!, /no GET \/customers/);
      assert.match(contract.violations[4]!, /header Idempotent-Replayed/);
      assert.match(contract.violations[5]!, /accepted a request body the document refuses/);
      assert.throws(() => contract.assertClean(), /outside its OpenAPI document/);
    });
  });
}
