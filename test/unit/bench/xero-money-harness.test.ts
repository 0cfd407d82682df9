// The booking-money mix's bookkeeping (bench/xero-money-harness.ts): which record kind each Xero call is
// counted under, and the minimum each kind is compared with. A wrong kind or minimum would misstate the
// figures in docs/benchmarks.md.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { moneyMixMinimum, recordKindOf } from '../../../bench/xero-money-harness';
import type { CallRecord } from '../../../bench/xero-harness';

const call = (method: string, path: string, body: unknown = null): CallRecord => ({
  seq: 1, at: 0, method, url: `http://127.0.0.1:4010/api.xro/2.0/${path}`, body: body === null ? null : JSON.stringify(body), status: 200, durationMs: 1,
});
const id = '0d9e2c3a-1b2c-4d5e-8f90-123456789abc';

describe('booking-money mix: record kinds', () => {
  it('names each call by the record it writes', () => {
    assert.equal(recordKindOf(call('GET', 'Contacts?where=x')), 'contacts');
    assert.equal(recordKindOf(call('PUT', 'Contacts')), 'contacts');
    assert.equal(recordKindOf(call('PUT', 'Invoices')), 'invoices');
    assert.equal(recordKindOf(call('PUT', 'Payments')), 'payments');
    assert.equal(recordKindOf(call('PUT', `Prepayments/${id}/Allocations`)), 'deposit allocations');
    assert.equal(recordKindOf(call('PUT', `Overpayments/${id}/Allocations`)), 'credit allocations');
    assert.equal(recordKindOf(call('PUT', `Invoices/${id}/History`)), 'history notes');
    assert.equal(recordKindOf(call('GET', `Invoices?IDs=${id}`)), 'lookups');
  });

  it('tells prepayments from overpayments by the bank transactions a call carries, and says when one call holds both', () => {
    const txns = (...types: string[]) => call('PUT', 'BankTransactions', { BankTransactions: types.map((Type) => ({ Type })) });
    assert.equal(recordKindOf(txns('RECEIVE-PREPAYMENT', 'RECEIVE-PREPAYMENT')), 'prepayments (deposits)');
    assert.equal(recordKindOf(txns('RECEIVE-OVERPAYMENT')), 'overpayments');
    assert.equal(recordKindOf(txns('RECEIVE-PREPAYMENT', 'RECEIVE-OVERPAYMENT')), 'bank transactions (RECEIVE-PREPAYMENT + RECEIVE-OVERPAYMENT)');
  });
});

describe('booking-money mix: minimum calls', () => {
  it('batches of 50 where Xero takes batches, phase by phase for invoices, one call per allocation', () => {
    const min = moneyMixMinimum({ plain: 200, deposits: 100, overpaid: 100, customers: 50, scale: 10 }, 150);
    assert.deepEqual(Object.fromEntries(min), {
      contacts: 6, invoices: 6 + 2 + 2, payments: 6, 'prepayments (deposits)': 2, overpayments: 2, 'deposit allocations': 100, 'credit allocations': 100, lookups: 0,
    });
    assert.equal([...min.values()].reduce((a, b) => a + b, 0), 226);
  });

  it('rounds a part batch up', () => {
    const min = moneyMixMinimum({ plain: 1, deposits: 51, overpaid: 1, customers: 1, scale: 10 }, 2);
    assert.deepEqual([min.get('invoices'), min.get('payments'), min.get('prepayments (deposits)'), min.get('contacts')], [1 + 1 + 2, 1, 2, 2]);
  });
});
