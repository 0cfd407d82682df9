// Overpayments and customer credit (issue 17) on SQLite and PostgreSQL: a payment above what a sale owes
// pays it and keeps the excess as the customer's credit, in the payment's currency; a later sale of the same
// customer is paid from that credit (method customer_credit), never from credit in another currency, never
// from more credit than there is.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError } from '../../../server/errors';
import { createSale } from '../../../server/domain/sales';
import { recordPayment } from '../../../server/domain/payments';
import { getSale } from '../../../server/domain/saleView';
import { hostRecords } from '../../../server/domain/hostRecords';
import { dbKinds } from '../../support/db';
import { createDomainFixture, rowCounts, saleBody, type DomainFixture } from './fixtures';

const issuesOf = (err: unknown) => {
  assert.ok(err instanceof ValidationError);
  return err.issues;
};

for (const kind of dbKinds()) {
  describe(`customer credit (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    const customer = (n: string) => ({ customer: { name: `Credit ${n}`, email: `credit-${n}@example.com` } });

    it('an overpayment pays the sale in full and keeps the excess as the customer\'s credit', async () => {
      const sale = await createSale(fx, fx.staff, saleBody(customer('a'))); // 28.00
      const result = await recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '30.01' });
      assert.deepEqual([result.payment.amount, result.payment.toCredit], ['30.01', '2.01']);
      assert.deepEqual([result.sale.paid, result.sale.outstanding], ['28.00', '0.00']);
      assert.deepEqual(result.sale.customerCredit, [{ currency: 'GBP', amount: '2.01' }]);
      const event = fx.delivered.find((e) => e.type === 'payment.received' && e.data.payment.id === result.payment.id);
      assert.ok(event?.type === 'payment.received');
      assert.deepEqual([event.data.payment.amountMinor, event.data.payment.creditMinor, event.data.payment.fromCredit], [3001, 201, undefined]);
      // Plugins read the same through the contract.
      assert.equal((await hostRecords.payment(fx.db, fx.orgId, result.payment.id))?.creditMinor, 201);
    });

    it('a later sale is paid from the credit, oldest overpayment first, and the credit goes down', async () => {
      const first = await createSale(fx, fx.staff, saleBody(customer('b')));
      const over1 = await recordPayment(fx, fx.staff, first.id, { method: 'cash', amount: '30.00' }); // 2.00 credit
      const second = await createSale(fx, fx.staff, saleBody(customer('b')));
      const over2 = await recordPayment(fx, fx.staff, second.id, { method: 'card_terminal', amount: '33.00' }); // 5.00 credit
      assert.deepEqual(over2.sale.customerCredit, [{ currency: 'GBP', amount: '7.00' }]);

      const third = await createSale(fx, fx.staff, saleBody(customer('b')));
      const paid = await recordPayment(fx, fx.staff, third.id, { method: 'customer_credit', amount: '6.50' });
      assert.deepEqual([paid.payment.method, paid.payment.amount, paid.payment.toCredit], ['customer_credit', '6.50', null]);
      assert.deepEqual([paid.sale.paid, paid.sale.outstanding], ['6.50', '21.50']);
      assert.deepEqual(paid.sale.customerCredit, [{ currency: 'GBP', amount: '0.50' }]);
      const snapshot = await hostRecords.payment(fx.db, fx.orgId, paid.payment.id);
      assert.deepEqual(snapshot?.fromCredit, [{ paymentId: over1.payment.id, amountMinor: 200 }, { paymentId: over2.payment.id, amountMinor: 450 }]);
      // Every sale of the customer shows the same balance.
      assert.deepEqual((await getSale(fx.db, fx.orgId, first.id)).customerCredit, [{ currency: 'GBP', amount: '0.50' }]);
    });

    it('refuses, changing nothing: credit short, credit in another currency, none at all, more than outstanding', async () => {
      const gbp = await createSale(fx, fx.staff, saleBody(customer('c')));
      await recordPayment(fx, fx.staff, gbp.id, { method: 'cash', amount: '29.00' }); // 1.00 GBP credit
      const next = await createSale(fx, fx.staff, saleBody(customer('c')));
      const eur = await createSale(fx, fx.staff, saleBody({ ...customer('c'), currency: 'EUR' }));
      const stranger = await createSale(fx, fx.staff, saleBody(customer('d')));
      const counts = await rowCounts(fx.db);

      await assert.rejects(recordPayment(fx, fx.staff, next.id, { method: 'customer_credit', amount: '1.01' }), (err) => {
        assert.deepEqual(issuesOf(err), [{ path: 'amount', message: "is more than the customer's credit of 1.00 GBP" }]);
        return true;
      });
      await assert.rejects(recordPayment(fx, fx.staff, eur.id, { method: 'customer_credit', amount: '0.50' }), (err) => {
        assert.deepEqual(issuesOf(err), [{ path: 'method', message: 'the customer has no credit in EUR (their credit is in GBP, which this EUR sale cannot use)' }]);
        return true;
      });
      await assert.rejects(recordPayment(fx, fx.staff, stranger.id, { method: 'customer_credit', amount: '0.50' }), (err) => {
        assert.deepEqual(issuesOf(err), [{ path: 'method', message: 'the customer has no credit in GBP' }]);
        return true;
      });
      // Credit pays what is owed, never more: it cannot make more credit.
      const small = await createSale(fx, fx.staff, saleBody({ ...customer('c'), lines: [{ description: 'Towel', quantity: 1, unitPrice: '0.40' }] }));
      const countsWithSmall = await rowCounts(fx.db);
      await assert.rejects(recordPayment(fx, fx.staff, small.id, { method: 'customer_credit', amount: '0.41' }), (err) => {
        assert.deepEqual(issuesOf(err), [{ path: 'amount', message: 'is more than the 0.40 GBP outstanding on this sale' }]);
        return true;
      });
      assert.equal(countsWithSmall.sales, counts.sales! + 1);
      assert.deepEqual({ ...(await rowCounts(fx.db)), sales: counts.sales! + 1, sale_lines: countsWithSmall.sale_lines!, domain_events: countsWithSmall.domain_events! },
        { ...countsWithSmall }, 'nothing written by a refused payment');
      assert.deepEqual((await getSale(fx.db, fx.orgId, next.id)).customerCredit, [{ currency: 'GBP', amount: '1.00' }]);
    });

    it('a repeated provider payment that overpaid is recorded once, its credit once', async () => {
      const sale = await createSale(fx, fx.staff, saleBody(customer('e')));
      const body = { method: 'stripe', amount: '40.00', providerRef: 'ch_over_once' };
      const first = await recordPayment(fx, fx.staff, sale.id, body);
      const again = await recordPayment(fx, fx.staff, sale.id, body);
      assert.equal(again.created, false);
      assert.equal(again.payment.id, first.payment.id);
      assert.deepEqual(again.sale.customerCredit, [{ currency: 'GBP', amount: '12.00' }]);
    });

    it('two payments from the same credit at once: one is refused, the credit is never spent twice', async () => {
      const source = await createSale(fx, fx.staff, saleBody(customer('f')));
      await recordPayment(fx, fx.staff, source.id, { method: 'cash', amount: '38.00' }); // 10.00 credit
      const a = await createSale(fx, fx.staff, saleBody(customer('f')));
      const b = await createSale(fx, fx.staff, saleBody(customer('f')));
      const results = await Promise.allSettled([
        recordPayment(fx, fx.staff, a.id, { method: 'customer_credit', amount: '7.00' }),
        recordPayment(fx, fx.staff, b.id, { method: 'customer_credit', amount: '7.00' }),
      ]);
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      assert.deepEqual((await getSale(fx.db, fx.orgId, a.id)).customerCredit, [{ currency: 'GBP', amount: '3.00' }]);
    });
  });
}
