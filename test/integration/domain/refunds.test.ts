import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AppError, NotFoundError, ValidationError, type FieldIssue } from '../../../server/errors';
import { createSale } from '../../../server/domain/sales';
import { issueRefund } from '../../../server/domain/refunds';
import type { SaleView } from '../../../server/domain/saleView';
import { dbKinds } from '../../support/db';
import { committedEvents, createDomainFixture, rowCounts, saleBody, type DomainFixture } from './fixtures';

async function rejectsWith(promise: Promise<unknown>, check: (issues: FieldIssue[]) => void): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ValidationError, `expected ValidationError, got ${String(err)}`);
    check(err.issues);
    return true;
  });
}

for (const kind of dbKinds()) {
  describe(`issueRefund (${kind})`, () => {
    let fx: DomainFixture;
    before(async () => {
      fx = await createDomainFixture(kind);
    });
    after(async () => fx.destroy());

    // 25.00 (2 × 12.50) + 3.00 = 28.00
    const newSale = (overrides: Record<string, unknown> = {}): Promise<SaleView> => createSale(fx, fx.staff, saleBody(overrides));

    it('refunds part by amount, then the rest in full, tracking status', async () => {
      const sale = await newSale();
      const partial = await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '5.00', method: 'stripe', providerRef: 're_1', reason: 'late start' });
      assert.equal(partial.refund.amount, '5.00');
      assert.deepEqual(partial.refund.lines, []);
      assert.equal(partial.sale.refunded, '5.00');
      assert.equal(partial.sale.status, 'partially_refunded');
      assert.equal(partial.sale.refunds.length, 1);

      const full = await issueRefund(fx, fx.staff, sale.id, { kind: 'full' });
      assert.equal(full.refund.amount, '23.00');
      assert.deepEqual(full.refund.lines, [], 'after a refund by amount the lines no longer account for what is left');
      assert.equal(full.sale.refunded, '28.00');
      assert.equal(full.sale.status, 'refunded');

      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '0.01' }), (issues) => {
        assert.deepEqual(issues, [{ path: 'amount', message: 'is more than the 0.00 GBP left to refund on this sale' }]);
      });
      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'full' }), (issues) => assert.deepEqual(issues.map((i) => i.path), ['kind']));
    });

    it('a full refund of an untouched sale mirrors its lines', async () => {
      const sale = await newSale({ payments: [{ method: 'cash', amount: '28.00' }] });
      const { refund, sale: after } = await issueRefund(fx, fx.staff, sale.id, { kind: 'full', method: 'cash' });
      assert.deepEqual(refund.lines.map((l) => [l.saleLineId, l.amount]), sale.lines.map((l) => [l.id, l.lineTotal]));
      assert.deepEqual(after.lines.map((l) => l.refunded), ['25.00', '3.00']);
      assert.equal(after.status, 'refunded');
    });

    it('never gives back at the desk more than was paid: a cash refund of 152.99 on a sale with 100.00 paid is refused', async () => {
      const sale = await newSale({ lines: [{ description: 'Party booking', quantity: 1, unitPrice: '152.99' }], payments: [{ method: 'cash', amount: '100.00' }] });
      await assert.rejects(issueRefund(fx, fx.staff, sale.id, { kind: 'full', method: 'cash' }), (err: unknown) =>
        err instanceof ValidationError && err.issues[0]?.path === 'method' && /at most 100\.00 GBP/.test(err.issues[0].message));
      assert.equal((await fx.db('refunds').where({ sale_id: sale.id })).length, 0, 'nothing stored');
      // 60.00 back in cash, then 40.00 by card terminal: the 100.00 paid is all given back; 0.01 more is refused.
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '60.00', method: 'cash' });
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '40.00', method: 'card_terminal' });
      await assert.rejects(issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '0.01', method: 'cash' }), (err: unknown) =>
        err instanceof ValidationError && /at most 0\.00 GBP: 100\.00 GBP was paid and 100\.00 GBP already given back/.test(err.issues[0]?.message ?? ''));
      // Without a method nothing goes back: the rest is a credit against what is owed. A provider refund is
      // the provider's to limit (its charge may be recorded after it).
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '10.00' });
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '5.00', method: 'stripe' });
    });

    it('refunds by line quantity, giving the last unit exactly what is left', async () => {
      const three = await newSale({ lines: [{ description: 'Pack of 3 classes', quantity: 1, unitPrice: '10.00' }, { description: 'Towel', quantity: 3, unitPrice: '3.33', discountRate: '0.1' }] });
      const towel = three.lines[1]!; // 3 × 3.33 × 0.999 = 9.98001 → 9.98
      assert.equal(towel.lineTotal, '9.98');
      const one = await issueRefund(fx, fx.staff, three.id, { kind: 'lines', lines: [{ lineId: towel.id, quantity: 1 }] });
      assert.equal(one.refund.amount, '3.33'); // 9.98 / 3 = 3.3266… → 3.33
      assert.deepEqual(one.refund.lines, [{ saleLineId: towel.id, quantity: '1', amount: '3.33' }]);
      const two = await issueRefund(fx, fx.staff, three.id, { kind: 'lines', lines: [{ lineId: towel.id, quantity: '1' }] });
      assert.equal(two.refund.amount, '3.33');
      await rejectsWith(issueRefund(fx, fx.staff, three.id, { kind: 'lines', lines: [{ lineId: towel.id, quantity: '1.5' }] }), (issues) => {
        assert.deepEqual(issues, [{ path: 'lines.0.quantity', message: 'is more than the 1 of 3 left to refund on this line' }]);
      });
      const last = await issueRefund(fx, fx.staff, three.id, { kind: 'lines', lines: [{ lineId: towel.id, quantity: 1 }] });
      assert.equal(last.refund.amount, '3.32', 'the last unit takes the remainder, so the line refunds exactly 9.98');
      assert.equal(last.sale.lines[1]!.refunded, '9.98');
      assert.equal(last.sale.refunded, '9.98');
      assert.equal(last.sale.status, 'partially_refunded');
    });

    it('refunds by line amount and whole lines; over-refunds name the remaining amount', async () => {
      const sale = await newSale();
      const [classes, mat] = sale.lines;
      const r = await issueRefund(fx, fx.staff, sale.id, { kind: 'lines', lines: [{ lineId: classes!.id, amount: '10.00' }, { lineId: mat!.id }] });
      assert.equal(r.refund.amount, '13.00');
      assert.deepEqual(r.sale.lines.map((l) => l.refunded), ['10.00', '3.00']);
      const counts = await rowCounts(fx.db);
      await rejectsWith(
        issueRefund(fx, fx.staff, sale.id, { kind: 'lines', lines: [{ lineId: classes!.id, amount: '15.01' }, { lineId: mat!.id }, { lineId: 999999 }] }),
        (issues) => {
          assert.deepEqual(issues, [
            { path: 'lines.0.amount', message: 'is more than the 15.00 GBP left to refund on this line' },
            { path: 'lines.1.lineId', message: 'nothing is left to refund on this line' },
            { path: 'lines.2.lineId', message: 'is not a line of this sale' },
          ]);
        },
      );
      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '15.01' }), (issues) => {
        assert.deepEqual(issues, [{ path: 'amount', message: 'is more than the 15.00 GBP left to refund on this sale' }]);
      });
      assert.deepEqual(await rowCounts(fx.db), counts, 'rejected refunds write nothing');
    });

    it('line refunds cannot exceed what is left on the sale after refunds by amount', async () => {
      const sale = await newSale();
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '20.00' });
      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'lines', lines: [{ lineId: sale.lines[0]!.id }] }), (issues) => {
        assert.deepEqual(issues, [{ path: 'lines', message: 'add up to 25.00 GBP, more than the 8.00 GBP left to refund on this sale' }]);
      });
    });

    it('rejects a mismatched currency, negative or absurd quantities and bad kinds, all at once', async () => {
      const sale = await newSale();
      const counts = await rowCounts(fx.db);
      await rejectsWith(
        issueRefund(fx, fx.staff, sale.id, {
          kind: 'lines', currency: 'EUR', method: 'paypal',
          lines: [{ lineId: sale.lines[0]!.id, quantity: -1 }, { lineId: sale.lines[1]!.id, quantity: '1e9' }],
        }),
        (issues) => assert.deepEqual(issues.map((i) => i.path).sort(), ['currency', 'lines.0.quantity', 'lines.1.quantity', 'method']),
      );
      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '1.001', currency: 'GBP' }), (issues) => {
        assert.deepEqual(issues, [{ path: 'amount', message: 'GBP amounts have at most 2 decimal places' }]);
      });
      await rejectsWith(issueRefund(fx, fx.staff, sale.id, { kind: 'partial' }), (issues) => assert.deepEqual(issues.map((i) => i.path), ['kind']));
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('answers 404 for an unknown sale and for another organisation\'s sale, identically', async () => {
      const theirs = await createSale(fx, fx.otherOrgStaff, saleBody());
      const counts = await rowCounts(fx.db);
      const unknown = await issueRefund(fx, fx.staff, 987654, { kind: 'full' }).catch((e: unknown) => e);
      const foreign = await issueRefund(fx, fx.staff, theirs.id, { kind: 'full' }).catch((e: unknown) => e);
      assert.ok(unknown instanceof NotFoundError && foreign instanceof NotFoundError);
      assert.equal(foreign.statusCode, 404);
      assert.equal(foreign.message.replace(String(theirs.id), 'N'), unknown.message.replace('987654', 'N'));
      assert.deepEqual(await rowCounts(fx.db), counts);
    });

    it('emits refund.issued with the refund and sale snapshots', async () => {
      const sale = await newSale({ reference: 'EVT-R' });
      const { refund } = await issueRefund(fx, fx.staff, sale.id, { kind: 'lines', lines: [{ lineId: sale.lines[0]!.id, quantity: 1 }], method: 'stripe', providerRef: 're_evt' });
      const event = fx.delivered.find((e) => e.type === 'refund.issued' && e.data.refund.id === refund.id);
      assert.ok(event && event.type === 'refund.issued');
      assert.deepEqual(event.data.refund.lines, [{ saleLineId: sale.lines[0]!.id, quantity: '1', amountMinor: 1250 }]);
      assert.equal(event.data.refund.amountMinor, 1250);
      assert.equal(event.data.refund.providerRef, 're_evt');
      assert.equal(event.data.sale.reference, 'EVT-R');
      const stored = (await committedEvents(fx.db)).filter((e) => e.type === 'refund.issued' && e.subject_id === refund.id);
      assert.equal(stored.length, 1);
    });

    it('refuses a refund provider reference already used', async () => {
      const sale = await newSale();
      await issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '1.00', method: 'stripe', providerRef: 're_dup' });
      await assert.rejects(
        issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '1.00', method: 'stripe', providerRef: 're_dup' }),
        (err: unknown) => err instanceof AppError && err.statusCode === 409 && err.code === 'REFUND_PROVIDER_REF_TAKEN',
      );
    });

    it('a free sale has nothing to refund', async () => {
      const free = await newSale({ lines: [{ description: 'Taster session', quantity: 1, unitPrice: '0' }] });
      assert.equal(free.total, '0.00');
      await rejectsWith(issueRefund(fx, fx.staff, free.id, { kind: 'full' }), (issues) => assert.deepEqual(issues.map((i) => i.path), ['kind']));
    });

    it('never over-refunds when refunds race (10 × 3.00 against 20.00)', async () => {
      const sale = await newSale({ lines: [{ description: 'Membership', quantity: 1, unitPrice: '20.00' }] });
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => issueRefund(fx, fx.staff, sale.id, { kind: 'amount', amount: '3.00' })),
      );
      const succeeded = results.filter((r) => r.status === 'fulfilled');
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(succeeded.length, 6);
      for (const f of failed) assert.ok(f.reason instanceof ValidationError, `unexpected failure: ${String(f.reason)}`);
      const row = await fx.db('sales').where({ id: sale.id }).first();
      assert.equal(Number(row.refunded_minor), 1800);
      const [sum] = (await fx.db('refunds').where({ sale_id: sale.id }).sum({ total: 'amount_minor' })) as { total: number | string }[];
      assert.equal(Number(sum!.total), 1800);
    });

    it('never over-refunds lines when line refunds race', async () => {
      const sale = await newSale({ lines: [{ description: 'Class pass', quantity: 10, unitPrice: '5.00' }] });
      const lineId = sale.lines[0]!.id;
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => issueRefund(fx, fx.staff, sale.id, { kind: 'lines', lines: [{ lineId, quantity: 3 }] })),
      );
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 3);
      const line = await fx.db('sale_lines').where({ id: lineId }).first();
      assert.equal(Number(line.refunded_minor), 4500);
    });
  });
}
