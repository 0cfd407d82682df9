// How a refund's credit note is settled in Xero (plugins/xero/sync/creditNotes/, the rule in
// plugins/xero/README.md "Refunds: pay out, allocate, or leave as credit"):
//   1. a refund WITH a method gave money back: a refund payment on the credit note for all of it, out of the
//      method's account; nothing allocated, so the invoice still asks for what the customer never paid —
//      and a charge recorded after its refund (a late provider webhook) still pays the invoice in full;
//   2. a refund WITHOUT a method is a credit: allocated to its invoice up to what the invoice still has
//      outstanding, min(AmountDue, credit). Xero allows an allocation only to an AUTHORISED invoice and only
//      up to its AmountDue (the emulator enforces both);
//   3. no method and nothing outstanding: the rest stays on the credit note as the customer's credit, and
//      the refund's sync state says so in words.
// Read back from the emulator's books over HTTP; SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { getSale } from '../../../server/domain/saleView';
import { startSyncFixture, type SyncFixture } from './syncFixture';

type Doc = Record<string, unknown> & { InvoiceNumber?: string; CreditNoteNumber?: string; Status?: string; Total?: number; AmountDue?: number; RemainingCredit?: number; AmountCredited?: number; AmountPaid?: number };

// 30.00 including 20 % VAT.
const sale = (n: number) => ({
  currency: 'GBP',
  reference: `RS-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Settlement Customer ${n}`, email: `settle${n}@example.com` },
  lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  describe(`Xero refund settlement (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    const invoiceOf = async (saleId: number) => (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`)!;
    const noteOf = async (refundId: number) => (await f.books<Doc>('creditnotes')).find((n) => n.CreditNoteNumber === `LB-R-${refundId}`)!;
    const refundPayments = async (refundId: number) => (await f.books<Doc>('payments')).filter((p) => String(p.Reference ?? '').startsWith(`LB-R-${refundId}`));
    const allocationsOf = (note: Doc) => ((note.Allocations ?? []) as { Amount: number }[]).map((a) => a.Amount);
    const saleView = (saleId: number) => getSale(f.x.host.deps.db, f.org.orgId, saleId);
    const syncOf = async (refundId: number) => f.x.host.deps.db('sync_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: refundId }).first() as Promise<{ status: string; error: string | null }>;

    it('no method, unpaid invoice: the credit note is allocated in full, no money paid out', async () => {
      const s = await f.sell(sale(1));
      const r = await f.refund(s.id, { kind: 'amount', amount: '12.00' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), [12]);
      assert.equal(note.Status, 'PAID', 'fully allocated');
      assert.equal(note.RemainingCredit, 0);
      assert.equal((await refundPayments(r.id)).length, 0);
      assert.equal((await invoiceOf(s.id)).AmountDue, 18);
      assert.equal((await syncOf(r.id)).status, 'synced');
    });

    it('no method, invoice partly paid but with enough outstanding: allocated in full', async () => {
      const s = await f.sell(sale(2));
      await f.pay(s.id, { method: 'cash', amount: '10.00' });
      const r = await f.refund(s.id, { kind: 'amount', amount: '15.00' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), [15]);
      assert.equal((await refundPayments(r.id)).length, 0);
      const inv = await invoiceOf(s.id);
      assert.equal(inv.AmountDue, 5);
      assert.equal(inv.AmountPaid, 10);
    });

    it('no method, invoice paid in full: the credit stays on the note as the customer\'s credit, and the sync state says why', async () => {
      const s = await f.sell(sale(3));
      await f.pay(s.id, { method: 'card_terminal', amount: '30.00' });
      const r = await f.refund(s.id, { kind: 'amount', amount: '7.50' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), []);
      assert.equal(note.Status, 'AUTHORISED');
      assert.equal(note.RemainingCredit, 7.5);
      assert.equal((await refundPayments(r.id)).length, 0, 'no money out without a method');
      assert.equal((await invoiceOf(s.id)).Status, 'PAID');
      const state = await syncOf(r.id);
      assert.equal(state.status, 'synced');
      assert.match(state.error ?? '', /7\.50 GBP left on the credit note as the customer's credit/);
    });

    it('no method, invoice with less outstanding than the credit: what is outstanding is allocated, the rest stays as credit', async () => {
      const s = await f.sell(sale(4));
      await f.pay(s.id, { method: 'cash', amount: '20.00' });
      const r = await f.refund(s.id, { kind: 'amount', amount: '16.00' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), [10]);
      assert.equal(note.RemainingCredit, 6);
      assert.equal((await refundPayments(r.id)).length, 0);
      assert.equal((await invoiceOf(s.id)).Status, 'PAID');
      assert.match((await syncOf(r.id)).error ?? '', /6\.00 GBP left on the credit note as the customer's credit/);
    });

    it('with a method, invoice paid in full: refund payment out of the method\'s account, nothing allocated', async () => {
      const s = await f.sell(sale(5));
      await f.pay(s.id, { method: 'cash', amount: '30.00' });
      const r = await f.refund(s.id, { kind: 'amount', amount: '9.00', method: 'cash' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), []);
      assert.equal(note.Status, 'PAID');
      const paid = await refundPayments(r.id);
      assert.equal(paid.length, 1);
      assert.equal(paid[0]!.Amount, 9);
      assert.equal((paid[0]!.Account as { Code: string }).Code, '091');
    });

    it('with a method, invoice partly paid: the whole refund is paid out of the method\'s account, the invoice still asks for what was never paid', async () => {
      const s = await f.sell(sale(6));
      await f.pay(s.id, { method: 'cash', amount: '24.00' });
      const r = await f.refund(s.id, { kind: 'amount', amount: '10.00', method: 'cash' });
      await f.drained();
      const note = await noteOf(r.id);
      assert.deepEqual(allocationsOf(note), [], 'money went back: nothing allocated');
      const paid = await refundPayments(r.id);
      assert.deepEqual(paid.map((p) => p.Amount), [10], 'the 10.00 handed back leaves the cash account');
      assert.equal(note.Status, 'PAID');
      assert.equal(note.RemainingCredit, 0);
      const inv = await invoiceOf(s.id);
      assert.equal(inv.AmountDue, 6, 'the 6.00 never paid');
      assert.equal((await saleView(s.id)).outstanding, '6.00', 'the host agrees');
    });

    it('with a method, before the charge was recorded (a late card webhook): paid out in full, then the charge pays the invoice in full', async () => {
      const s = await f.sell(sale(7));
      const r = await f.refund(s.id, { kind: 'amount', amount: '12.00', method: 'stripe', providerRef: `re_late_${s.id}` });
      await f.drained();
      assert.deepEqual(allocationsOf(await noteOf(r.id)), []);
      assert.deepEqual((await refundPayments(r.id)).map((p) => p.Amount), [12]);
      assert.equal((await invoiceOf(s.id)).AmountDue, 30, 'the card charge is still to come');
      // The charge's webhook arrives: all 30.00 was charged, so all of it is payable.
      await f.pay(s.id, { method: 'stripe', amount: '30.00', providerRef: `ch_late_${s.id}` });
      await f.drained();
      const inv = await invoiceOf(s.id);
      assert.equal(inv.Status, 'PAID');
      assert.equal(inv.AmountPaid, 30);
      const view = await saleView(s.id);
      assert.deepEqual([view.paid, view.refunded, view.outstanding], ['30.00', '12.00', '0.00']);
    });
  });
}
