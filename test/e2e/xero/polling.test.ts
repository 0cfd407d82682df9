// Issue 15 through the polling sweep (SQLite and PostgreSQL): a private-app connection, which Xero sends
// no webhooks for, gets the same results: a payment recorded in Xero by the accountant's own app reaches
// the sale, its deletion reverses it, a void flags the sale; a second sweep with nothing new records
// nothing and costs three calls; a sweep cut short resumes where it stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { enqueuePolls } from '../../../plugins/xero/incoming/poll';
import { startIncomingFixture } from './incomingFixture';

const sale = (n: number) => ({
  currency: 'GBP',
  reference: `P-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Customer ${n}`, email: `p${n}@example.com` },
  lines: [{ description: 'Pilates', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  test(`the polling sweep brings Xero's changes back for a private app (${kind})`, async (t) => {
    const f = await startIncomingFixture(kind, { webhooks: false });
    t.after(() => f.close());
    const db = f.x.host.deps.db;
    let run = 0;
    const sweep = async () => {
      run += 1;
      await enqueuePolls(f.x.ctx, `test-${run}`);
      await f.until(`sweep ${run} done`, async () => (await db('outbox').where({ type: 'xero.incoming.poll' }).whereIn('status', ['pending', 'leased']).first()) ? null : true);
      await f.until(`sweep ${run} handled`, async () => (await db('outbox').where({ type: 'xero.incoming.sync' }).whereIn('status', ['pending', 'leased']).first()) ? null : true);
    };

    const s = await f.sell(sale(1));
    const v = await f.sell(sale(2));
    await f.drained();
    const invoiceId = await f.invoiceIdOf(s.id);
    const total = (await f.saleView(s.id)).total;

    await sweep();
    const first = await db('xero_poll_state').where({ org_id: f.org.orgId }).first();
    assert.equal(first.endpoint, null, 'the sweep finished');
    assert.ok(first.modified_since !== null);
    assert.equal((await f.saleView(s.id)).payments.length, 0, 'our own invoices changed nothing');

    // Xero's totals, as kept when the invoice was created; forgotten here (an invoice sent before they were
    // kept), they come back when Xero next tells us about the invoice (issue 14: the sale page's net / VAT / total).
    const invoiceRow = () => db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: s.id, record_type: 'invoice' }).first();
    const kept = await invoiceRow();
    assert.equal(Number(kept.total_cents), Math.round(Number(total) * 100), 'Xero\'s Total kept at creation');
    await db('xero_records').where({ id: kept.id }).update({ sub_total_cents: null, total_tax_cents: null, total_cents: null });

    const paymentId = await f.payInXero(invoiceId, Number(total), 'cheque');
    await sweep();
    const reread = await invoiceRow();
    assert.deepEqual([reread.sub_total_cents, reread.total_tax_cents, reread.total_cents].map(Number), [kept.sub_total_cents, kept.total_tax_cents, kept.total_cents].map(Number), 'read back from Xero with the payment');
    const paid = await f.saleView(s.id);
    assert.equal(paid.outstanding, '0.00');
    assert.equal(paid.payments[0]!.providerRef, paymentId);
    assert.match(String(paid.payments[0]!.source), /^Paid in Xero: cheque, /);

    // Nothing new: recorded nothing, three calls (one page of each list).
    const eventsBefore = Number((await db('xero_incoming_events').count({ n: '*' }))[0]!.n);
    await sweep();
    assert.equal(Number((await db('xero_incoming_events').count({ n: '*' }))[0]!.n), eventsBefore);
    assert.equal(Number((await db('xero_poll_state').where({ org_id: f.org.orgId }).first()).last_calls), 3);

    await f.deletePaymentInXero(paymentId);
    await f.voidInXero(await f.invoiceIdOf(v.id));
    await sweep();
    assert.equal((await f.saleView(s.id)).payments.length, 0);
    assert.equal((await f.saleView(s.id)).outstanding, total);
    const state = await db('sync_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: v.id, record_type: 'invoice' }).first();
    assert.equal(state.status, 'deleted_upstream');

    // A sweep cut short resumes where it stopped: saved at CreditNotes page 1, it reads only what is left.
    await db('xero_poll_state').where({ org_id: f.org.orgId }).update({ endpoint: 'CreditNotes', page: 1, sweep_started_at: Date.now() });
    await sweep();
    assert.equal(Number((await db('xero_poll_state').where({ org_id: f.org.orgId }).first()).last_calls), 2);
  });
}
