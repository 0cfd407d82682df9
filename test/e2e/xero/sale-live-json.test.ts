// GET /sales/:id/live.json, which the sale page's payments script (public/sale-payments-live.js) polls: the
// sale's state, paid, outstanding and payments as the page shows them, a payment brought back from Xero with
// its source; every role of the organisation may read it, nobody else. The page's live URLs follow where the
// app is mounted (a host mounting it under a path gets its own prefix). SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import express from 'express';
import request from 'supertest';
import { createOrganisation } from '../../../server/domain/organisations';
import { createUser } from '../../../server/auth/users';
import { dbKinds } from '../../support/db';
import { csrfFrom, logIn, PASSWORD } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const line = { description: 'Swim', quantity: 2, unitPrice: '5.00', taxCode: 'OUTPUT2' };

for (const kind of dbKinds()) {
  describe(`sale live.json for the live sale page (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('unpaid, then a payment from Xero with its source: state, paid and outstanding follow, for every role', async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Live Lee' }, lines: [line] });
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const before = await staff.get(`/sales/${s.id}/live.json`).expect(200);
      assert.equal(before.headers['cache-control'], 'no-store');
      assert.deepEqual(
        { state: before.body.state, paid: before.body.paid, outstanding: before.body.outstanding, payments: before.body.payments },
        { state: { label: 'Unpaid', tone: 'warn' }, paid: '0.00', outstanding: '10.00', payments: [] },
      );
      // What the Xero plugin's handler does with a payment recorded in Xero (through the contract).
      const paymentId = '3f1a6c0e-7b2d-4c55-9a8e-0d1e2f3a4b5c';
      await f.x.ctx.payments.record(f.org.orgId, s.id, {
        method: 'xero', amountMinor: 1000, currency: 'GBP', providerRef: paymentId, receivedAt: Date.UTC(2026, 11, 2, 12), sourceNote: 'Paid in Xero: bank transfer, 2 Dec',
      });
      for (const role of ['staff', 'admin', 'accountant'] as const) {
        const agent = role === 'staff' ? staff : await logIn(f.x.app, f.org.emails[role]);
        const after = (await agent.get(`/sales/${s.id}/live.json`).expect(200)).body;
        assert.deepEqual({ state: after.state, paid: after.paid, outstanding: after.outstanding }, { state: { label: 'Paid', tone: 'ok' }, paid: '10.00', outstanding: '0.00' }, role);
        assert.equal(after.payments.length, 1);
        assert.deepEqual(
          { method: after.payments[0].method, source: after.payments[0].source, providerRef: after.payments[0].providerRef, amount: after.payments[0].amount, currency: after.payments[0].currency },
          { method: 'Paid in Xero: bank transfer, 2 Dec', source: 'Paid in Xero: bank transfer, 2 Dec', providerRef: paymentId, amount: '10.00', currency: 'GBP' },
        );
        assert.match(after.payments[0].when, /2026|Dec|12/);
      }
      // A refund's downstream state, which the Xero plugin may set meanwhile, comes with it.
      const refund = await f.refund(s.id, { kind: 'amount', amount: '4.00' });
      assert.deepEqual((await staff.get(`/sales/${s.id}/live.json`).expect(200)).body.refunds, [{ id: refund.id, downstreamState: null }]);
      await f.x.ctx.payments.noteRefundState!(f.org.orgId, refund.id, 'Settled in Xero: 4.00 paid out');
      assert.deepEqual((await staff.get(`/sales/${s.id}/live.json`).expect(200)).body.refunds, [{ id: refund.id, downstreamState: 'Settled in Xero: 4.00 paid out' }]);
      // The server renders the same row the script would write.
      const page = await staff.get(`/sales/${s.id}`).expect(200);
      assert.match(page.text, /<span data-testid="payment-source">Paid in Xero: bank transfer, 2 Dec<\/span>/);
      assert.match(page.text, new RegExp(`data-live-url="/sales/${s.id}/live.json"`));
      assert.match(page.text, /<script src="\/assets\/sale-payments-live.js" defer><\/script>/);
      assert.match(page.text, /aria-live="polite"[^>]*data-live-announce/);
    });

    it("another organisation's user gets 404; without a session, no JSON", async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Private Pat' }, lines: [line] });
      const other = await createOrganisation(f.x.ctx.db, { name: 'Elsewhere', baseCurrency: 'GBP' });
      await createUser(f.x.ctx.db, { orgId: other.id, email: 'live@elsewhere.test', name: 'Other', role: 'staff', password: PASSWORD });
      const stranger = await logIn(f.x.app, 'live@elsewhere.test');
      const res = await stranger.get(`/sales/${s.id}/live.json`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(res.text, /Private Pat|outstanding/);
      assert.equal((await stranger.get('/sales/abc/live.json')).status, 404);
      const anonymous = await request(f.x.app).get(`/sales/${s.id}/live.json`);
      assert.notEqual(anonymous.status, 200);
      assert.doesNotMatch(anonymous.text, /"outstanding"/);
    });

    it('mounted under a path, the page points its live script and JSON under that path, and both answer', async () => {
      const s = await f.sell({ currency: 'GBP', customer: { name: 'Mounted Mo' }, lines: [line] });
      const host = express();
      host.use('/books', f.x.app);
      const agent = request.agent(host);
      const login = await agent.get('/books/login').expect(200);
      await agent.post('/books/login').type('form').send({ _csrf: csrfFrom(login), email: f.org.emails.staff, password: PASSWORD }).expect(303);
      const page = await agent.get(`/books/sales/${s.id}`).expect(200);
      assert.match(page.text, new RegExp(`data-live-url="/books/sales/${s.id}/live.json"`));
      assert.match(page.text, /<script src="\/books\/assets\/sale-payments-live.js" defer><\/script>/);
      // The sync state's live script too ("Invoice LB-… in Xero" without a reload).
      assert.match(page.text, new RegExp(`data-sync-url="/books/sales/${s.id}/sync.json"`));
      assert.match(page.text, /<script src="\/books\/assets\/sale-live.js" defer><\/script>/);
      await agent.get(`/books/sales/${s.id}/sync.json`).expect(200);
      const live = await agent.get(`/books/sales/${s.id}/live.json`).expect(200);
      assert.equal(live.body.saleId, s.id);
      const script = await agent.get('/books/assets/sale-payments-live.js').expect(200);
      assert.match(script.text, /data-live-url/);
    });
  });
}
