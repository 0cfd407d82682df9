import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ValidationError, type FieldIssue } from '../../../server/errors';
import {
  decodeCursor, encodeCursor, validatePaymentInput as validatePayment, validateRefundInput as validateRefund,
  validateSaleInput as validateSale, validateSaleListQuery,
} from '../../../server/domain/saleSchemas';

const NOW = Date.parse('2024-06-01T12:00:00Z');
/** The install's methods: the host's own and two a provider plugin would bring. */
const METHODS = ['cash', 'card_terminal', 'stripe', 'gocardless'];
const validateSaleInput = (input: unknown, now: number) => validateSale(input, METHODS, now);
const validateRefundInput = (input: unknown, currency: string) => validateRefund(input, currency, METHODS);
const validatePaymentInput = (input: unknown, currency: string, now: number) => validatePayment(input, currency, METHODS, now);

function issuesOf(fn: () => unknown): FieldIssue[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ValidationError, `expected a ValidationError, got ${String(err)}`);
    assert.equal(err.statusCode, 422);
    return err.issues;
  }
  assert.fail('expected a ValidationError');
}
const paths = (issues: FieldIssue[]) => issues.map((i) => i.path).sort();
const messageAt = (issues: FieldIssue[], path: string) => issues.find((i) => i.path === path)?.message;

const validSale = () => ({
  reference: 'INV-1',
  currency: 'GBP',
  customer: { name: 'Ann Lee', email: 'Ann@Example.com' },
  lines: [{ description: 'Yoga class', quantity: 2, unitPrice: '12.50' }],
});

describe('validateSaleInput', () => {
  it('turns a good body into exact values', () => {
    const sale = validateSaleInput(
      {
        ...validSale(),
        currency: 'gbp',
        occurredAt: '2024-06-01T13:00:00+01:00',
        lines: [
          { description: 'Yoga class', quantity: 2, unitPrice: '12.50', taxCode: 'OUTPUT2', category: 'classes' },
          { description: 'Mat hire', quantity: '3', unitPrice: 0.1, discountRate: '12.5' },
        ],
        payments: [{ method: 'stripe', amount: '25.26', providerRef: 'ch_1' }],
      },
      NOW,
    );
    assert.equal(sale.currency, 'GBP');
    assert.equal(sale.occurredAt, NOW);
    assert.deepEqual(sale.customer, { name: 'Ann Lee', email: 'ann@example.com' });
    assert.deepEqual(sale.lines.map((l) => l.lineTotalMinor), [2500, 26]);
    assert.equal(sale.totalMinor, 2526);
    assert.equal(sale.lines[1]!.discount!.text, '12.5');
    assert.deepEqual(sale.payments, [{ method: 'stripe', amountMinor: 2526, providerRef: 'ch_1', voucherCode: null }]);
  });

  it('lists every offending field at once, with dotted paths', () => {
    const issues = issuesOf(() =>
      validateSaleInput(
        {
          currency: 'JPY',
          occurredAt: 'yesterday',
          customer: { email: 'not-an-email' },
          lines: [
            { description: 'ok', quantity: 1, unitPrice: '100' },
            { description: '', quantity: '-1', unitPrice: '1.5', discountRate: 100 },
            { description: 'x', quantity: '0.00001', unitPrice: -3, unit_price: 5 },
          ],
          payments: [{ method: 'bitcoin', amount: 0 }],
          extra: true,
        },
        NOW,
      ),
    );
    assert.deepEqual(paths(issues), [
      'customer.email', 'customer.name', 'extra',
      'lines.1.description', 'lines.1.discountRate', 'lines.1.quantity', 'lines.1.unitPrice',
      'lines.2.quantity', 'lines.2.unitPrice', 'lines.2.unit_price',
      'occurredAt', 'payments.0.amount', 'payments.0.method',
    ]);
    assert.equal(messageAt(issues, 'lines.1.unitPrice'), 'JPY amounts have no decimal places');
    assert.equal(messageAt(issues, 'lines.2.unitPrice'), 'must not be negative');
    assert.equal(messageAt(issues, 'lines.2.unit_price'), 'is not a known field');
    assert.equal(messageAt(issues, 'customer.name'), 'is required');
  });

  it('still checks amounts when the currency is unknown', () => {
    const issues = issuesOf(() =>
      validateSaleInput({ ...validSale(), currency: 'ZZZ', lines: [{ description: 'x', quantity: 1, unitPrice: 'abc' }] }, NOW),
    );
    assert.deepEqual(paths(issues), ['currency', 'lines.0.unitPrice']);
  });

  it('applies each currency\'s decimals: GBP 2, BHD 3', () => {
    const gbp = issuesOf(() => validateSaleInput({ ...validSale(), lines: [{ description: 'x', quantity: 1, unitPrice: '1.005' }] }, NOW));
    assert.equal(messageAt(gbp, 'lines.0.unitPrice'), 'GBP amounts have at most 2 decimal places');
    const bhd = issuesOf(() =>
      validateSaleInput({ ...validSale(), currency: 'BHD', lines: [{ description: 'x', quantity: 1, unitPrice: '1.0005' }] }, NOW),
    );
    assert.equal(messageAt(bhd, 'lines.0.unitPrice'), 'BHD amounts have at most 3 decimal places');
    assert.equal(validateSaleInput({ ...validSale(), currency: 'BHD', lines: [{ description: 'x', quantity: 1, unitPrice: '1.005' }] }, NOW).totalMinor, 1005);
  });

  it('takes a service date as a calendar day (past or future), refusing days that do not exist', () => {
    assert.equal(validateSaleInput({ ...validSale(), serviceDate: '2027-06-14' }, NOW).serviceDate, '2027-06-14');
    assert.equal(validateSaleInput({ ...validSale(), serviceDate: '2024-02-29' }, NOW).serviceDate, '2024-02-29');
    assert.equal(validateSaleInput(validSale(), NOW).serviceDate, null);
    for (const bad of ['2026-02-29', '2027-13-45', '2027-6-14', '14/06/2027', '2027-06-14T10:00:00Z', '1899-12-31', 20270614]) {
      const issues = issuesOf(() => validateSaleInput({ ...validSale(), serviceDate: bad }, NOW));
      assert.deepEqual(paths(issues), ['serviceDate'], String(bad));
    }
  });

  it('rejects a sale in the future beyond the clock tolerance, and dates without a time zone', () => {
    const inFourMinutes = new Date(NOW + 4 * 60_000).toISOString();
    assert.equal(validateSaleInput({ ...validSale(), occurredAt: inFourMinutes }, NOW).occurredAt, NOW + 4 * 60_000);
    const later = issuesOf(() => validateSaleInput({ ...validSale(), occurredAt: new Date(NOW + 6 * 60_000).toISOString() }, NOW));
    assert.equal(messageAt(later, 'occurredAt'), 'must not be in the future');
    const local = issuesOf(() => validateSaleInput({ ...validSale(), occurredAt: '2024-06-01T10:00:00' }, NOW));
    assert.deepEqual(paths(local), ['occurredAt']);
  });

  it('needs 1 to 500 lines', () => {
    assert.deepEqual(paths(issuesOf(() => validateSaleInput({ ...validSale(), lines: [] }, NOW))), ['lines']);
    const line = { description: 'x', quantity: 1, unitPrice: '1.00' };
    assert.equal(validateSaleInput({ ...validSale(), lines: Array.from({ length: 500 }, () => line) }, NOW).lines.length, 500);
    const tooMany = issuesOf(() => validateSaleInput({ ...validSale(), lines: Array.from({ length: 501 }, () => line) }, NOW));
    assert.deepEqual(tooMany, [{ path: 'lines', message: 'must have at most 500 lines' }]);
  });

  it('limits descriptions to 4000 characters', () => {
    const long = issuesOf(() => validateSaleInput({ ...validSale(), lines: [{ description: 'x'.repeat(4001), quantity: 1, unitPrice: '1' }] }, NOW));
    assert.deepEqual(paths(long), ['lines.0.description']);
  });

  it('rejects payments beyond the sale total and a provider reference used twice', () => {
    const issues = issuesOf(() =>
      validateSaleInput(
        {
          ...validSale(),
          payments: [
            { method: 'stripe', amount: '20.00', providerRef: 'ch_1' },
            { method: 'stripe', amount: '5.01', providerRef: 'ch_1' },
          ],
        },
        NOW,
      ),
    );
    assert.deepEqual(paths(issues), ['payments', 'payments.1.providerRef']);
    assert.match(messageAt(issues, 'payments')!, /25\.01 GBP, more than the sale total of 25\.00 GBP/);
  });

  it('rejects a line or a sale total beyond the cap', () => {
    const issues = issuesOf(() =>
      validateSaleInput({ ...validSale(), lines: [{ description: 'x', quantity: 1000000, unitPrice: '10000000000.00' }] }, NOW),
    );
    assert.deepEqual(paths(issues), ['lines.0']);
    const sum = issuesOf(() =>
      validateSaleInput({ ...validSale(), lines: [{ description: 'x', quantity: 1, unitPrice: '6000000000.00' }, { description: 'y', quantity: 1, unitPrice: '6000000000.00' }] }, NOW),
    );
    assert.deepEqual(paths(sum), ['lines']);
  });

  it('answers a body that is not an object', () => {
    assert.deepEqual(issuesOf(() => validateSaleInput([], NOW)), [{ path: '(body)', message: 'must be a JSON object' }]);
    assert.deepEqual(issuesOf(() => validateSaleInput(undefined, NOW)), [{ path: '(body)', message: 'is required' }]);
  });
});

describe('validateRefundInput', () => {
  it('accepts each kind', () => {
    assert.equal(validateRefundInput({ kind: 'full' }, 'GBP').kind, 'full');
    assert.equal(validateRefundInput({ kind: 'amount', amount: '5.00', currency: 'gbp' }, 'GBP').amountMinor, 500);
    const byLine = validateRefundInput({ kind: 'lines', lines: [{ lineId: 3, quantity: '1.5' }, { lineId: 4, amount: 2 }, { lineId: 5 }] }, 'GBP');
    assert.deepEqual(byLine.lines.map((l) => [l.lineId, l.quantity?.text ?? null, l.amountMinor]), [[3, '1.5', null], [4, null, 200], [5, null, null]]);
  });

  it('lists every problem: kind-specific fields, currency mismatch, both quantity and amount, duplicates', () => {
    const issues = issuesOf(() =>
      validateRefundInput(
        { kind: 'lines', amount: '1.00', currency: 'EUR', method: 'cheque', lines: [{ lineId: 1, quantity: 1, amount: 1 }, { lineId: 1, quantity: -2 }] },
        'GBP',
      ),
    );
    assert.deepEqual(paths(issues), ['amount', 'currency', 'lines.0', 'lines.1.lineId', 'lines.1.quantity', 'method']);
    assert.equal(messageAt(issues, 'currency'), 'must be GBP, the currency of the sale');
  });

  it('requires an amount for kind amount, in the sale currency\'s decimals', () => {
    assert.deepEqual(paths(issuesOf(() => validateRefundInput({ kind: 'amount' }, 'GBP'))), ['amount']);
    assert.equal(messageAt(issuesOf(() => validateRefundInput({ kind: 'amount', amount: '5.5' }, 'JPY')), 'amount'), 'JPY amounts have no decimal places');
  });
});

describe('validatePaymentInput', () => {
  it('accepts a payment and rejects zero, a wrong currency and unknown methods together', () => {
    assert.deepEqual(validatePaymentInput({ method: 'cash', amount: '1.00' }, 'GBP', NOW), { method: 'cash', amountMinor: 100, providerRef: null, voucherCode: null, receivedAt: null });
    const issues = issuesOf(() => validatePaymentInput({ method: 'bank', amount: '0', currency: 'USD' }, 'GBP', NOW));
    assert.deepEqual(paths(issues), ['amount', 'currency', 'method']);
  });
});

describe('validateSaleListQuery', () => {
  it('defaults and decodes the cursor', () => {
    assert.deepEqual(validateSaleListQuery({}), { limit: 25, beforeId: null, status: null, from: null, to: null, reference: null, q: null, unpaid: false });
    assert.equal(validateSaleListQuery({ cursor: encodeCursor(42), limit: '100' }).beforeId, 42);
    assert.equal(validateSaleListQuery({ from: '2024-01-01' }).from, Date.parse('2024-01-01T00:00:00Z'));
  });

  it('rejects bad parameters, repeated ones included', () => {
    const issues = issuesOf(() => validateSaleListQuery({ limit: '0', cursor: 'nope', status: 'open', from: 'yesterday', q: ['a', 'b'] }));
    assert.deepEqual(paths(issues), ['cursor', 'from', 'limit', 'q', 'status']);
    assert.deepEqual(paths(issuesOf(() => validateSaleListQuery({ limit: '101' }))), ['limit']);
  });

  it('cursors are opaque and only ours decode', () => {
    assert.equal(decodeCursor(encodeCursor(7)), 7);
    assert.equal(decodeCursor(Buffer.from('id:abc').toString('base64url')), null);
  });
});
