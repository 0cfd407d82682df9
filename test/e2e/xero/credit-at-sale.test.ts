// Paying from the customer's credit inside POST /api/v1/sales (issue 17), over HTTP against the app and the
// Xero emulator, on SQLite and PostgreSQL: a sale's `payments` entry with method customer_credit spends the
// customer's earlier overpayment, by the same rules as a later payment — 422 naming payments.N.amount when the
// credit is short, payments.N.method when there is none in the sale's currency, nothing recorded — and in
// Xero the overpayment is allocated to the new invoice, the customer's balance agreeing to the penny.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startSignedInFixture, type SyncFixture } from './syncFixture';

interface Invoice { InvoiceNumber: string; Status: string; AmountDue: number; AmountPaid: number; AmountCredited: number; Contact: { ContactID: string } }
interface Overpayment { Status: string; Total: number; RemainingCredit: number; Contact: { ContactID: string }; Allocations: { Amount: number }[] }

const customer = { name: 'Credit Carla', email: 'carla@credit.example.com' };
const line = (price: string) => [{ description: 'Ten-visit pass', quantity: 1, unitPrice: price, taxCode: 'OUTPUT2' }];

for (const kind of dbKinds()) {
  describe(`paying from credit when the sale is created (${kind})`, { timeout: 150_000 }, () => {
    let f: SyncFixture;
    let token: string;
    before(async () => {
      ({ f, token } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const api = () => request(f.x.app);
    const sell = (body: Record<string, unknown>) => api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(body);
    const count = async (table: string) => Number((await f.x.host.deps.db(table).count({ n: '*' }).first())?.n);
    const invoiceOf = async (saleId: number) => (await f.books<Invoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`)!;

    it('refused, changing nothing, when the customer has no credit or too little, naming payments.N', async () => {
      const before = [await count('sales'), await count('payments'), await count('customer_credit_uses')];
      const none = await sell({ currency: 'GBP', customer, lines: line('30.00'), payments: [{ method: 'customer_credit', amount: '5.00' }] });
      assert.equal(none.status, 422, none.text);
      assert.deepEqual(none.body.error.details, [{ path: 'payments.0.method', message: 'the customer has no credit in GBP' }]);

      const first = await sell({ currency: 'GBP', customer, lines: line('30.00') });
      assert.equal(first.status, 201, first.text);
      const over = await api().post(`/api/v1/sales/${first.body.id}/payments`).set('authorization', `Bearer ${token}`).send({ method: 'cash', amount: '50.00' });
      assert.equal(over.body.payment.toCredit, '20.00');
      const counted = [await count('sales'), await count('payments'), await count('customer_credit_uses')];
      assert.deepEqual(counted, [before[0]! + 1, before[1]! + 1, before[2]]);

      const short = await sell({ currency: 'GBP', customer, lines: line('30.00'), payments: [{ method: 'cash', amount: '5.00' }, { method: 'customer_credit', amount: '20.01' }] });
      assert.equal(short.status, 422, short.text);
      assert.deepEqual(short.body.error.details, [{ path: 'payments.1.amount', message: "is more than the customer's credit of 20.00 GBP" }]);
      const twice = await sell({ currency: 'GBP', customer, lines: line('30.00'), payments: [{ method: 'customer_credit', amount: '15.00' }, { method: 'customer_credit', amount: '5.01' }] });
      assert.deepEqual(twice.body.error.details, [{ path: 'payments.1.amount', message: "is more than the customer's credit of 20.00 GBP" }], 'two entries count together');
      const euro = await sell({ currency: 'EUR', customer, lines: line('30.00'), payments: [{ method: 'customer_credit', amount: '1.00' }] });
      assert.deepEqual(euro.body.error.details, [{ path: 'payments.0.method', message: 'the customer has no credit in EUR (their credit is in GBP, which this EUR sale cannot use)' }]);
      assert.deepEqual([await count('sales'), await count('payments'), await count('customer_credit_uses')], counted, 'nothing recorded');
    });

    it('accepted: the sale is paid from the credit, and in Xero the overpayment is allocated to its invoice', async () => {
      const sale = await sell({ currency: 'GBP', customer, lines: line('30.00'), payments: [{ method: 'customer_credit', amount: '20.00' }, { method: 'cash', amount: '10.00' }] });
      assert.equal(sale.status, 201, sale.text);
      assert.deepEqual(sale.body.payments.map((p: { method: string; amount: string }) => [p.method, p.amount]), [['customer_credit', '20.00'], ['cash', '10.00']]);
      assert.deepEqual([sale.body.outstanding, sale.body.customerCredit], ['0.00', []]);
      await f.drained();
      const invoice = await invoiceOf(sale.body.id);
      assert.deepEqual([invoice.Status, invoice.AmountCredited, invoice.AmountPaid, invoice.AmountDue], ['PAID', 20, 10, 0]);
      const overpayments = (await f.books<Overpayment>('overpayments')).filter((o) => o.Contact.ContactID === invoice.Contact.ContactID);
      assert.deepEqual(overpayments.map((o) => [o.Total, o.RemainingCredit, o.Status, o.Allocations.map((a) => a.Amount)]), [[20, 0, 'PAID', [20]]]);
      const again = await sell({ currency: 'GBP', customer, lines: line('30.00'), payments: [{ method: 'customer_credit', amount: '0.01' }] });
      assert.equal(again.status, 422, 'the credit is spent');
    });
  });
}
