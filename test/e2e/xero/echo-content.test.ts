// Issue 15: echoes recognised by content as well as by our IDs, over HTTP with Xero's webhooks (SQLite and
// PostgreSQL). Our invoice's own creation and our own payment on it echo back and change nothing; the
// accountant editing our invoice in Xero (same InvoiceID, a different line and total), with the accounting
// tool's own token, is not taken for an echo: the sale's invoice record says it was changed in Xero, with the
// old and new total, and the sale itself is left as it was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startIncomingFixture } from './incomingFixture';

// 30.00 including 20 % VAT.
const sale = (n: number) => ({
  currency: 'GBP', reference: `EC-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Echo Customer ${n}`, email: `echo${n}@example.com` },
  lines: [{ description: 'Climbing course', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  test(`our own writes echo back and change nothing; an edit made in Xero to our invoice is not an echo (${kind})`, { timeout: 180_000 }, async (t) => {
    const f = await startIncomingFixture(kind, { webhooks: true });
    t.after(() => f.close());
    const db = f.x.host.deps.db;
    const events = (invoiceId: string) => db('xero_incoming_events').where({ resource_id: invoiceId.toLowerCase() }).orderBy('id');
    const allHandled = (invoiceId: string, count: number) => f.until(`${count} event(s) for ${invoiceId} handled`, async () => {
      const rows = await events(invoiceId);
      return rows.length >= count && rows.every((r: { handled_at: unknown }) => r.handled_at !== null) ? rows : null;
    });
    const invoiceRecord = (saleId: number) => db('sync_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();

    // Our invoice's creation echoes back: recognised by its content, nothing changes.
    const paid = await f.sell(sale(1));
    await f.drained();
    const paidInvoice = await f.invoiceIdOf(paid.id);
    const created = await allHandled(paidInvoice, 1);
    // (Its CREATE may even beat our own record of the invoice, and is then dropped as not ours: an echo too.)
    assert.match(String(created.at(-1)!.outcome), /our own write echoing back|Not the invoice of one of our sales/);
    const hash = await db('xero_content_hashes').where({ org_id: f.org.orgId, record_type: 'invoice', xero_id: paidInvoice.toLowerCase() }).first();
    assert.equal(hash.source, 'ours', 'kept from the answer to our own create');
    // Our own payment (taken at the desk, pushed by us) echoes back: ours by its ID, the content unchanged.
    await f.pay(paid.id, { method: 'cash', amount: '30.00' });
    await f.drained();
    const afterPayment = await allHandled(paidInvoice, 2);
    assert.match(String(afterPayment.at(-1)!.outcome), /our own write echoing back/);
    const view = await f.saleView(paid.id);
    assert.deepEqual({ payments: view.payments.length, outstanding: view.outstanding }, { payments: 1, outstanding: '0.00' });
    assert.equal((await invoiceRecord(paid.id)).note, null);

    // The accountant edits our (unpaid) invoice in Xero: same InvoiceID, a different line and total.
    const edited = await f.sell(sale(2));
    await f.drained();
    const invoiceId = await f.invoiceIdOf(edited.id);
    await allHandled(invoiceId, 1);
    const inBooks = (await f.books<{ InvoiceID: string; LineItems: { AccountCode: string; TaxType: string }[] }>('invoices')).find((i) => i.InvoiceID === invoiceId)!;
    const { AccountCode, TaxType } = inBooks.LineItems[0]!;
    const res = await request(f.emu.url).post(`/api.xro/2.0/Invoices/${invoiceId}`).set('Authorization', f.accountant.bearer).set('Accept', 'application/json')
      .send({ Invoices: [{ LineItems: [{ Description: 'Climbing course (member price)', Quantity: 1, UnitAmount: 25, AccountCode, TaxType }] }] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.Invoices[0].Total, 25);
    const after = await allHandled(invoiceId, 2);
    assert.match(String(after.at(-1)!.outcome), /was changed in Xero after Ledgerbridge sent it .*its total is now 25\.00, it was 30\.00: not an echo of our own write/);
    const record = await invoiceRecord(edited.id);
    assert.equal(record.status, 'synced');
    assert.match(String(record.note), /was changed in Xero after Ledgerbridge sent it .*its total is now 25\.00, it was 30\.00\. The sale here is unchanged/);
    assert.equal((await f.saleView(edited.id)).total, '30.00', 'the sale itself is left as it was');
    const staff = await logIn(f.x.app, f.org.emails.staff);
    assert.match((await staff.get(`/sales/${edited.id}`).expect(200)).text, /<strong class="sync-note">Invoice [^<]*was changed in Xero after Ledgerbridge sent it/);

    // The same change told again (Xero retrying, the sweep finding it) is not reported twice.
    const key = await db('xero_content_hashes').where({ org_id: f.org.orgId, record_type: 'invoice', xero_id: invoiceId.toLowerCase() }).first();
    assert.equal(key.source, 'xero');
    assert.equal(Number(key.total_cents), 2500);
  });
}
