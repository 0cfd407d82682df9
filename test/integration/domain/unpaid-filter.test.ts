// The sales list's "only unpaid" filter (issue 14; `?unpaid=1` on /sales and /api/v1/sales): the sales with
// money outstanding as the sale shows it (balanceDueMinor: total − paid − refunds given as credit), on SQLite
// and PostgreSQL. A bad value is refused naming the parameter.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSale } from '../../../server/domain/sales';
import { issueRefund } from '../../../server/domain/refunds';
import { recordPayment } from '../../../server/domain/payments';
import { listSales } from '../../../server/domain/saleView';
import { ValidationError } from '../../../server/errors';
import { dbKinds } from '../../support/db';
import { createDomainFixture, saleBody, type DomainFixture } from './fixtures';

for (const kind of dbKinds()) {
  describe(`sales list: only unpaid (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('lists the unpaid and part-paid sales with their outstanding amounts, not the paid or credited ones', async () => {
      const paid = await createSale(fx, fx.staff, saleBody({ reference: 'PAID' })); // 28.00
      await recordPayment(fx, fx.staff, paid.id, { method: 'cash', amount: '28.00' });
      await createSale(fx, fx.staff, saleBody({ reference: 'UNPAID' }));
      const part = await createSale(fx, fx.staff, saleBody({ reference: 'PART' }));
      await recordPayment(fx, fx.staff, part.id, { method: 'cash', amount: '8.00' });
      const credited = await createSale(fx, fx.staff, saleBody({ reference: 'CREDITED' }));
      await issueRefund(fx, fx.staff, credited.id, { kind: 'amount', amount: '28.00' }); // a credit: nothing is owed
      const paidBack = await createSale(fx, fx.staff, saleBody({ reference: 'PAID-BACK' }));
      await recordPayment(fx, fx.staff, paidBack.id, { method: 'cash', amount: '28.00' });
      await issueRefund(fx, fx.staff, paidBack.id, { kind: 'amount', amount: '5.00', method: 'cash' }); // money back: still settled

      const page = await listSales(fx.db, fx.orgId, { unpaid: '1' });
      assert.deepEqual(page.data.map((s) => [s.reference, s.outstanding]), [['PART', '20.00'], ['UNPAID', '28.00']]);
      const all = await listSales(fx.db, fx.orgId, { unpaid: '0' });
      assert.equal(all.data.length, 5);
      for (const s of all.data) assert.equal(page.data.some((u) => u.id === s.id), Number(s.outstanding) > 0, `${s.reference}: the filter agrees with the sale's outstanding amount`);
    });

    it('refuses a value that is not 1 or 0, naming the parameter', async () => {
      await assert.rejects(listSales(fx.db, fx.orgId, { unpaid: 'yes please' }), (err: unknown) => err instanceof ValidationError && err.issues.some((i) => i.path === 'unpaid'));
    });
  });
}
