import { test } from 'node:test';
import assert from 'node:assert/strict';
import { balanceDueMinor } from '../../../server/domain/balance';

const refund = (amountMinor: number, method: string | null = null) => ({ amountMinor, method });

test('a sale owes its total less what was paid', () => {
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 0, refunds: [] }), 3000);
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 1000, refunds: [] }), 2000);
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 3000, refunds: [] }), 0);
});

test('a refund without a method is a credit: the customer owes that much less, and can be owed', () => {
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 0, refunds: [refund(1200)] }), 1800);
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 3000, refunds: [refund(750)] }), -750);
});

test('a refund with a method gave money back: paid, then refunded, nothing owed either way', () => {
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 3000, refunds: [refund(900, 'cash')] }), 0);
  // 24.00 paid of 30.00, 10.00 handed back in cash: the customer still owes the 6.00 they never paid.
  assert.equal(balanceDueMinor({ totalMinor: 3000, paidMinor: 2400, refunds: [refund(1000, 'cash')] }), 600);
});

test('a card refund recorded before its charge arrived leaves the whole charge payable', () => {
  assert.equal(balanceDueMinor({ totalMinor: 4500, paidMinor: 0, refunds: [refund(1500, 'stripe')] }), 4500);
  assert.equal(balanceDueMinor({ totalMinor: 4500, paidMinor: 4500, refunds: [refund(1500, 'stripe')] }), 0);
});

test('credits and money refunds together', () => {
  assert.equal(balanceDueMinor({ totalMinor: 10000, paidMinor: 5000, refunds: [refund(2000), refund(1000, 'card_terminal')] }), 3000);
});

test('a booking cancelled with its deposit kept owes nothing more, whatever was paid', () => {
  assert.equal(balanceDueMinor({ totalMinor: 9000, paidMinor: 2500, refunds: [], cancelled: true }), 0);
  assert.equal(balanceDueMinor({ totalMinor: 9000, paidMinor: 2500, refunds: [], cancelled: false }), 6500);
});
