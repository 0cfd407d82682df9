// mapPayout: GoCardless payout items → the host's payout lines (kinds, fee signs, VAT, sale ids, rounding).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mapPayout, roundTenths, tenths } from '../../../plugins/gocardless/payouts/mapPayout';
import type { GcPayment, GcPayout, GcPayoutItem } from '../../../plugins/gocardless/client';

const payout = (amount: number): GcPayout => ({
  id: 'PO1', amount, deducted_fees: 0, currency: 'GBP', created_at: '2026-03-05T09:00:00.000Z', arrival_date: '2026-03-06',
  status: 'paid', reference: 'GC-1', payout_type: 'merchant', links: { creditor: 'CR1', creditor_bank_account: 'BA1' },
});
const payment = (id: string, metadata: Record<string, string> = {}): GcPayment => ({
  id, created_at: '2026-03-01T10:00:00.000Z', charge_date: '2026-03-04', amount: 1000, amount_refunded: 0, currency: 'GBP', status: 'paid_out',
  description: 'Membership', reference: 'LB-7', metadata, links: { mandate: 'MD1', creditor: 'CR1', payout: 'PO1' },
});
const net = (lines: { amountMinor: bigint; feeMinor: bigint }[]) => lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0n);

test('tenths of minor units parse and round half away from zero', () => {
  assert.equal(tenths('12345.0', 'x'), 123450n);
  assert.equal(tenths('-0.5', 'x'), -5n);
  assert.equal(roundTenths(5n), 1n);
  assert.equal(roundTenths(-5n), -1n);
  assert.equal(roundTenths(14n), 1n);
  assert.throws(() => tenths('12.34', 'an amount'), /not an amount/);
  assert.throws(() => tenths('1e3', 'an amount'), /not an amount/);
});

test('kinds, fee signs and VAT; the lines net to the payout', () => {
  const items: GcPayoutItem[] = [
    { type: 'payment_paid_out', amount: '1000.0', taxes: [], links: { payment: 'PM1', mandate: 'MD1' } },
    { type: 'gocardless_fee', amount: '-36.0', taxes: [{ amount: '6.0', currency: 'GBP', tax_rate_id: 'GB_VAT_1' }], links: { payment: 'PM1' } },
    { type: 'payment_refunded', amount: '-200.0', taxes: [], links: { payment: 'PM1', refund: 'RF1' } },
    { type: 'payment_charged_back', amount: '-1000.0', taxes: [], links: { payment: 'PM2' } },
    { type: 'gocardless_fee', amount: '36.0', taxes: [{ amount: '-6.0', currency: 'GBP', tax_rate_id: 'GB_VAT_1' }], links: { payment: 'PM2' } },
    { type: 'surcharge_fee', amount: '-180.0', taxes: [{ amount: '30.0', currency: 'GBP', tax_rate_id: 'GB_VAT_1' }], links: { payment: 'PM2' } },
    { type: 'payment_paid_out', amount: '5000.0', taxes: [], links: { payment: 'PM3' } },
    { type: 'revenue_share', amount: '10.0', taxes: [], links: {} },
  ];
  const total = 1000 - 36 - 200 - 1000 + 36 - 180 + 5000 + 10;
  const input = mapPayout({
    payout: payout(total), items, refunds: new Map(),
    payments: new Map([['PM1', payment('PM1', { ledgerbridge_sale_id: '42' })], ['PM2', payment('PM2')], ['PM3', payment('PM3', { ledgerbridge_sale_id: 'abc' })]]),
    customers: new Map([['PM1', { id: 'CU1', email: 'ada@example.test', given_name: 'Ada', family_name: 'Lovelace', company_name: null }]]),
  });
  assert.deepEqual(input.lines.map((l) => [l.kind, l.amountMinor, l.feeMinor, l.feeTaxMinor, l.chargeRef, l.saleId]), [
    ['charge', 1000n, 0n, 0n, 'PM1', 42], ['fee', 0n, 36n, 6n, 'PM1', 42], ['refund', -200n, 0n, 0n, 'PM1', 42],
    ['dispute', -1000n, 0n, 0n, 'PM2', null], ['fee', 0n, -36n, -6n, 'PM2', null], ['fee', 0n, 180n, 30n, 'PM2', null],
    ['charge', 5000n, 0n, 0n, 'PM3', null], ['adjustment', 10n, 0n, 0n, null, null],
  ]);
  assert.equal(net(input.lines), BigInt(total));
  assert.equal(new Set(input.lines.map((l) => l.sourceId)).size, input.lines.length, 'source ids are unique');
  assert.equal(input.lines[0]?.counterpartyName, 'Ada Lovelace');
  assert.equal(input.lines[0]?.occurredAt, Date.parse('2026-03-04T00:00:00Z'));
  assert.equal(input.accountRef, 'CR1');
  assert.equal(input.arrivalDate, '2026-03-06');
});

test('fractional fees: GoCardless rounds only the total; one rounding line keeps the sum exact', () => {
  const items: GcPayoutItem[] = [
    { type: 'payment_paid_out', amount: '1000.0', links: { payment: 'PM1' } },
    { type: 'gocardless_fee', amount: '-20.4', links: { payment: 'PM1' } },
    { type: 'app_fee', amount: '-0.4', links: { payment: 'PM1' } },
  ];
  // 1000 − 20.4 − 0.4 = 979.2 → 979; the lines round to 1000 − 20 − 0 = 980.
  const input = mapPayout({ payout: payout(979), items, payments: new Map(), refunds: new Map(), customers: new Map() });
  assert.equal(net(input.lines), 979n);
  assert.deepEqual(input.lines.at(-1)?.sourceId, 'rounding');
  // A real gap (not rounding) is left for the host to flag as a discrepancy.
  const off = mapPayout({ payout: payout(900), items, payments: new Map(), refunds: new Map(), customers: new Map() });
  assert.equal(off.lines.some((l) => l.sourceId === 'rounding'), false);
});
