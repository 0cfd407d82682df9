// Which part of a refund is a sold gift voucher's (server/domain/voucherRefunds.ts): pure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { voucherShares } from '../../../server/domain/voucherRefunds';

// A 30.00 class (position 0) and a 50.00 voucher (position 1), ids not in position order.
const lines = [
  { id: 12, position: 1, kind: 'voucher' as const, line_total_minor: 5000 },
  { id: 11, position: 0, kind: 'item' as const, line_total_minor: 3000 },
];

describe('voucher shares of a refund', () => {
  it('by line: the voucher line\'s amount, naming the request\'s field (quantity, amount, or the whole line)', () => {
    const plan = { amountMinor: 5000, lines: [{ saleLineId: 11, amountMinor: 3000 }, { saleLineId: 12, amountMinor: 2000 }] };
    const byAmount = voucherShares(lines, { kind: 'lines', lines: [{ lineId: 11, quantity: null, amountMinor: null }, { lineId: 12, quantity: null, amountMinor: 2000 }] }, plan);
    assert.deepEqual(byAmount, [{ saleLineId: 12, amountMinor: 2000, path: 'lines.1.amount', line: 'line 2' }]);
    const whole = voucherShares(lines, { kind: 'lines', lines: [{ lineId: 12, quantity: null, amountMinor: null }] }, { amountMinor: 5000, lines: [{ saleLineId: 12, amountMinor: 5000 }] });
    assert.deepEqual(whole, [{ saleLineId: 12, amountMinor: 5000, path: 'lines.0.lineId', line: 'line 2' }]);
    const quantity = voucherShares(lines, { kind: 'lines', lines: [{ lineId: 12, quantity: { text: '1', units: 10_000n }, amountMinor: null }] }, { amountMinor: 5000, lines: [{ saleLineId: 12, amountMinor: 5000 }] });
    assert.equal(quantity[0]?.path, 'lines.0.quantity');
  });

  it('a full refund itemised per line: the voucher line, naming `kind`', () => {
    const plan = { amountMinor: 8000, lines: [{ saleLineId: 11, amountMinor: 3000 }, { saleLineId: 12, amountMinor: 5000 }] };
    assert.deepEqual(voucherShares(lines, { kind: 'full', lines: [] }, plan), [{ saleLineId: 12, amountMinor: 5000, path: 'kind', line: 'line 2' }]);
  });

  it('by amount: the voucher line\'s exact proportional share, as the credit note splits it (largest remainder)', () => {
    // 10.01 over 30.00 and 50.00: 3.75375 and 6.25625 → 3.75 and 6.26 (the larger remainder takes the penny).
    assert.deepEqual(voucherShares(lines, { kind: 'amount', lines: [] }, { amountMinor: 1001, lines: [] }), [{ saleLineId: 12, amountMinor: 626, path: 'amount', line: 'line 2' }]);
  });

  it('a sale with no voucher line has no share', () => {
    assert.deepEqual(voucherShares([lines[1]!], { kind: 'amount', lines: [] }, { amountMinor: 100, lines: [] }), []);
  });
});
