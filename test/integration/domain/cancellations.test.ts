// "Cancel booking, keep deposit" (server/domain/cancellations.ts) on SQLite and PostgreSQL: the money kept is
// what was paid less what was given back, the sale owes nothing more (no further payment is taken), and
// `sale.cancelled` is emitted once, in the same transaction; a second cancellation is refused and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConflictError, ValidationError } from '../../../server/errors';
import { cancelKeepingDeposit } from '../../../server/domain/cancellations';
import { createSale } from '../../../server/domain/sales';
import { issueRefund } from '../../../server/domain/refunds';
import { recordPayment } from '../../../server/domain/payments';
import { dbKinds } from '../../support/db';
import { committedEvents, createDomainFixture, rowCounts, saleBody, type DomainFixture } from './fixtures';

for (const kind of dbKinds()) {
  describe(`cancelKeepingDeposit (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('keeps what was paid less what was given back, owes nothing more, and emits sale.cancelled once', async () => {
      const sale = await createSale(fx, fx.staff, saleBody({ payments: [{ method: 'cash', amount: '10.00' }] })); // 28.00
      await recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '5.50' });
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '2.00', method: 'cash' });
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '1.00' }); // a credit: nothing given back
      const result = await cancelKeepingDeposit(fx, fx.staff, sale.id);
      assert.equal(result.kept, '13.50');
      assert.equal(result.sale.outstanding, '0.00');
      assert.equal(result.sale.cancellation?.kept, '13.50');
      const event = fx.delivered.find((e) => e.type === 'sale.cancelled' && e.data.sale.id === sale.id);
      assert.ok(event && event.type === 'sale.cancelled');
      assert.equal(event.data.keptMinor, 1350);
      assert.equal(event.data.sale.cancellation?.keptMinor, 1350);
      assert.equal((await committedEvents(fx.db)).filter((e) => e.type === 'sale.cancelled' && e.subject_id === sale.id).length, 1);
      await assert.rejects(recordPayment(fx, fx.staff, sale.id, { method: 'cash', amount: '1.00' }), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.details, [{ path: 'amount', message: 'the booking was cancelled with its deposit kept: it takes no more payments' }]);
        return true;
      });
    });

    it('a second cancellation is refused and changes nothing', async () => {
      const sale = await createSale(fx, fx.staff, saleBody());
      await cancelKeepingDeposit(fx, fx.staff, sale.id);
      const counts = await rowCounts(fx.db);
      await assert.rejects(cancelKeepingDeposit(fx, fx.staff, sale.id), ConflictError);
      assert.deepEqual(await rowCounts(fx.db), counts);
    });
  });
}
