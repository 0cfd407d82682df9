import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, NotFoundError, ValidationError } from '../../../server/errors';
import { createSale } from '../../../server/domain/sales';
import { issueRefund } from '../../../server/domain/refunds';
import { recordPayment } from '../../../server/domain/payments';
import { dbKinds } from '../../support/db';
import { committedEvents, createDomainFixture, rowCounts, saleBody, type DomainFixture } from './fixtures';

for (const kind of dbKinds()) {
  describe(`recordPayment (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('records a payment, updates what is outstanding and emits payment.received', async () => {
      const sale = await createSale(fx, fx.staff, saleBody()); // 28.00
      const result = await recordPayment(fx, fx.staff, sale.id, { method: 'gocardless', amount: '8.00', providerRef: 'PM123', receivedAt: '2024-05-02T08:00:00Z' });
      assert.equal(result.created, true);
      assert.deepEqual([result.payment.method, result.payment.amount, result.payment.providerRef, result.payment.receivedAt], ['gocardless', '8.00', 'PM123', '2024-05-02T08:00:00.000Z']);
      assert.equal(result.sale.paid, '8.00');
      assert.equal(result.sale.outstanding, '20.00');
      const event = fx.delivered.find((e) => e.type === 'payment.received' && e.data.payment.id === result.payment.id);
      assert.ok(event && event.type === 'payment.received');
      assert.equal(event.data.payment.amountMinor, 800);
      assert.equal(event.data.sale.id, sale.id);
      assert.equal((await committedEvents(fx.db)).filter((e) => e.type === 'payment.received' && e.subject_id === result.payment.id).length, 1);
    });

    it('is idempotent on (method, providerRef): a repeat returns the first payment', async () => {
      const sale = await createSale(fx, fx.staff, saleBody());
      const first = await recordPayment(fx, fx.staff, sale.id, { method: 'stripe', amount: '28.00', providerRef: 'ch_once' });
      const counts = await rowCounts(fx.db);
      const again = await recordPayment(fx, fx.staff, sale.id, { method: 'stripe', amount: '28.00', providerRef: 'ch_once' });
      assert.equal(again.created, false);
      assert.equal(again.payment.id, first.payment.id);
      assert.equal(again.sale.paid, '28.00');
      assert.deepEqual(await rowCounts(fx.db), counts, 'no second payment, no second event');
    });

    it('refuses a provider reference reused for another sale or amount', async () => {
      const a = await createSale(fx, fx.staff, saleBody());
      const b = await createSale(fx, fx.staff, saleBody());
      await recordPayment(fx, fx.staff, a.id, { method: 'stripe', amount: '1.00', providerRef: 'ch_shared' });
      for (const [saleId, amount] of [[b.id, '1.00'], [a.id, '2.00']] as const) {
        await assert.rejects(recordPayment(fx, fx.staff, saleId, { method: 'stripe', amount, providerRef: 'ch_shared' }), (err: unknown) => {
          assert.ok(err instanceof AppError);
          assert.equal(err.statusCode, 409);
          assert.equal(err.code, 'PAYMENT_PROVIDER_REF_TAKEN');
          return true;
        });
      }
    });

    it('a provider payment (overpayment: refuse) is never more than outstanding, counting refunds and earlier payments', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ payments: [{ method: 'cash', amount: '10.00' }] }));
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '3.00' });
      const counts = await rowCounts(fx.db);
      await assert.rejects(recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '15.01' }, { overpayment: 'refuse' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues, [{ path: 'amount', message: 'is more than the 15.00 GBP outstanding on this sale' }]);
        return true;
      });
      const paid = await recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '15.00' });
      assert.equal(paid.sale.outstanding, '0.00');
      // Nothing outstanding: refused either way (credit is what is left over once a sale is paid).
      await assert.rejects(recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '0.01' }), ValidationError);
      await assert.rejects(recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '0.01' }, { overpayment: 'refuse' }), ValidationError);
      assert.equal((await rowCounts(fx.db)).payments, counts.payments! + 1);
    });

    it('validates every field and scopes the sale to the organisation', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ currency: 'JPY', lines: [{ description: 'Pass', quantity: 1, unitPrice: '1000' }] }));
      await assert.rejects(recordPayment(fx, fx.staff, sale.id, { method: 'cheque', amount: '1.5', currency: 'GBP', receivedAt: '2999-01-01T00:00:00Z' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.issues.map((i) => i.path).sort(), ['amount', 'currency', 'method', 'receivedAt']);
        return true;
      });
      await assert.rejects(recordPayment(fx, fx.otherOrgStaff, sale.id, { method: 'cash', amount: '1' }), NotFoundError);
    });

    it('never overpays when payments race', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ lines: [{ description: 'x', quantity: 1, unitPrice: '10.00' }] }));
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '3.00' }, { overpayment: 'refuse' })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      const row = await fx.db('sales').where({ id: sale.id }).first();
      assert.equal(Number(row.paid_minor), 900);
    });

    it('racing payments at the desk: the one that crosses the total pays the rest and banks the excess; none after it', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ lines: [{ description: 'x', quantity: 1, unitPrice: '10.00' }] }));
      const results = await Promise.allSettled(Array.from({ length: 8 }, () => recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '3.00' })));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 4);
      const row = await fx.db('sales').where({ id: sale.id }).first();
      assert.equal(Number(row.paid_minor), 1000);
      const credits = (await fx.db('payments').where({ sale_id: sale.id }).pluck('credit_minor')).map(Number).sort();
      assert.deepEqual(credits, [0, 0, 0, 200]);
    });
  });
}
