// A receipt's content: VAT by rate on VAT-inclusive prices (per line, rounded as Xero rounds an inclusive
// line), totals to the penny, payments and refunds with what is still due; and the PDF drawn from it, read
// back as text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PaymentSnapshot, RefundSnapshot, SaleLineSnapshot, SaleSnapshot } from '../../../server/domain/events';
import { buildReceipt, inclusiveVatMinor, receiptFileName } from '../../../server/receipts/model';
import { renderReceiptPdf } from '../../../server/receipts/pdf';
import { pdfText } from '../../support/pdf';

const line = (position: number, description: string, lineTotalMinor: number, over: Partial<SaleLineSnapshot> = {}): SaleLineSnapshot => ({
  id: position, position, description, quantity: '1.0000', unitPriceMinor: lineTotalMinor, discountRate: null, category: null, taxCode: null, lineTotalMinor, ...over,
});

const sale: SaleSnapshot = {
  id: 42, orgId: 1, reference: 'R-1001', currency: 'GBP', totalMinor: 0, occurredAt: Date.UTC(2026, 5, 30, 23, 30), // 00:30 on 1 July in London
  customer: { id: 7, name: 'Ada Lovelace', email: 'ada@example.test' },
  lines: [
    line(1, 'Climbing session', 1299, { quantity: '1.0000' }), // 20 %: 1299 × 20/120 = 216.5 → 217
    line(2, 'Chalk bag', 999, { quantity: '3.0000', unitPriceMinor: 333 }), // 20 %: 166.5 → 167
    line(3, 'Children\'s car seat hire', 499), // 5 %: 23.76 → 24
    line(4, 'Guidebook', 750), // zero-rated: 0
    line(5, 'Tip', 200, { kind: 'tip' }), // rate not stated
  ],
};
sale.totalMinor = sale.lines.reduce((sum, l) => sum + l.lineTotalMinor, 0); // 3747

const standard = { name: '20% (VAT on Income)', ratePercent: '20.0000' };
const reduced = { name: '5% (VAT on Income)', ratePercent: '5' };
const zero = { name: 'Zero Rated Income', ratePercent: '0' };

const payment = (id: number, method: string, amountMinor: number, receivedAt: number): PaymentSnapshot => ({ id, orgId: 1, saleId: 42, method, amountMinor, currency: 'GBP', providerRef: null, receivedAt });
const refund = (id: number, amountMinor: number, method: string | null): RefundSnapshot => ({ id, orgId: 1, saleId: 42, kind: 'amount', amountMinor, currency: 'GBP', method, providerRef: null, reason: null, createdAt: Date.UTC(2026, 6, 2, 10), lines: [] });

const receiptOf = (payments: PaymentSnapshot[] = [], refunds: RefundSnapshot[] = []) => buildReceipt({
  business: { name: 'Riverside Climbing Centre', timeZone: 'Europe/London' }, sale, payments, refunds,
  rates: [standard, standard, reduced, zero, null],
  methodLabel: (id) => ({ cash: 'Cash', card_terminal: 'Card terminal' })[id] ?? id,
});

test('VAT by rate: each inclusive line rounded half up, summed per rate, highest rate first; net + VAT = gross', () => {
  const receipt = receiptOf();
  assert.deepEqual(receipt.vat, [
    { name: '20% (VAT on Income)', ratePercent: '20', grossMinor: 2298, vatMinor: 384, netMinor: 1914 },
    { name: '5% (VAT on Income)', ratePercent: '5', grossMinor: 499, vatMinor: 24, netMinor: 475 },
    { name: 'Zero Rated Income', ratePercent: '0', grossMinor: 750, vatMinor: 0, netMinor: 750 },
  ]);
  assert.equal(receipt.vatNotStatedMinor, 200);
  assert.deepEqual(receipt.totals, { totalMinor: 3747, vatMinor: 408, netMinor: 3339, paidMinor: 0, refundedMinor: 0, dueMinor: 3747 });
  assert.equal(receipt.lines[4]!.rate, null);
  assert.equal(receipt.lines[1]!.quantity, '3');
});

test('per-line rounding, half up: a 0.01 line carries no VAT at 20 %, a 0.03 line carries 0.01', () => {
  assert.equal(inclusiveVatMinor(1, '20'), 0);
  assert.equal(inclusiveVatMinor(3, '20'), 1); // 0.5 → half up
  assert.equal(inclusiveVatMinor(-1299, '20'), -217);
  assert.equal(inclusiveVatMinor(10_000, '8.875'), 815); // 815.15…
  assert.throws(() => inclusiveVatMinor(100, 'twenty'), /not a percentage/);
});

test('payments and refunds: paid, refunded and still due follow the sale balance (a refund without a method is a credit)', () => {
  const receipt = receiptOf([payment(1, 'cash', 2000, Date.UTC(2026, 6, 1, 9)), payment(2, 'card_terminal', 1000, Date.UTC(2026, 6, 1, 9, 5))], [refund(1, 499, null), refund(2, 100, 'cash')]);
  assert.deepEqual(receipt.payments, [{ day: '2026-07-01', label: 'Cash', amountMinor: 2000 }, { day: '2026-07-01', label: 'Card terminal', amountMinor: 1000 }]);
  assert.deepEqual(receipt.refunds.map((r) => r.label), ['Refund (credit)', 'Refund (Cash)']);
  assert.equal(receipt.totals.paidMinor, 3000);
  assert.equal(receipt.totals.refundedMinor, 599);
  assert.equal(receipt.totals.dueMinor, 3747 - 3000 - 499);
  assert.equal(receipt.day, '2026-07-01', 'the business\'s calendar day, not the UTC one');
});

test('file names are safe downstream: the reference cleaned, else the sale id', () => {
  assert.equal(receiptFileName({ id: 42, reference: 'R-1001' }), 'Receipt-R-1001.pdf');
  assert.equal(receiptFileName({ id: 42, reference: 'A/B: "x"' }), 'Receipt-A-B-x.pdf');
  assert.equal(receiptFileName({ id: 42, reference: null }), 'Receipt-sale-42.pdf');
});

test('the PDF carries business, customer, lines, VAT by rate, payments and totals, and is the same bytes each time', async () => {
  const receipt = receiptOf([payment(1, 'cash', 3000, Date.UTC(2026, 6, 1, 9))]);
  const pdf = await renderReceiptPdf(receipt, new Date(sale.occurredAt));
  assert.equal(pdf.subarray(0, 5).toString(), '%PDF-');
  const text = pdfText(pdf);
  for (const expected of [
    'Riverside Climbing Centre', 'Receipt for Sale R-1001', 'Date: 2026-07-01', 'Ada Lovelace', 'ada@example.test',
    'Climbing session', '12.99', 'Chalk bag', '3.33', '9.99',
    '20% (VAT on Income) (20%)', '19.14', '3.84', '22.98', '5% (VAT on Income) (5%)', '0.24', 'VAT not stated', '2.00',
    'Cash', '30.00', 'Total (GBP)', '37.47', '4.08', '33.39', 'Still to pay', '7.47',
  ]) assert.ok(text.includes(expected), `"${expected}" is drawn (drawn: ${text.join(' | ')})`);
  assert.deepEqual(await renderReceiptPdf(receipt, new Date(sale.occurredAt)), pdf);
});
