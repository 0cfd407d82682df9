// Properties of the money arithmetic (server/domain/money.ts) against definitions rather than a second
// implementation: a rounded result r of N/D is correct when 2rD − D ≤ 2N < 2rD + D (half up); amounts
// survive format → parse in every kind of currency, as strings and as JSON numbers; a line charges
// quantity × price × (1 − discount) rounded once; refunding all of a line's quantity gives back its total
// and refunding it in parts never drifts by more than half a minor unit per part.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { minorUnitDigits } from '../../server/domain/currency';
import {
  MAX_AMOUNT_MINOR, MAX_QUANTITY, divideRoundHalfUp, formatMinor, formatScaled, lineTotalMinor, parseAmount, parseDecimal,
  parseDiscountRate, parseQuantity, proportionalMinor, rescale,
} from '../../server/domain/money';

const CURRENCIES = ['GBP', 'JPY', 'BHD', 'KWD', 'USD', 'EUR', 'CLP', 'OMR'];
const minor = fc.integer({ min: 0, max: MAX_AMOUNT_MINOR });
const quantityUnits = fc.oneof(fc.bigInt({ min: 1n, max: BigInt(MAX_QUANTITY) * 10_000n }), fc.bigInt({ min: 1n, max: 100_000n }));
const discountUnits = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 9_999n }));

/** Half-up rounding by definition. */
function isHalfUpRounding(r: bigint, n: bigint, d: bigint): boolean {
  return 2n * r * d - d <= 2n * n && 2n * n < 2n * r * d + d;
}

describe('money arithmetic (properties)', () => {
  it('divideRoundHalfUp rounds half up, by definition', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.bigInt({ min: 1n, max: 10n ** 20n }), (n, d) => {
      assert.ok(isHalfUpRounding(divideRoundHalfUp(n, d), n, d));
    }), { numRuns: 2000 });
  });

  it('any amount survives formatMinor → parseAmount, as a string and as a JSON number', () => {
    fc.assert(fc.property(fc.constantFrom(...CURRENCIES), minor, (currency, m) => {
      const text = formatMinor(m, currency);
      assert.deepEqual(parseAmount(text, currency, { allowZero: true }), { ok: true, value: m });
      // What a client's JSON.stringify writes for that number parses to the same amount.
      const asNumber = JSON.parse(text) as number;
      assert.deepEqual(parseAmount(asNumber, currency, { allowZero: true }), { ok: true, value: m }, `${text} as number ${asNumber}`);
    }), { numRuns: 2000 });
  });

  it('refuses an amount with more decimals than the currency has, and never rounds it silently', () => {
    fc.assert(fc.property(fc.constantFrom(...CURRENCIES), fc.integer({ min: 1, max: 1_000_000_000 }), fc.integer({ min: 1, max: 9 }), (currency, m, extra) => {
      const digits = minorUnitDigits(currency);
      const text = formatScaled(BigInt(m) * 10n + BigInt(extra), digits + 1);
      const parsed = parseAmount(text, currency, { allowZero: true });
      assert.equal(parsed.ok, false, `${text} ${currency} was accepted`);
    }), { numRuns: 1000 });
  });

  it('parseDecimal and rescale are exact: format(units, scale) reads back as units at that scale', () => {
    fc.assert(fc.property(fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }), fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 4 }), (units, scale, more) => {
      const parsed = parseDecimal(formatScaled(units, scale));
      assert.ok(parsed.ok);
      assert.equal(rescale(parsed.value, scale), units);
      assert.equal(rescale(parsed.value, scale + more), units * 10n ** BigInt(more));
    }), { numRuns: 1000 });
  });

  it('a line charges quantity × price × (100 − discount)% rounded half up once', () => {
    fc.assert(fc.property(quantityUnits, fc.integer({ min: 0, max: 10_000_000 }), discountUnits, (q, price, d) => {
      const total = lineTotalMinor(q, price, d);
      assert.ok(isHalfUpRounding(total, q * BigInt(price) * (10_000n - d), 10_000n * 10_000n), `${q} × ${price} × (1 − ${d}/10000) → ${total}`);
      // More of anything never costs less.
      assert.ok(lineTotalMinor(q + 1n, price, d) >= total);
      assert.ok(lineTotalMinor(q, price + 1, d) >= total);
      if (d > 0n) assert.ok(lineTotalMinor(q, price, d - 1n) >= total);
    }), { numRuns: 2000 });
  });

  it('quantities and discounts read back as their canonical text', () => {
    fc.assert(fc.property(fc.bigInt({ min: 1n, max: BigInt(MAX_QUANTITY) * 10_000n }), discountUnits, (q, d) => {
      const quantity = parseQuantity(formatScaled(q, 4));
      assert.ok(quantity.ok);
      assert.equal(quantity.value.units, q);
      assert.deepEqual(parseQuantity(quantity.value.text), quantity);
      const discount = parseDiscountRate(formatScaled(d, 2));
      assert.ok(discount.ok);
      assert.equal(discount.value.units, d);
    }), { numRuns: 1000 });
  });

  it('refunding a whole line returns its total; refunding it in parts drifts at most ½ per part', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000_000 }), fc.array(fc.bigInt({ min: 1n, max: 50_000n }), { minLength: 1, maxLength: 8 }), (lineTotal, parts) => {
      const lineQuantity = parts.reduce((a, b) => a + b, 0n);
      assert.equal(proportionalMinor(lineTotal, lineQuantity, lineQuantity), lineTotal);
      const refunded = parts.reduce((sum, p) => sum + proportionalMinor(lineTotal, p, lineQuantity), 0);
      assert.ok(Math.abs(refunded - lineTotal) * 2 <= parts.length, `${parts.length} parts of ${lineTotal} refunded ${refunded}`);
    }), { numRuns: 1000 });
  });
});
