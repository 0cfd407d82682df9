import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, ConflictError, ValidationError } from '../../../server/errors';
import { EventBus } from '../../../server/domain/eventBus';
import { createSale } from '../../../server/domain/sales';
import { getSale } from '../../../server/domain/saleView';
import { dbKinds } from '../../support/db';
import { committedEvents, createDomainFixture, rowCounts, saleBody, type DomainFixture } from './fixtures';

for (const kind of dbKinds()) {
  describe(`createSale (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    it('writes the sale, lines, customer and payments and answers with decimal strings', async () => {
      const view = await createSale(fx, fx.staff, saleBody({
        reference: 'S-1',
        occurredAt: '2024-05-01T09:30:00Z',
        lines: [
          { description: 'Yoga class', quantity: 2, unitPrice: '12.50', taxCode: 'OUTPUT2', category: 'classes' },
          { description: 'Towel', quantity: '3', unitPrice: 0.1, discountRate: '12.5' },
        ],
        payments: [{ method: 'stripe', amount: '20.00', providerRef: 'ch_1' }],
      }));
      assert.equal(view.reference, 'S-1');
      assert.equal(view.occurredAt, '2024-05-01T09:30:00.000Z');
      assert.equal(view.total, '25.26');
      assert.equal(view.paid, '20.00');
      assert.equal(view.refunded, '0.00');
      assert.equal(view.outstanding, '5.26');
      assert.equal(view.status, 'completed');
      assert.deepEqual(view.customer, { id: view.customer.id, name: 'Ann Lee', email: 'ann@example.com' });
      assert.deepEqual(
        view.lines.map((l) => [l.position, l.quantity, l.unitPrice, l.discountRate, l.lineTotal, l.refunded, l.category, l.taxCode]),
        [[1, '2', '12.50', null, '25.00', '0.00', 'classes', 'OUTPUT2'], [2, '3', '0.10', '12.5', '0.26', '0.00', null, null]],
      );
      assert.deepEqual(view.payments.map((p) => [p.method, p.amount, p.currency, p.providerRef, p.receivedAt]), [
        ['stripe', '20.00', 'GBP', 'ch_1', '2024-05-01T09:30:00.000Z'],
      ]);
      assert.deepEqual(view.refunds, []);
      assert.deepEqual(view.sync, []);
      assert.deepEqual(await getSale(fx.db, fx.orgId, view.id), view);
      const row = await fx.db('sales').where({ id: view.id }).first();
      assert.equal(Number(row.total_minor), 2526);
      assert.equal(row.created_by, 'user:1');
    });

    it('emits sale.completed then payment.received per payment, with snapshots, in the transaction', async () => {
      const before = (await committedEvents(fx.db)).length;
      const view = await createSale(fx, fx.staff, saleBody({
        payments: [{ method: 'cash', amount: '10.00' }, { method: 'card_terminal', amount: '5.00', providerRef: 'term-9' }],
      }));
      const events = (await committedEvents(fx.db)).slice(before);
      assert.deepEqual(events.map((e) => [e.type, e.subject_type]), [['sale.completed', 'sale'], ['payment.received', 'payment'], ['payment.received', 'payment']]);
      const completed = fx.delivered.find((e) => e.type === 'sale.completed' && e.data.sale.id === view.id);
      assert.ok(completed && completed.type === 'sale.completed');
      const sale = completed.data.sale;
      assert.equal(sale.totalMinor, 2800);
      assert.equal(sale.orgId, fx.orgId);
      assert.deepEqual(sale.lines.map((l) => [l.quantity, l.unitPriceMinor, l.lineTotalMinor]), [['2', 1250, 2500], ['1', 300, 300]]);
      assert.deepEqual(sale.customer, { id: view.customer.id, name: 'Ann Lee', email: 'ann@example.com' });
      const payments = fx.delivered.filter((e) => e.type === 'payment.received' && e.data.sale.id === view.id);
      assert.deepEqual(payments.map((e) => (e.type === 'payment.received' ? [e.data.payment.method, e.data.payment.amountMinor] : null)), [['cash', 1000], ['card_terminal', 500]]);
    });

    it('matches customers by email case-insensitively, else by name among customers without email', async () => {
      const a = await createSale(fx, fx.staff, saleBody({ customer: { name: 'Bo Chen', email: 'BO@Example.com' } }));
      const b = await createSale(fx, fx.staff, saleBody({ customer: { name: 'Robert Chen', email: 'bo@example.COM' } }));
      assert.equal(b.customer.id, a.customer.id);
      assert.equal(b.customer.name, 'Bo Chen', 'a later sale does not rename the customer');
      const walkIn1 = await createSale(fx, fx.staff, saleBody({ customer: { name: 'Walk-in' } }));
      const walkIn2 = await createSale(fx, fx.staff, saleBody({ customer: { name: 'Walk-in', email: null } }));
      assert.equal(walkIn2.customer.id, walkIn1.customer.id);
      const withEmail = await createSale(fx, fx.staff, saleBody({ customer: { name: 'Walk-in', email: 'walk@in.example' } }));
      assert.notEqual(withEmail.customer.id, walkIn1.customer.id, 'an email names a distinct person');
      const otherOrg = await createSale(fx, fx.otherOrgStaff, saleBody({ customer: { name: 'Bo Chen', email: 'bo@example.com' } }));
      assert.notEqual(otherOrg.customer.id, a.customer.id, 'customers never cross organisations');
    });

    it('keeps references unique per organisation and names the sale that holds one', async () => {
      const first = await createSale(fx, fx.staff, saleBody({ reference: 'DUP-1' }));
      const counts = await rowCounts(fx.db);
      await assert.rejects(createSale(fx, fx.staff, saleBody({ reference: 'DUP-1' })), (err: unknown) => {
        assert.ok(err instanceof ConflictError);
        assert.equal(err.statusCode, 409);
        assert.equal(err.code, 'SALE_REFERENCE_TAKEN');
        assert.deepEqual(err.details, { reference: 'DUP-1', saleId: first.id });
        assert.equal(err.message, 'Reference "DUP-1" is already used by Sale DUP-1', 'the sale that holds it, by its one name');
        return true;
      });
      assert.deepEqual(await rowCounts(fx.db), counts, 'the customer created on the way is rolled back too');
      const elsewhere = await createSale(fx, fx.otherOrgStaff, saleBody({ reference: 'DUP-1' }));
      assert.equal(elsewhere.reference, 'DUP-1');
    });

    it('refuses a payment provider reference already recorded, writing nothing', async () => {
      await createSale(fx, fx.staff, saleBody({ payments: [{ method: 'stripe', amount: '1.00', providerRef: 'ch_taken' }] }));
      const counts = await rowCounts(fx.db);
      await assert.rejects(
        createSale(fx, fx.staff, saleBody({ customer: { name: 'New Person', email: 'new@example.com' }, payments: [{ method: 'stripe', amount: '1.00', providerRef: 'ch_taken' }] })),
        (err: unknown) => err instanceof AppError && err.code === 'PAYMENT_PROVIDER_REF_TAKEN' && err.statusCode === 409 &&
          // The method as people write it, the other sale by its one name.
          /^Payment "ch_taken" \(Stripe card payment\) is already recorded \(payment \d+ on Sale \d+\)$/.test(err.message),
      );
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('rejects a bad body listing every field, and writes nothing', async () => {
      const counts = await rowCounts(fx.db);
      await assert.rejects(
        createSale(fx, fx.staff, {
          currency: 'JPY',
          customer: { name: '' },
          lines: [
            { description: 'a', quantity: -1, unitPrice: '100.5' },
            { description: 'b', quantity: '1000001', unitPrice: '1e3' },
          ],
          payments: [{ method: 'stripe', amount: '-1' }],
        }),
        (err: unknown) => {
          assert.ok(err instanceof ValidationError);
          assert.deepEqual(err.issues.map((i) => i.path).sort(), [
            'customer.name', 'lines.0.quantity', 'lines.0.unitPrice', 'lines.1.quantity', 'lines.1.unitPrice', 'payments.0.amount',
          ]);
          return true;
        },
      );
      await assert.rejects(createSale(fx, fx.staff, saleBody({ payments: [{ method: 'cash', amount: '28.01' }] })), ValidationError);
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('formats zero- and three-decimal currencies', async () => {
      const jpy = await createSale(fx, fx.staff, saleBody({ currency: 'JPY', lines: [{ description: 'Day pass', quantity: 3, unitPrice: '1200', discountRate: '33.33' }] }));
      assert.equal(jpy.total, '2400'); // 3 × 1200 × 0.6667 = 2400.12 → 2400
      const bhd = await createSale(fx, fx.staff, saleBody({ currency: 'BHD', lines: [{ description: 'Court', quantity: '1.5', unitPrice: '2.125' }] }));
      assert.equal(bhd.total, '3.188'); // 3.1875 → 3.188
      assert.equal(bhd.lines[0]!.unitPrice, '2.125');
    });

    it('runs subscribers in the same transaction: a failing one rolls the sale back', async () => {
      const bus = new EventBus();
      bus.on('sale.completed', async () => {
        throw new Error('plugin could not enqueue');
      });
      const counts = await rowCounts(fx.db);
      await assert.rejects(createSale({ ...fx, events: bus }, fx.staff, saleBody({ reference: 'ROLLBACK-1' })), /plugin could not enqueue/);
      assert.deepEqual(await rowCounts(fx.db), counts);
      assert.equal(await fx.db('sales').where({ reference: 'ROLLBACK-1' }).first(), undefined);
    });

    it('commits a subscriber\'s outbox row together with the sale', async () => {
      const bus = new EventBus();
      bus.on('sale.completed', async (event, trx) => {
        if (event.type !== 'sale.completed') return;
        const sale = event.data.sale;
        // The sale row is already visible inside the transaction when the event arrives.
        assert.ok(await trx('sales').where({ id: sale.id }).first());
        await trx('outbox').insert({
          org_id: sale.orgId, plugin_id: 'test', type: 'test.invoice.push', subject: `sale:${sale.id}`, dedupe_key: `test:sale:${sale.id}`,
          payload: JSON.stringify({ saleId: sale.id }), status: 'pending', attempts: 0, max_attempts: 3, available_at: 0, created_at: 0, updated_at: 0,
        });
      });
      const view = await createSale({ ...fx, events: bus }, fx.staff, saleBody());
      const item = await fx.db('outbox').where({ dedupe_key: `test:sale:${view.id}` }).first();
      assert.ok(item);
      assert.deepEqual(JSON.parse(item.payload), { saleId: view.id });
    });
  });
}
