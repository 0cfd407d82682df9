// Overpayments and customer credit in Xero (issue 17), read back from the emulator's books over HTTP, on
// SQLite and PostgreSQL: a payment above what the sale owed pays the invoice what it owed and posts the excess
// as a RECEIVE-OVERPAYMENT into the method's account for the customer's contact; a later sale paid from the
// credit allocates that overpayment to its invoice. Exactly once when a send may have landed, and the
// customer's balance in Xero equals the booking system's at each step.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { getSale } from '../../../server/domain/saleView';
import { startSyncFixture, type SyncFixture } from './syncFixture';

interface Invoice { InvoiceNumber: string; Status: string; AmountDue: number; AmountPaid: number; AmountCredited: number; Type: string; Contact: { ContactID: string } }
interface Overpayment { OverpaymentID: string; Reference: string; Status: string; Total: number; RemainingCredit: number; CurrencyCode: string; Contact: { ContactID: string }; Allocations: { Amount: number; Invoice: { InvoiceID: string } }[] }
interface BankTransaction { OverpaymentID?: string; Type: string; BankAccount: { Code: string }; Total: number }
interface Payment { Amount: number; Reference: string; Invoice?: { InvoiceNumber: string } }

// 30.00 including 20 % VAT.
const sale = (customer: string) => ({
  currency: 'GBP',
  customer: { name: `Credit ${customer}`, email: `${customer}@credit.example.com` },
  lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  describe(`Xero overpayments and customer credit (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<Invoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`)!;
    const overpaymentsOf = async (contactId: string) => (await f.books<Overpayment>('overpayments')).filter((o) => o.Contact.ContactID === contactId);
    const syncOf = async (paymentId: number) => db()('sync_records').where({ org_id: f.org.orgId, entity_type: 'payment', entity_id: paymentId }).first() as Promise<{ status: string; error: string | null; external_ref: string | null }>;

    /** What the customer owes in Xero: open invoices less unallocated overpayments (cents). */
    async function xeroBalanceCents(contactId: string): Promise<number> {
      const invoices = (await f.books<Invoice>('invoices')).filter((i) => i.Contact.ContactID === contactId && i.Type === 'ACCREC' && i.Status === 'AUTHORISED');
      const credit = (await overpaymentsOf(contactId)).filter((o) => o.Status === 'AUTHORISED');
      return Math.round(invoices.reduce((s, i) => s + i.AmountDue * 100, 0) - credit.reduce((s, o) => s + o.RemainingCredit * 100, 0));
    }
    /** What the customer owes in the booking system: outstanding on their sales less their credit (cents). */
    async function hostBalanceCents(saleIds: number[]): Promise<number> {
      const views = await Promise.all(saleIds.map((id) => getSale(db(), f.org.orgId, id)));
      const owed = views.reduce((s, v) => s + Math.round(Number(v.outstanding) * 100), 0);
      const credit = views[0]!.customerCredit.filter((c) => c.currency === 'GBP').reduce((s, c) => s + Math.round(Number(c.amount) * 100), 0);
      return owed - credit;
    }

    it('an overpayment, then its later use: invoice paid, excess as an overpayment, allocated to the next invoice; balances agree', async () => {
      const first = await f.sell(sale('ada'));
      const over = await f.pay(first.id, { method: 'cash', amount: '50.00' });
      await f.drained();

      const inv1 = await invoiceOf(first.id);
      assert.deepEqual([inv1.Status, inv1.AmountPaid, inv1.AmountDue], ['PAID', 30, 0], 'the invoice got what it owed');
      const payments = (await f.books<Payment>('payments')).filter((p) => p.Reference.startsWith(`LB-P-${over.id}`));
      assert.deepEqual(payments.map((p) => p.Amount), [30]);
      const contactId = inv1.Contact.ContactID;
      const [op, ...more] = await overpaymentsOf(contactId);
      assert.equal(more.length, 0);
      assert.deepEqual([op!.Total, op!.RemainingCredit, op!.Status, op!.CurrencyCode, op!.Reference], [20, 20, 'AUTHORISED', 'GBP', `LB-P-${over.id} overpayment`]);
      const txn = (await f.books<BankTransaction>('banktransactions')).find((t) => t.OverpaymentID === op!.OverpaymentID)!;
      assert.deepEqual([txn.Type, txn.BankAccount.Code, txn.Total], ['RECEIVE-OVERPAYMENT', '091', 20], 'into the cash method\'s account');
      assert.equal((await syncOf(over.id)).status, 'synced');
      assert.equal(await xeroBalanceCents(contactId), -2000);
      assert.equal(await hostBalanceCents([first.id]), -2000);

      const second = await f.sell(sale('ada'));
      const fromCredit = await f.pay(second.id, { method: 'customer_credit', amount: '20.00' });
      await f.drained();
      const inv2 = await invoiceOf(second.id);
      assert.equal(inv2.Contact.ContactID, contactId, 'same contact');
      assert.deepEqual([inv2.Status, inv2.AmountDue, inv2.AmountCredited, inv2.AmountPaid], ['AUTHORISED', 10, 20, 0], 'credited, not paid: no money moved');
      const [used] = await overpaymentsOf(contactId);
      assert.deepEqual([used!.RemainingCredit, used!.Status, used!.Allocations.map((a) => a.Amount)], [0, 'PAID', [20]]);
      assert.equal((await f.books<Payment>('payments')).filter((p) => p.Reference.startsWith(`LB-P-${fromCredit.id}`)).length, 0);
      assert.equal((await syncOf(fromCredit.id)).status, 'synced');
      assert.equal(await xeroBalanceCents(contactId), 1000);
      assert.equal(await hostBalanceCents([first.id, second.id]), 1000);
    });

    it('credit spread over two overpayments allocates each; a payment from credit waits for its overpayment to reach Xero', async () => {
      await f.stopWorkers();
      const a = await f.sell(sale('bea'));
      await f.pay(a.id, { method: 'card_terminal', amount: '35.00' }); // 5.00 credit
      const b = await f.sell(sale('bea'));
      await f.pay(b.id, { method: 'cash', amount: '37.50' }); // 7.50 credit
      const c = await f.sell(sale('bea'));
      // Recorded before any of it is in Xero: its item must wait, not fail.
      const use = await f.pay(c.id, { method: 'customer_credit', amount: '12.00' });
      f.startWorkers();
      await f.drained(60_000);
      const contactId = (await invoiceOf(c.id)).Contact.ContactID;
      const ops = await overpaymentsOf(contactId);
      assert.deepEqual(ops.map((o) => [o.Total, o.RemainingCredit]).sort(), [[5, 0], [7.5, 0.5]]);
      const inv = await invoiceOf(c.id);
      assert.deepEqual([inv.AmountDue, inv.AmountCredited], [18, 12]);
      assert.equal((await syncOf(use.id)).status, 'synced');
      assert.equal(await xeroBalanceCents(contactId), 1750);
      assert.equal(await hostBalanceCents([a.id, b.id, c.id]), 1750);
    });

    it('exactly once when the overpayment and the allocation may have landed unanswered', async () => {
      await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/BankTransactions', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 }).expect(201);
      const first = await f.sell(sale('cy'));
      const over = await f.pay(first.id, { method: 'cash', amount: '40.00' });
      await f.drained(60_000);
      const contactId = (await invoiceOf(first.id)).Contact.ContactID;
      assert.deepEqual((await overpaymentsOf(contactId)).map((o) => o.Total), [10], 'one overpayment, adopted on the retry');
      assert.equal((await db()('xero_audit').where({ entity_type: 'payment', entity_id: over.id, action: 'adopted' })).length, 1);

      await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/Overpayments', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 }).expect(201);
      const second = await f.sell(sale('cy'));
      const use = await f.pay(second.id, { method: 'customer_credit', amount: '10.00' });
      await f.drained(60_000);
      const [op] = await overpaymentsOf(contactId);
      assert.deepEqual(op!.Allocations.map((a) => a.Amount), [10], 'allocated once');
      assert.equal((await invoiceOf(second.id)).AmountDue, 20);
      assert.equal((await db()('xero_credit_allocations').where({ payment_id: use.id })).length, 1);
      assert.equal((await db()('xero_audit').where({ entity_type: 'payment', entity_id: use.id, action: 'adopted' })).length, 1, 'found allocated on the retry, not sent again');
      assert.equal(await xeroBalanceCents(contactId), await hostBalanceCents([first.id, second.id]));
    });
  });
}
