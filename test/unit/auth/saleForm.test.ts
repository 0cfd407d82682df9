import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptySaleForm, formErrors, readSaleForm, saleInputFromForm } from '../../../server/web/saleForm';

const body = (lines: Record<string, string>[], extra: Record<string, unknown> = {}) => ({
  customer: { name: 'Ada', email: '' },
  reference: '',
  currency: 'GBP',
  lines,
  payment: { method: '', amount: '', providerRef: '' },
  ...extra,
});

test('blank rows are dropped and empty optional fields are left out', () => {
  const form = readSaleForm(
    body([
      { description: '', quantity: '1', unitPrice: '', discountRate: '', taxCode: '', category: '' },
      { description: 'Yoga class', quantity: '2', unitPrice: '12.50', discountRate: '', taxCode: '', category: '' },
      { description: '', quantity: '1', unitPrice: '', discountRate: '', taxCode: '', category: '' },
      { description: 'Mat hire', quantity: '', unitPrice: '3', discountRate: '10', taxCode: 'OUTPUT2', category: '' },
    ]),
    'EUR',
  );
  const { input, rowOf } = saleInputFromForm(form);
  assert.deepEqual(input, {
    currency: 'GBP',
    customer: { name: 'Ada' },
    lines: [
      { description: 'Yoga class', quantity: '2', unitPrice: '12.50' },
      { description: 'Mat hire', quantity: '1', unitPrice: '3', discountRate: '10', taxCode: 'OUTPUT2' },
    ],
  });
  assert.deepEqual(rowOf, [1, 3]);
});

test('a payment is sent when a method or an amount is given', () => {
  const form = readSaleForm(body([{ description: 'x', unitPrice: '1' }], { payment: { method: 'cash', amount: '1.00', providerRef: '' } }), 'GBP');
  assert.deepEqual(saleInputFromForm(form).input.payments, [{ method: 'cash', amount: '1.00' }]);
});

test("the service's line indexes are mapped back to the rows the person typed in", () => {
  const errors = formErrors(
    [
      { path: 'lines.1.unitPrice', message: 'must be a number' },
      { path: 'customer.name', message: 'is required' },
      { path: 'payments.0.method', message: 'must be one of …' },
    ],
    [1, 3],
  );
  assert.deepEqual(errors, { 'lines.3.unitPrice': 'must be a number', 'customer.name': 'is required', 'payment.method': 'must be one of …' });
});

test('with no lines at all the message lands on the first row', () => {
  assert.deepEqual(formErrors([{ path: 'lines', message: 'must have at least one line' }], []), { 'lines.0.description': 'must have at least one line' });
});

test('rows keyed by index (past the parser array limit) are read in order; the default currency fills in', () => {
  const form = readSaleForm({ customer: { name: 'B' }, lines: { '25': { description: 'later' }, '3': { description: 'earlier' } } }, 'JPY');
  assert.deepEqual(form.lines.map((l) => l.description), ['earlier', 'later']);
  assert.equal(form.currency, 'JPY');
  assert.equal(emptySaleForm('GBP').lines.length, 5);
});

test('tampered shapes (arrays or objects where text belongs) read as empty', () => {
  const form = readSaleForm({ customer: ['x'], lines: [{ description: ['a', 'b'] }], reference: { a: 1 } }, 'GBP');
  assert.equal(form.customer.name, '');
  assert.equal(form.lines[0]?.description, '');
  assert.equal(form.reference, '');
});

test('a service date is sent when given, and left out when empty', () => {
  const line = { description: 'Summer camp', quantity: '1', unitPrice: '80', discountRate: '', taxCode: '', category: '' };
  assert.equal(saleInputFromForm(readSaleForm(body([line], { serviceDate: ' 2027-07-14 ' }), 'GBP')).input.serviceDate, '2027-07-14');
  assert.equal('serviceDate' in saleInputFromForm(readSaleForm(body([line]), 'GBP')).input, false);
  assert.equal(emptySaleForm('GBP').serviceDate, '');
});
