// The JSON API through the real app: bearer tokens created as the CLI creates them, roles, org scoping,
// and a sale's downstream sync state written by a subscribing plugin inside the sale's transaction.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { createOrganisation } from '../../../server/domain/organisations';
import { createApiToken } from '../../../server/auth/apiTokens';
import { definePlugin, type PluginDefinition } from '../../../server/plugins/contract';
import { z } from 'zod';

// A plugin that records a pending downstream invoice for each sale, as the Xero plugin does.
const pendingPlugin = definePlugin({
  id: 'ledger',
  title: 'Ledger',
  configSchema: z.object({}),
  subscribers: {
    'sale.completed': async (event, trx, ctx) => {
      await ctx.sync.upsert(trx, { orgId: event.orgId, entityType: 'sale', entityId: event.data.sale.id, recordType: 'invoice', status: 'pending' });
    },
  },
}) as unknown as PluginDefinition<unknown>;

const sale = {
  reference: 'BOOK-1001',
  currency: 'GBP',
  customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
  lines: [{ description: 'Climbing session', quantity: '2', unitPrice: '12.50', category: 'sessions', taxCode: 'OUTPUT2' }],
  payments: [{ method: 'card_terminal', amount: '25.00', providerRef: 'term-1' }],
};

for (const kind of dbKinds()) {
  describe(`JSON API through the real app with bearer tokens (${kind})`, () => {
    let app: TestApp;
    const tokens: Record<string, string> = {};

    before(async () => {
      app = await startTestApp({ kind, plugins: [pendingPlugin] });
      const db = app.host.deps.db;
      const venue = await createOrganisation(db, { name: 'Venue A' });
      const other = await createOrganisation(db, { name: 'Venue B' });
      tokens.staff = (await createApiToken(db, { orgId: venue.id, role: 'staff', name: 'till' })).token;
      tokens.accountant = (await createApiToken(db, { orgId: venue.id, role: 'accountant', name: 'books' })).token;
      tokens.otherStaff = (await createApiToken(db, { orgId: other.id, role: 'staff', name: 'other till' })).token;
    });
    after(async () => app.close());

    it('refuses a missing or unknown token with 401', async () => {
      await request(app.baseUrl).get('/api/v1/sales').expect(401);
      await request(app.baseUrl).get('/api/v1/sales').set('authorization', 'Bearer lb_not-a-token').expect(401);
    });

    it('creates a sale for staff and shows its pending downstream record', async () => {
      const created = await request(app.baseUrl).post('/api/v1/sales').set('authorization', `Bearer ${tokens.staff}`).send(sale).expect(201);
      assert.equal(created.body.total, '25.00');
      assert.equal(created.body.paid, '25.00');
      const got = await request(app.baseUrl).get(`/api/v1/sales/${created.body.id}`).set('authorization', `Bearer ${tokens.staff}`).expect(200);
      assert.deepEqual(
        got.body.sync.map((s: { plugin: string; recordType: string; status: string }) => [s.plugin, s.recordType, s.status]),
        [['ledger', 'invoice', 'pending']],
      );
    });

    it('lets an accountant read but not write', async () => {
      const list = await request(app.baseUrl).get('/api/v1/sales').set('authorization', `Bearer ${tokens.accountant}`).expect(200);
      assert.equal(list.body.data.length, 1);
      await request(app.baseUrl).post('/api/v1/sales').set('authorization', `Bearer ${tokens.accountant}`).send({ ...sale, reference: 'X' }).expect(403);
    });

    it('never shows one organisation another organisation\'s sales', async () => {
      const list = await request(app.baseUrl).get('/api/v1/sales').set('authorization', `Bearer ${tokens.otherStaff}`).expect(200);
      assert.equal(list.body.data.length, 0);
      const id = (await app.host.deps.db('sales').first()).id;
      await request(app.baseUrl).get(`/api/v1/sales/${id}`).set('authorization', `Bearer ${tokens.otherStaff}`).expect(404);
      await request(app.baseUrl).post(`/api/v1/sales/${id}/refunds`).set('authorization', `Bearer ${tokens.otherStaff}`).send({ kind: 'full' }).expect(404);
    });

    it('answers bad input with 422 listing every field and writes nothing', async () => {
      const before = (await app.host.deps.db('sales').count({ n: '*' }))[0]!.n;
      const res = await request(app.baseUrl)
        .post('/api/v1/sales')
        .set('authorization', `Bearer ${tokens.staff}`)
        .send({ currency: 'GBX', customer: { name: '' }, lines: [{ description: 'x', quantity: '-1', unitPrice: '-3' }] })
        .expect(422);
      const paths = res.body.error.details.map((d: { path: string }) => d.path).sort();
      assert.deepEqual(paths, ['currency', 'customer.name', 'lines.0.quantity', 'lines.0.unitPrice'].sort());
      assert.equal((await app.host.deps.db('sales').count({ n: '*' }))[0]!.n, before);
      const decimals = await request(app.baseUrl)
        .post('/api/v1/sales')
        .set('authorization', `Bearer ${tokens.staff}`)
        .send({ ...sale, reference: 'JPY-1', currency: 'JPY', lines: [{ description: 'x', quantity: '1', unitPrice: '100.5' }], payments: [] })
        .expect(422);
      assert.deepEqual(decimals.body.error.details.map((d: { path: string }) => d.path), ['lines.0.unitPrice']);
      assert.equal((await app.host.deps.db('sales').count({ n: '*' }))[0]!.n, before);
    });
  });
}
