// Issue 15 end to end, over HTTP, with Xero's webhooks (SQLite and PostgreSQL): the accountant pays an
// invoice through Xero's API with another app's token → within seconds the sale shows it paid, source Xero;
// deleting that payment in Xero reverses it; voiding an invoice in Xero flags the sale and a later resend
// pushes nothing; our own writes echo back and change nothing; the same events delivered twice and out of
// order change nothing twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { enqueueInvoicePush } from '../../../plugins/xero/sync/enqueue';
import { startIncomingFixture } from './incomingFixture';

const sale = (n: number) => ({
  currency: 'GBP',
  reference: `W-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Customer ${n}`, email: `c${n}@example.com` },
  lines: [{ description: 'Yoga class', quantity: 2, unitPrice: '40.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  test(`Xero webhooks bring Xero's changes back to the sale (${kind})`, async (t) => {
    const f = await startIncomingFixture(kind, { webhooks: true });
    t.after(() => f.close());
    const db = f.x.host.deps.db;

    const s = await f.sell(sale(1));
    await f.drained();
    const invoiceId = await f.invoiceIdOf(s.id);
    const before = await f.saleView(s.id);
    assert.equal(before.outstanding, before.total);
    assert.ok(Number(before.total) > 0);

    // Our own write (the invoice we created) echoes back as an event and changes nothing.
    await f.until('our invoice echo handled', async () => (await db('xero_incoming_events').where({ resource_id: invoiceId }).whereNotNull('handled_at').first()) ?? null);
    assert.equal((await f.saleView(s.id)).payments.length, 0);

    // The accountant records a bank transfer in Xero with the accounting tool's own token.
    const paymentId = await f.payInXero(invoiceId, Number(before.total), 'bank transfer');
    const paid = await f.until('the sale paid from Xero', async () => {
      const view = await f.saleView(s.id);
      return view.outstanding === '0.00' ? view : null;
    });
    assert.equal(paid.payments.length, 1);
    assert.equal(paid.payments[0]!.method, 'xero');
    assert.equal(paid.payments[0]!.providerRef, paymentId);
    assert.match(String(paid.payments[0]!.source), /^Paid in Xero: bank transfer, \d{1,2} [A-Z][a-z]{2}$/);
    await f.drained();
    // Nothing went back to Xero for it: the invoice has exactly the accountant's payment.
    const payments = (await f.books<{ Invoice: { InvoiceID: string }; Status: string }>('payments')).filter((p) => p.Invoice.InvoiceID === invoiceId && p.Status !== 'DELETED');
    assert.equal(payments.length, 1);

    // The sale page says where the money came from.
    const { logIn } = await import('../../support/xero');
    const staff = await logIn(f.x.app, f.org.emails.staff);
    const page = await staff.get(`/sales/${s.id}`).expect(200);
    assert.match(page.text, /data-testid="payment-source">Paid in Xero: bank transfer/);

    // The sync log lists what came back; the dashboard says when the last event came and that webhooks are verified.
    const accountant = await logIn(f.x.app, f.org.emails.accountant);
    const log = await accountant.get('/plugins/xero/sync/log').expect(200);
    assert.match(log.text, /id="incoming-events"/);
    assert.match(log.text, /<td>webhook<\/td>\s*<td class="message">[^<]*recorded on Sale /);
    const dashboard = (await accountant.get('/').expect(200)).text;
    assert.match(dashboard, /data-testid="xero-last-event"[^>]*>just now</);
    assert.match(dashboard, /data-testid="xero-webhooks"[^>]*>verified (just now|\d+ min ago)</);

    // The same delivery again, and an older event for the same invoice after it: nothing changes twice.
    const eventsBefore = Number((await db('xero_incoming_events').count({ n: '*' }))[0]!.n);
    const stale = JSON.stringify({
      events: [{ resourceUrl: `${f.emu.url}/api.xro/2.0/Invoices/${invoiceId}`, resourceId: invoiceId, eventDateUtc: '2020-01-01T00:00:00.000', eventType: 'UPDATE', eventCategory: 'INVOICE', tenantId: f.tenantId, tenantType: 'ORGANISATION' }],
      firstEventSequence: 1, lastEventSequence: 1, entropy: 'ABCDEFGHIJKLMNOPQRST',
    });
    const signature = createHmac('sha256', f.webhookKey!).update(stale).digest('base64');
    for (let i = 0; i < 2; i++) {
      await request(f.x.app).post('/webhooks/xero').set('Content-Type', 'application/json').set('x-xero-signature', signature).send(stale).expect(200);
    }
    assert.equal(Number((await db('xero_incoming_events').count({ n: '*' }))[0]!.n), eventsBefore + 1, 'a duplicate is recorded once');
    await f.until('the stale event handled', async () => (await db('xero_incoming_events').where({ resource_id: invoiceId, event_at: Date.UTC(2020, 0, 1) }).whereNotNull('handled_at').first()) ?? null);
    const after = await f.saleView(s.id);
    assert.equal(after.payments.length, 1);
    assert.equal(after.outstanding, '0.00');

    // Deleted in Xero: the payment leaves the sale.
    await f.deletePaymentInXero(paymentId);
    await f.until('the payment removed', async () => ((await f.saleView(s.id)).payments.length === 0 ? true : null));
    assert.equal((await f.saleView(s.id)).outstanding, before.total);

    // Voided in Xero: flagged at once, and a resend pushes nothing.
    const v = await f.sell(sale(2));
    await f.drained();
    const voidId = await f.invoiceIdOf(v.id);
    await f.voidInXero(voidId);
    const flagged = await f.until('the void flagged', async () => {
      const state = await db('sync_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: v.id, record_type: 'invoice' }).first();
      return state?.status === 'deleted_upstream' ? state : null;
    });
    assert.match(String(flagged.error), /was voided in Xero/);
    // At once, before any push: the sale page says so and what to do.
    const salePage = await staff.get(`/sales/${v.id}`).expect(200);
    assert.match(salePage.text, /was voided in Xero[^<]*Nothing more is sent to Xero for this sale[^<]*ask the accountant to raise a new invoice/);
    const invoicesBefore = (await f.books('invoices')).length;
    await db.transaction((trx) => enqueueInvoicePush(f.x.ctx, trx, f.org.orgId, v.id, { resend: { triggeredBy: `user:${f.admin.id}` } }));
    await f.drained();
    assert.equal((await f.books('invoices')).length, invoicesBefore, 'a resend of a voided invoice creates nothing');
    const voided = await staff.get(`/plugins/xero/sync/records/sale/${v.id}`).expect(200);
    assert.match(voided.text, /voided in Xero/i);
    assert.match((await staff.get(`/sales/${v.id}`).expect(200)).text, /deleted upstream/);
  });
}
