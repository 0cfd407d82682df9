// Input a ledger cannot take is refused at the door with the field named, on both databases, and changes
// nothing (issue 18 #4–#6): U+0000 in a name, reference or filter (a 500 on PostgreSQL, silently stored on
// SQLite), a sale dated in year 999 (accepted, then failed in the Xero sync forever), and a body nested
// 200,000 deep with an Idempotency-Key (a stack overflow in the request hash, answered 500).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { createOrganisation } from '../../../server/domain/organisations';
import { createApiToken } from '../../../server/auth/apiTokens';

const sale = (over: Record<string, unknown> = {}) => ({
  currency: 'GBP',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ description: 'Climbing session', quantity: 1, unitPrice: '12.50' }],
  ...over,
});

for (const kind of dbKinds()) {
  describe(`hostile input at the JSON API (${kind})`, () => {
    let app: TestApp;
    let auth: string;
    const count = async () => Number(((await app.host.deps.db('sales').count({ n: '*' })) as { n: number | string }[])[0]!.n);
    before(async () => {
      app = await startTestApp({ kind });
      const venue = await createOrganisation(app.host.deps.db, { name: 'Venue' });
      auth = `Bearer ${(await createApiToken(app.host.deps.db, { orgId: venue.id, role: 'staff', name: 'till' })).token}`;
    });
    after(async () => app.close());

    const post = (body: unknown, headers: Record<string, string> = {}) =>
      request(app.baseUrl).post('/api/v1/sales').set('Authorization', auth).set(headers).send(body as object);

    it('refuses U+0000 in a name, a reference, a line and a filter with 422 naming the field', async () => {
      const cases: [Record<string, unknown>, string][] = [
        [{ customer: { name: 'Ada\u0000Lovelace' } }, 'customer.name'],
        [{ reference: 'REF\u0000' }, 'reference'],
        [{ lines: [{ description: 'Session\u0000', quantity: 1, unitPrice: '1.00' }] }, 'lines.0.description'],
      ];
      for (const [over, path] of cases) {
        const res = await post(sale(over)).expect(422);
        assert.deepEqual(res.body.error.details.map((d: { path: string }) => d.path), [path]);
        assert.match(res.body.error.details[0].message, /control characters/);
      }
      for (const filter of ['q', 'reference']) {
        const res = await request(app.baseUrl).get('/api/v1/sales').query({ [filter]: 'x\u0000y' }).set('Authorization', auth).expect(422);
        assert.equal(res.body.error.details[0].path, filter);
      }
      // Line breaks and tabs are text, not control characters.
      await post(sale({ lines: [{ description: 'Line one\nline two\tend', quantity: 1, unitPrice: '1.00' }] })).expect(201);
      assert.equal(await count(), 1);
    });

    it('refuses a sale or payment dated before 1900 (year 999 was accepted and could never reach Xero)', async () => {
      const before = await count();
      const res = await post(sale({ occurredAt: '0999-06-01T12:00:00Z' })).expect(422);
      assert.deepEqual(res.body.error.details, [{ path: 'occurredAt', message: 'must be on or after 1900-01-01' }]);
      await post(sale({ occurredAt: '1899-12-31T23:59:59Z' })).expect(422);
      assert.equal(await count(), before);
      const ok = await post(sale({ occurredAt: '1900-01-01T00:00:00Z' })).expect(201);
      const pay = await request(app.baseUrl).post(`/api/v1/sales/${ok.body.id}/payments`).set('Authorization', auth)
        .send({ method: 'cash', amount: '1.00', receivedAt: '0999-06-01T12:00:00Z' }).expect(422);
      assert.equal(pay.body.error.details[0].path, 'receivedAt');
      const list = await request(app.baseUrl).get('/api/v1/sales').query({ from: '0999-01-01' }).set('Authorization', auth).expect(422);
      assert.equal(list.body.error.details[0].path, 'from');
    });

    it('answers a 200,000-deep body 400 JSON_TOO_DEEP, with or without an Idempotency-Key, and stores nothing', async () => {
      const before = await count();
      const deep = `${'['.repeat(200_000)}${']'.repeat(200_000)}`;
      for (const headers of [{ 'Idempotency-Key': 'deep-1' }, {}]) {
        const res = await request(app.baseUrl).post('/api/v1/sales').set('Authorization', auth).set('Content-Type', 'application/json').set(headers).send(deep);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error.code, 'JSON_TOO_DEEP');
      }
      assert.equal(await count(), before);
      // The documented shape is nowhere near the limit.
      await post(sale(), { 'Idempotency-Key': 'shallow-1' }).expect(201);
    });
  });
}
