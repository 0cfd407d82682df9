import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_AMOUNT_MINOR, divideRoundHalfUp, formatMinor, formatScaled, lineTotalMinor, parseAmount, parseDecimal,
  parseDiscountRate, parseQuantity, proportionalMinor,
} from '../../../server/domain/money';

const amount = (input: unknown, currency: string, allowZero = false) => parseAmount(input, currency, { allowZero });
const minor = (input: unknown, currency: string, allowZero = false) => {
  const r = amount(input, currency, allowZero);
  assert.ok(r.ok, `expected ${String(input)} ${currency} to parse, got ${r.ok ? '' : r.message}`);
  return r.value;
};
const rejection = (r: { ok: boolean; message?: string }) => {
  assert.equal(r.ok, false);
  return (r as { message: string }).message;
};

describe('parseDecimal', () => {
  it('reads strings exactly, with sign and scale', () => {
    assert.deepEqual(parseDecimal('12.50'), { ok: true, value: { units: 1250n, scale: 2 } });
    assert.deepEqual(parseDecimal('-0.001'), { ok: true, value: { units: -1n, scale: 3 } });
    assert.deepEqual(parseDecimal('1200'), { ok: true, value: { units: 1200n, scale: 0 } });
  });

  it('reads JSON numbers through their shortest written form, so 0.1 is exactly one tenth', () => {
    assert.deepEqual(parseDecimal(0.1), { ok: true, value: { units: 1n, scale: 1 } });
    assert.deepEqual(parseDecimal(1.005), { ok: true, value: { units: 1005n, scale: 3 } });
    assert.deepEqual(parseDecimal(-0), { ok: true, value: { units: 0n, scale: 0 } });
    // Exponent forms from String(number) are expanded, not rejected.
    assert.deepEqual(parseDecimal(1e21), { ok: true, value: { units: 10n ** 21n, scale: 0 } });
    assert.deepEqual(parseDecimal(5e-7), { ok: true, value: { units: 5n, scale: 7 } });
  });

  it('rejects what is not a plainly written decimal', () => {
    for (const bad of ['', ' 1', '1 ', '+1', '.5', '5.', '1e3', '1,50', '0x10', 'NaN', 'Infinity', null, true, {}, [], NaN, Infinity]) {
      assert.equal(parseDecimal(bad).ok, false, `should reject ${JSON.stringify(bad)}`);
    }
  });

  it('refuses absurdly long input before doing BigInt work on it', () => {
    assert.match(rejection(parseDecimal('1'.repeat(41))), /too large/);
    assert.match(rejection(parseDecimal(`0.${'0'.repeat(45)}1`)), /too large or too precise/);
  });
});

describe('parseAmount', () => {
  it('respects each currency\'s minor unit: JPY 0, GBP 2, BHD 3 decimals', () => {
    assert.equal(minor('1200', 'JPY'), 1200);
    assert.equal(minor('12.50', 'GBP'), 1250);
    assert.equal(minor('12.5', 'GBP'), 1250);
    assert.equal(minor('1.250', 'BHD'), 1250);
    assert.equal(minor('0.001', 'BHD'), 1);
    assert.equal(minor(19.99, 'GBP'), 1999);
  });

  it('accepts trailing zeros beyond the minor unit, as they change nothing', () => {
    assert.equal(minor('1200.00', 'JPY'), 1200);
    assert.equal(minor('12.500', 'GBP'), 1250);
  });

  it('rejects more decimals than the currency has, naming the rule', () => {
    assert.equal(rejection(amount('1200.5', 'JPY')), 'JPY amounts have no decimal places');
    assert.equal(rejection(amount('12.505', 'GBP')), 'GBP amounts have at most 2 decimal places');
    assert.equal(rejection(amount(0.015, 'GBP')), 'GBP amounts have at most 2 decimal places');
    assert.equal(rejection(amount('1.2505', 'BHD')), 'BHD amounts have at most 3 decimal places');
  });

  it('rejects negatives, and zero unless allowed', () => {
    assert.equal(rejection(amount('-1.00', 'GBP', true)), 'must not be negative');
    assert.equal(rejection(amount('-1.00', 'GBP')), 'must be greater than zero');
    assert.equal(rejection(amount('0', 'GBP')), 'must be greater than zero');
    assert.equal(minor('0.00', 'GBP', true), 0);
  });

  it('caps amounts at MAX_AMOUNT_MINOR', () => {
    assert.equal(minor('10000000000.00', 'GBP'), MAX_AMOUNT_MINOR);
    assert.equal(rejection(amount('10000000000.01', 'GBP')), 'must be at most 10000000000.00 GBP');
    assert.equal(rejection(amount(1e21, 'JPY')), 'must be at most 1000000000000 JPY');
  });

  it('rejects non-numbers with an example of the format', () => {
    assert.match(rejection(amount('twelve', 'GBP')), /decimal number such as "12.50"/);
    assert.match(rejection(amount(undefined, 'GBP')), /decimal number/);
  });
});

describe('formatMinor', () => {
  it('writes the currency\'s number of decimals, padding small amounts', () => {
    assert.equal(formatMinor(1250, 'GBP'), '12.50');
    assert.equal(formatMinor(5, 'GBP'), '0.05');
    assert.equal(formatMinor(0, 'GBP'), '0.00');
    assert.equal(formatMinor(1200, 'JPY'), '1200');
    assert.equal(formatMinor(1250, 'BHD'), '1.250');
    assert.equal(formatMinor(1, 'BHD'), '0.001');
    assert.equal(formatMinor(-5, 'GBP'), '-0.05');
    assert.equal(formatMinor(MAX_AMOUNT_MINOR, 'GBP'), '10000000000.00');
  });

  it('round-trips with parseAmount for every currency precision', () => {
    for (const [currency, samples] of [['JPY', [0, 1, 999, 123456]], ['GBP', [0, 1, 99, 100, 123456]], ['BHD', [0, 1, 999, 1000, 123456]]] as const) {
      for (const value of samples) assert.equal(minor(formatMinor(value, currency), currency, true), value);
    }
  });

  it('formatScaled handles scale 0 and negatives', () => {
    assert.equal(formatScaled(0n, 0), '0');
    assert.equal(formatScaled(-123n, 4), '-0.0123');
  });
});

describe('parseQuantity', () => {
  it('keeps up to 4 decimals exactly and canonicalises the text', () => {
    const q = parseQuantity('2.5000');
    assert.ok(q.ok);
    assert.equal(q.value.units, 25000n);
    assert.equal(q.value.text, '2.5');
    const small = parseQuantity(0.0001);
    assert.ok(small.ok);
    assert.equal(small.value.text, '0.0001');
    const whole = parseQuantity(3);
    assert.ok(whole.ok);
    assert.equal(whole.value.text, '3');
  });

  it('rejects zero, negatives, 5 decimals and more than a million', () => {
    assert.equal(rejection(parseQuantity(0)), 'must be greater than zero');
    assert.equal(rejection(parseQuantity('-1')), 'must be greater than zero');
    assert.equal(rejection(parseQuantity('0.00001')), 'must have at most 4 decimal places');
    assert.equal(rejection(parseQuantity('1000000.0001')), 'must be at most 1000000');
    assert.ok(parseQuantity('1000000').ok);
    assert.match(rejection(parseQuantity('many')), /must be a number/);
  });
});

describe('parseDiscountRate', () => {
  it('accepts 0 up to 99.99 with 2 decimals', () => {
    const r = parseDiscountRate('12.5');
    assert.ok(r.ok);
    assert.equal(r.value.units, 1250n);
    assert.equal(r.value.text, '12.5');
    assert.ok(parseDiscountRate(0).ok);
    assert.ok(parseDiscountRate('99.99').ok);
  });

  it('rejects 100, negatives and 3 decimals', () => {
    assert.match(rejection(parseDiscountRate(100)), /less than 100/);
    assert.equal(rejection(parseDiscountRate('-5')), 'must not be negative');
    assert.equal(rejection(parseDiscountRate('12.345')), 'must have at most 2 decimal places');
  });
});

describe('lineTotalMinor', () => {
  const q = (text: string) => {
    const r = parseQuantity(text);
    assert.ok(r.ok);
    return r.value.units;
  };
  const d = (text: string) => {
    const r = parseDiscountRate(text);
    assert.ok(r.ok);
    return r.value.units;
  };

  it('multiplies exactly and rounds once, half up', () => {
    assert.equal(lineTotalMinor(q('3'), 1999, 0n), 5997n);
    // 3 × 0.10 × 87.5 % = 0.2625 → 0.26
    assert.equal(lineTotalMinor(q('3'), 10, d('12.5')), 26n);
    // 1.5 × 0.01 = 0.015 → 0.02 (half up)
    assert.equal(lineTotalMinor(q('1.5'), 1, 0n), 2n);
    // 0.5 × 0.01 = 0.005 → 0.01; 0.4999 × 0.01 → 0.00
    assert.equal(lineTotalMinor(q('0.5'), 1, 0n), 1n);
    assert.equal(lineTotalMinor(q('0.4999'), 1, 0n), 0n);
    // 33.33 % off 10.00 → 6.667 → 6.67
    assert.equal(lineTotalMinor(q('1'), 1000, d('33.33')), 667n);
    // 1 × 0.05 at 10 % off = 0.045 → 0.05 (a float would give 0.045000000000000005 or 0.04499…)
    assert.equal(lineTotalMinor(q('1'), 5, d('10')), 5n);
  });

  it('a free line totals zero whatever the quantity', () => {
    assert.equal(lineTotalMinor(q('1000000'), 0, 0n), 0n);
  });

  it('stays exact far beyond double precision', () => {
    // 1,000,000 × 9,999,999,999.99 would lose pennies as a double.
    assert.equal(lineTotalMinor(q('1000000'), 999_999_999_999, 0n), 999_999_999_999_000_000n);
    assert.equal(lineTotalMinor(q('0.0001'), 999_999_999_999, d('0.01')), 99_990_000n);
  });
});

describe('rounding helpers', () => {
  it('divideRoundHalfUp rounds .5 up and below .5 down', () => {
    assert.equal(divideRoundHalfUp(5n, 2n), 3n);
    assert.equal(divideRoundHalfUp(7n, 3n), 2n);
    assert.equal(divideRoundHalfUp(8n, 3n), 3n);
    assert.equal(divideRoundHalfUp(0n, 3n), 0n);
    assert.throws(() => divideRoundHalfUp(-1n, 2n), RangeError);
  });

  it('proportionalMinor takes the quantity\'s share of a line total', () => {
    // 1 of 3 of 10.00 → 3.33; 2 of 3 → 6.67
    assert.equal(proportionalMinor(1000, 10000n, 30000n), 333);
    assert.equal(proportionalMinor(1000, 20000n, 30000n), 667);
    assert.equal(proportionalMinor(1000, 30000n, 30000n), 1000);
  });
});
