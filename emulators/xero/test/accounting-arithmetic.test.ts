// Pure arithmetic and parsing of the accounting half: exact decimals, Xero's per-line rounding,
// MS dates, and the `where` expression subset.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decimalText, divRound, formatCents, toCents, toScaled } from '../accounting/money';
import { computeLine, computeTotals, extendedAmount, lineTax } from '../accounting/totals';
import { msDate, parseXeroDate, parseXeroDateTime } from '../accounting/dates';
import { evaluateWhere, parseWhere, QueryParseError } from '../accounting/where';

const q = (v: string) => toScaled(v, 4)!;

test('decimals parse exactly and round half away from zero', () => {
  assert.equal(toCents(0.1 + 0.2), 30);
  assert.equal(toCents('2.675'), 268); // a float would say 2.67499999…
  assert.equal(toCents(-2.675), -268);
  assert.equal(toCents('abc'), undefined);
  assert.equal(decimalText(1e-7), '0.0000001');
  assert.equal(divRound(5n, 2n), 3n);
  assert.equal(divRound(-5n, 2n), -3n);
  assert.equal(formatCents(123456789), '1,234,567.89');
});

test('line amount = quantity × unit amount × (1 − discount), rounded to 2 dp', () => {
  assert.equal(extendedAmount(q('3'), q('3.33')), 999);
  assert.equal(extendedAmount(q('1'), q('19.99'), q('15')), 1699); // 16.9915 → 16.99
  assert.equal(extendedAmount(q('2.5'), q('0.3333')), 83); // 0.83325 → 0.83
  assert.equal(extendedAmount(q('1'), q('10.05'), q('50')), 503); // 5.025 → 5.03 (half away from zero)
});

test('tax is rounded per line: exclusive and inclusive', () => {
  const rate20 = q('20');
  assert.equal(lineTax(999, rate20, 'Exclusive'), 200); // 1.998
  assert.equal(lineTax(1000, rate20, 'Inclusive'), 167); // 10 × 20/120 = 1.6667
  assert.equal(lineTax(1000, q('5'), 'Inclusive'), 48); // 10 × 5/105 = 0.476
  assert.equal(lineTax(1000, rate20, 'NoTax'), 0);
  // Three 3.33 lines at 20 %: 0.666 each → 0.67 × 3 = 2.01, not round(9.99 × 0.2) = 2.00.
  const lines = [1, 2, 3].map(() => computeLine({ quantity: q('1'), unitAmount: q('3.33'), taxRate: rate20 }, 'Exclusive'));
  assert.deepEqual(computeTotals(lines, 'Exclusive'), { subTotal: 999, totalTax: 201, total: 1200, totalDiscount: 0 });
});

test('inclusive totals keep the gross and derive the subtotal', () => {
  const lines = [
    computeLine({ quantity: q('1'), unitAmount: q('12.99'), taxRate: q('20') }, 'Inclusive'),
    computeLine({ quantity: q('1'), unitAmount: q('4.99'), taxRate: q('5') }, 'Inclusive'),
  ];
  // 12.99 × 20/120 = 2.165 → 2.17 ; 4.99 × 5/105 = 0.2376 → 0.24
  assert.deepEqual(computeTotals(lines, 'Inclusive'), { subTotal: 1557, totalTax: 241, total: 1798, totalDiscount: 0 });
});

test('a LineAmount alone gives quantity 1 and the unit amount', () => {
  const line = computeLine({ lineAmount: 1234, taxRate: 0n }, 'Exclusive');
  assert.equal(line.quantity, q('1'));
  assert.equal(line.unitAmount, q('12.34'));
});

test('MS dates and ISO dates', () => {
  assert.equal(msDate(1573755038314), '/Date(1573755038314+0000)/');
  assert.equal(parseXeroDate('2024-01-31'), Date.UTC(2024, 0, 31));
  assert.equal(parseXeroDate('2024-01-31T00:00:00+13:00'), Date.UTC(2024, 0, 31));
  assert.equal(parseXeroDate('/Date(1706659200000+0000)/'), Date.UTC(2024, 0, 31));
  assert.equal(parseXeroDate('2024-02-30'), undefined);
  assert.equal(parseXeroDateTime('Wed, 21 Oct 2015 07:28:00 GMT'), Date.UTC(2015, 9, 21, 7, 28));
});

test('where: equality, guid, &&/||, dates, methods, unknown fields', () => {
  const invoice = { InvoiceNumber: 'INV-0001', Status: 'AUTHORISED', Type: 'ACCREC', AmountDue: 12.5, Date: '/Date(1706659200000+0000)/', Reference: undefined, Contact: { ContactID: 'ab0c8c9e-1111-4222-8333-444455556666', Name: 'City Agency' } };
  const match = (where: string) => evaluateWhere(parseWhere(where), invoice, 'Invoice');
  assert.equal(match('InvoiceNumber=="INV-0001"'), true);
  assert.equal(match('InvoiceNumber=="inv-0001"'), true);
  assert.equal(match('Contact.ContactID==guid("AB0C8C9E-1111-4222-8333-444455556666")'), true);
  assert.equal(match('Status=="DRAFT" || (Status=="AUTHORISED" && Type=="ACCREC")'), true);
  assert.equal(match('Status=="AUTHORISED" AND AmountDue>20'), false);
  assert.equal(match('Date>=DateTime(2024,01,31) && Date<DateTime(2024,02,01)'), true);
  assert.equal(match('Contact.Name.Contains("agency")'), true);
  assert.equal(match('Contact.Name.ToLower()=="city agency"'), true);
  assert.equal(match('Reference==null'), true);
  assert.equal(match('!(Status=="PAID")'), true);
  assert.throws(() => match('Nope=="x"'), QueryParseError);
  assert.throws(() => parseWhere('Status=="x'), QueryParseError);
});
