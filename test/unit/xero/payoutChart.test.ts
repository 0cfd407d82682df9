// The payouts chart model (issue 14: a month's chart had no axis values): a round scale, its values for the
// y axis, month labels, and bars in proportion to the scale.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { payoutChart, roundScale } from '../../../plugins/xero/payouts/chart';

const payout = (arrivalDate: string, amountMinor: number, feeMinor: number, currency = 'GBP') => ({ arrivalDate, currency, amountMinor, feeMinor, status: 'posted' });
const heights = (svg: string, cls: string) => [...svg.matchAll(new RegExp(`<rect class="${cls}"[^>]* height="([\\d.]+)"`, 'g'))].map((m) => Number(m[1]));

describe('payouts chart', () => {
  it('rounds the scale up to 1, 2 or 5 of a power of ten', () => {
    assert.deepEqual([0, 1, 7, 10, 11, 19_999, 20_001, 43_000, 99_999, 100_000].map(roundScale), [2, 2, 10, 10, 20, 20_000, 50_000, 50_000, 100_000, 100_000]);
  });

  it('gives one month values on its y axis, its label and year, and bars against the scale', () => {
    const c = payoutChart([payout('2026-12-07', 17_550, 425), payout('2026-12-08', 9_436, 164)]);
    assert.equal(c.currency, 'GBP');
    assert.deepEqual(c.yTicks, ['500.00', '250.00', '0.00']);
    assert.deepEqual(c.months.map((m) => [m.month, m.label, m.year, m.paid, m.fees]), [['2026-12', 'Dec', '2026', '269.86', '5.89']]);
    assert.deepEqual(heights(c.svg, 'paid'), [Number(((26_986 / 50_000) * 100).toFixed(2))]);
    assert.deepEqual(heights(c.svg, 'fees'), [Number(((589 / 50_000) * 100).toFixed(2))]);
    assert.match(c.svg, /preserveAspectRatio="none"/);
    assert.match(c.svg, /<title id="payout-chart-title">Payouts and fees per month \(GBP\), on a scale of 0 to 500\.00<\/title>/);
  });

  it('shows the year under the first month and each January, and keeps the last twelve months of the main currency', () => {
    const months = ['2025-11', '2025-12', '2026-01', '2026-02'].map((m) => payout(`${m}-15`, 10_000, 100));
    const c = payoutChart([...months, payout('2026-02-20', 99_999_999, 0, 'USD')]);
    assert.deepEqual(c.months.map((m) => `${m.label} ${m.year ?? ''}`.trim()), ['Nov 2025', 'Dec', 'Jan 2026', 'Feb']);
    assert.deepEqual(c.yTicks, ['100.00', '50.00', '0.00']);
    const many = payoutChart(Array.from({ length: 14 }, (_, i) => payout(`${2025 + Math.floor(i / 12)}-${String((i % 12) + 1).padStart(2, '0')}-01`, 100, 1)));
    assert.equal(many.months.length, 12);
    assert.equal(many.months[0]!.month, '2025-03');
  });

  it('has nothing to draw without payouts, and keeps a currency\'s own decimals', () => {
    assert.deepEqual(payoutChart([]), { currency: null, months: [], yTicks: [], svg: '' });
    assert.deepEqual(payoutChart([payout('2026-01-01', 1234, 0, 'JPY')]).yTicks, ['2000', '1000', '0']);
  });
});
