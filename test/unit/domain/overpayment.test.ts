import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { drawCredit, splitPayment } from '../../../server/domain/overpayment';

test('a payment that fits pays the sale; the excess over what is outstanding is credit', () => {
  assert.deepEqual(splitPayment(5000, 10000), { appliedMinor: 5000, creditMinor: 0 });
  assert.deepEqual(splitPayment(10000, 10000), { appliedMinor: 10000, creditMinor: 0 });
  assert.deepEqual(splitPayment(12001, 10000), { appliedMinor: 10000, creditMinor: 2001 });
  // Owed nothing (or owed money back): all of it is credit.
  assert.deepEqual(splitPayment(700, 0), { appliedMinor: 0, creditMinor: 700 });
  assert.deepEqual(splitPayment(700, -300), { appliedMinor: 0, creditMinor: 700 });
  assert.throws(() => splitPayment(0, 100), RangeError);
  assert.throws(() => splitPayment(1.5, 100), RangeError);
});

test('property: paid part + credit = amount, to the penny; the paid part never exceeds what was outstanding', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.integer({ min: -1e12, max: 1e15 }), (amount, outstanding) => {
      const { appliedMinor, creditMinor } = splitPayment(amount, outstanding);
      assert.equal(appliedMinor + creditMinor, amount);
      assert.ok(appliedMinor >= 0 && creditMinor >= 0);
      assert.ok(appliedMinor <= Math.max(0, outstanding));
      // Credit only when the sale is paid in full.
      if (creditMinor > 0) assert.equal(appliedMinor, Math.max(0, outstanding));
    }),
    { numRuns: 2000 },
  );
});

test('credit is drawn from the oldest overpayments first, exactly, or refused when short', () => {
  const sources = [{ paymentId: 9, remainingMinor: 500 }, { paymentId: 3, remainingMinor: 200 }, { paymentId: 5, remainingMinor: 0 }];
  assert.deepEqual(drawCredit(sources, 150), [{ paymentId: 3, amountMinor: 150 }]);
  assert.deepEqual(drawCredit(sources, 600), [{ paymentId: 3, amountMinor: 200 }, { paymentId: 9, amountMinor: 400 }]);
  assert.deepEqual(drawCredit(sources, 700), [{ paymentId: 3, amountMinor: 200 }, { paymentId: 9, amountMinor: 500 }]);
  assert.equal(drawCredit(sources, 701), null);
  assert.equal(drawCredit([], 1), null);
});

test('property: draws add up to the amount and never take more than a source holds', () => {
  const sourcesArb = fc.uniqueArray(fc.record({ paymentId: fc.integer({ min: 1, max: 1e6 }), remainingMinor: fc.integer({ min: 0, max: 1e9 }) }), { selector: (s) => s.paymentId, maxLength: 8 });
  fc.assert(
    fc.property(sourcesArb, fc.integer({ min: 1, max: 1e10 }), (sources, amount) => {
      const held = sources.reduce((sum, s) => sum + s.remainingMinor, 0);
      const draws = drawCredit(sources, amount);
      if (amount > held) return assert.equal(draws, null);
      assert.ok(draws);
      assert.equal(draws.reduce((sum, d) => sum + d.amountMinor, 0), amount);
      for (const d of draws) assert.ok(d.amountMinor > 0 && d.amountMinor <= sources.find((s) => s.paymentId === d.paymentId)!.remainingMinor);
    }),
    { numRuns: 1000 },
  );
});
