// Issue 15: a credit note allocated or paid out in Xero updates the refund's state on the sale, through the
// contract (ProviderPayments.noteRefundState), over HTTP with Xero's webhooks (SQLite and PostgreSQL). Our own
// writes (the credit note we created, the allocation our push made) echo back and leave the refund saying
// nothing; the accountant paying the leftover credit out in Xero, with the accounting tool's own token, makes
// it say "Settled in Xero: 30.00 paid out" on the sale page. Bad input to the contract names the field and
// changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { ValidationError, NotFoundError } from '../../../server/errors';
import { startIncomingFixture } from './incomingFixture';

// 30.00 including 20 % VAT.
const sale = (n: number) => ({
  currency: 'GBP', reference: `RST-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Refund State ${n}`, email: `rs${n}@example.com` },
  lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  test(`a credit note settled in Xero updates the refund's state on the sale; our own writes do not (${kind})`, { timeout: 180_000 }, async (t) => {
    const f = await startIncomingFixture(kind, { webhooks: true });
    t.after(() => f.close());
    const db = f.x.host.deps.db;
    const stateOf = async (refundId: number) => ((await db('refunds').where({ id: refundId }).first('downstream_state')) as { downstream_state: string | null }).downstream_state;
    const noteIdOf = async (refundId: number) => String((await db('xero_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: refundId, record_type: 'credit_note' }).first()).xero_id);
    const handled = (resourceId: string, count = 1) => f.until(`${count} event(s) for ${resourceId} handled`, async () => {
      const rows = await db('xero_incoming_events').where({ resource_id: resourceId.toLowerCase() }).whereNotNull('handled_at');
      const pending = await db('xero_incoming_events').where({ resource_id: resourceId.toLowerCase() }).whereNull('handled_at').first();
      return rows.length >= count && !pending ? rows : null;
    });

    // A credit that stays on the note: the sale was paid in full at the desk, the refund gives no money back.
    const paid = await f.sell(sale(1));
    await f.pay(paid.id, { method: 'cash', amount: '30.00' });
    const credit = await f.refund(paid.id, { kind: 'amount', amount: '30.00' });
    await f.drained();
    const creditNoteId = await noteIdOf(credit.id);
    await handled(creditNoteId);
    assert.equal(await stateOf(credit.id), null, 'the echo of our own credit note says nothing');

    // A credit our push allocated to its (unpaid) invoice: the echo of the allocation says nothing either.
    const unpaid = await f.sell(sale(2));
    const allocated = await f.refund(unpaid.id, { kind: 'amount', amount: '10.00' });
    await f.drained();
    const allocatedNoteId = await noteIdOf(allocated.id);
    const allocatedEvents = await handled(allocatedNoteId);
    assert.equal(await stateOf(allocated.id), null, 'the echo of our own allocation says nothing');
    assert.match(String(allocatedEvents.at(-1)!.outcome), /Nothing to change|credit note PAID in Xero: 10\.00 allocated/);

    // The accountant pays the credit out in Xero (a cheque to the customer), with another app's token.
    const accounts = (await request(f.emu.url).get(`/_emulator/tenants/${f.tenantId}/accounts`).expect(200)).body.items as { Code?: string; AccountID: string }[];
    const bank = accounts.find((a) => a.Code === '090')!;
    const before = (await handled(creditNoteId)).length;
    const res = await request(f.emu.url).put('/api.xro/2.0/Payments').set('Authorization', f.accountant.bearer).set('Accept', 'application/json')
      .send({ Payments: [{ CreditNote: { CreditNoteID: creditNoteId }, Account: { AccountID: bank.AccountID }, Amount: 30, Date: new Date().toISOString().slice(0, 10), Reference: 'cheque 1042' }] });
    assert.equal(res.status, 200, res.text);
    await f.until('the refund says it was paid out in Xero', async () => (await stateOf(credit.id)) === 'Settled in Xero: 30.00 paid out');
    const events = await handled(creditNoteId, before + 1);
    assert.match(String(events.at(-1)!.outcome), new RegExp(`refund ${credit.id} now says "Settled in Xero: 30\\.00 paid out"`));
    // Nothing else moved: the sale's money is as it was, and the other refund still says nothing.
    const view = await f.saleView(paid.id);
    assert.deepEqual({ paid: view.paid, refunded: view.refunded }, { paid: '30.00', refunded: '30.00' });
    assert.equal(view.refunds[0]!.downstreamState, 'Settled in Xero: 30.00 paid out');
    assert.equal(await stateOf(allocated.id), null);

    // On the sale page, with the refund.
    const staff = await logIn(f.x.app, f.org.emails.staff);
    const page = await staff.get(`/sales/${paid.id}`).expect(200);
    assert.match(page.text, /<td data-testid="refund-state">Settled in Xero: 30\.00 paid out<\/td>/);
    // And in the API's view of the sale.
    assert.equal(view.refunds[0]!.downstreamState, 'Settled in Xero: 30.00 paid out');

    // The contract refuses bad input by name and changes nothing.
    const contract = f.x.ctx.payments;
    await assert.rejects(contract.noteRefundState!(f.org.orgId, credit.id, 'x'.repeat(301)), (err: unknown) => err instanceof ValidationError && err.issues.some((i) => i.path === 'state'));
    await assert.rejects(contract.noteRefundState!(f.org.orgId, 99_999_999, 'Settled'), NotFoundError);
    assert.equal(await stateOf(credit.id), 'Settled in Xero: 30.00 paid out');
    assert.deepEqual(await contract.noteRefundState!(f.org.orgId, credit.id, 'Settled in Xero: 30.00 paid out'), { changed: false });
  });
}
