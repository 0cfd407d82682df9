// Credit notes, payments, allocations, contacts, due dates, and the hand-over to xero-node's models.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ObjectSerializer } from 'xero-node';
import {
  buildAllocation, buildContact, buildCreditNote, buildCreditNoteRefundPayment, buildInvoice, buildPayment, contactNameCollisionVariant, dueDate,
} from '../../../plugins/xero/payloads';
import { toXeroNodeCreditNote, toXeroNodeInvoice, toXeroNodePayment } from '../../../plugins/xero/gateway/documents';
import type { PaymentSnapshot, RefundSnapshot } from '../../../server/domain/events';
import { PermanentError } from '../../../server/errors';
import { makeSale, ukMappings, xeroComputes } from './payloadsFixtures';

const cnOpts = { contact: { ContactID: 'c-1' }, now: 0 };

function refundOf(sale: ReturnType<typeof makeSale>, over: Partial<RefundSnapshot>): RefundSnapshot {
  return { id: 77, orgId: 1, saleId: sale.id, kind: 'amount', amountMinor: 0, currency: sale.currency, method: 'cash', providerRef: null, reason: null, createdAt: Date.UTC(2026, 4, 3), lines: [], ...over };
}

describe('buildCreditNote', () => {
  const mixed = () => makeSale('GBP', [{ price: 5000, taxCode: 'OUTPUT2' }, { price: 5000, taxCode: 'RROUTPUT' }]);

  it('by amount: spread over the sale lines in proportion, so VAT is reversed at the rates it was charged', () => {
    const sale = mixed();
    const built = buildCreditNote(refundOf(sale, { amountMinor: 1000 }), sale, ukMappings(), cnOpts);
    const p = built.payload;
    assert.equal(p.Type, 'ACCRECCREDIT');
    assert.equal(p.CreditNoteNumber, 'LB-R-77');
    assert.equal(p.Reference, 'Refund of S-42');
    assert.equal(p.Status, 'AUTHORISED');
    assert.equal(p.Date, '2026-05-03');
    assert.equal(built.basis, 'proportional');
    assert.deepEqual(p.LineItems.map((l) => [l.TaxType, l.LineAmount]), [['OUTPUT2', 5], ['RROUTPUT', 5]]);
    const xero = xeroComputes(p, built.unitdp);
    assert.equal(xero.total, '10.00');
    // 5.00 × 20/120 = 0.83 and 5.00 × 5/105 = 0.24, where a single 20 % line would reverse 1.67.
    assert.equal(xero.totalTax, '1.07');
    assert.equal(built.allocationAmount, '10.00');
  });

  it('by amount with awkward shares still adds up exactly, and merges lines coded alike', () => {
    const sale = makeSale('GBP', [{ price: 333 }, { price: 333 }, { price: 334, taxCode: 'RROUTPUT' }]);
    const built = buildCreditNote(refundOf(sale, { amountMinor: 101, reason: 'Class cancelled' }), sale, ukMappings(), cnOpts);
    assert.equal(built.payload.LineItems.length, 2);
    assert.equal(xeroComputes(built.payload, built.unitdp).total, '1.01');
    assert.equal(built.payload.Reference, 'Refund of S-42: Class cancelled');
  });

  it('full refund itemised per line mirrors the invoice, total and tax', () => {
    const sale = makeSale('GBP', [{ quantity: '2.5', price: 1999, discount: '12.5' }, { quantity: '0.3333', price: 4500, taxCode: 'RROUTPUT' }]);
    const refund = refundOf(sale, { kind: 'full', amountMinor: sale.totalMinor, lines: sale.lines.map((l) => ({ saleLineId: l.id, quantity: null, amountMinor: l.lineTotalMinor })) });
    const credit = buildCreditNote(refund, sale, ukMappings(), cnOpts);
    const invoice = buildInvoice(sale, ukMappings(), { contact: { ContactID: 'c-1' }, saleUrl: 'u', now: 0 });
    assert.equal(credit.basis, 'full');
    assert.deepEqual(xeroComputes(credit.payload, credit.unitdp), xeroComputes(invoice.payload, invoice.unitdp));
    assert.deepEqual(credit.payload.LineItems.map((l) => [l.Quantity, l.UnitAmount, l.DiscountRate]), [[2.5, 19.99, 12.5], [0.3333, 45, undefined]]);
  });

  it('by line with a quantity keeps the line coding and the quantity refunded', () => {
    const m = ukMappings({ categoryAccountCodes: { swim: '260' } });
    const sale = makeSale('GBP', [{ quantity: '3', price: 1000, category: 'swim' }, { price: 500 }]);
    const line = sale.lines[0]!;
    const refund = refundOf(sale, { kind: 'lines', amountMinor: 1000, lines: [{ saleLineId: line.id, quantity: '1', amountMinor: 1000 }] });
    const built = buildCreditNote(refund, sale, m, cnOpts);
    assert.equal(built.basis, 'lines');
    assert.deepEqual(built.payload.LineItems, [{ Description: 'Refund: Item 1', Quantity: 1, UnitAmount: 10, LineAmount: 10, AccountCode: '260', TaxType: 'OUTPUT2' }]);
  });

  it('by line for part of a line by amount goes as 1 × amount', () => {
    const sale = makeSale('GBP', [{ quantity: '3', price: 999 }]);
    const refund = refundOf(sale, { kind: 'lines', amountMinor: 1, lines: [{ saleLineId: sale.lines[0]!.id, quantity: null, amountMinor: 1 }] });
    const built = buildCreditNote(refund, sale, ukMappings(), cnOpts);
    assert.equal(xeroComputes(built.payload, built.unitdp).total, '0.01');
  });

  it('refuses a refund of another sale, or naming a line the sale does not have', () => {
    const sale = makeSale('GBP', [{ price: 100 }]);
    assert.throws(() => buildCreditNote(refundOf(sale, { saleId: 1, amountMinor: 1 }), sale, ukMappings(), cnOpts), PermanentError);
    assert.throws(
      () => buildCreditNote(refundOf(sale, { kind: 'lines', amountMinor: 1, lines: [{ saleLineId: 1, quantity: null, amountMinor: 1 }] }), sale, ukMappings(), cnOpts),
      /names sale line 1, which is not on Sale 42/,
    );
    const named = { ...cnOpts, saleName: (id: number) => (id === sale.id ? 'Sale TILL-042' : `Sale ${id}`) };
    assert.throws(() => buildCreditNote(refundOf(sale, { saleId: 1, amountMinor: 1 }), sale, ukMappings(), named), /Refund \d+ belongs to Sale 1, not Sale TILL-042$/);
    assert.throws(
      () => buildCreditNote(refundOf(sale, { kind: 'lines', amountMinor: 1, lines: [{ saleLineId: 1, quantity: null, amountMinor: 1 }] }), sale, ukMappings(), named),
      /which is not on Sale TILL-042$/, 'the sale by the name the caller gives, never "sale 42"',
    );
  });

  it('BHD partial refund: within half a fils-cent, with a rounding line when needed', () => {
    const sale = makeSale('BHD', [{ price: 1235 }, { price: 1235, taxCode: 'RROUTPUT' }, { price: 1235 }]);
    const built = buildCreditNote(refundOf(sale, { amountMinor: 3705 }), sale, ukMappings(), cnOpts);
    const xero = xeroComputes(built.payload, built.unitdp);
    assert.equal(xero.total, '3.71');
    assert.equal(built.rounding?.residual, '-0.005');
  });
});

describe('buildPayment and friends', () => {
  const payment: PaymentSnapshot = { id: 5, orgId: 1, saleId: 42, method: 'stripe', amountMinor: 2997, currency: 'GBP', providerRef: 'ch_123', receivedAt: Date.UTC(2026, 4, 1, 9) };

  it('records a payment on its invoice into the method account', () => {
    assert.deepEqual(buildPayment(payment, 'inv-1', ukMappings()), {
      Invoice: { InvoiceID: 'inv-1' }, Account: { Code: '090' }, Date: '2026-05-01', Amount: 29.97, Reference: 'LB-P-5 ch_123',
    });
  });

  it('a method with no account is a PermanentError naming the method', () => {
    assert.throws(() => buildPayment({ ...payment, method: 'gocardless' }, 'inv-1', ukMappings()), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.equal(err.message, "No account mapped for payment method 'gocardless': set it in Xero settings");
      return true;
    });
  });

  it('3-dp and 0-dp currency payments at Xero precision', () => {
    assert.equal(buildPayment({ ...payment, currency: 'BHD', amountMinor: 12345 }, 'i', ukMappings()).Amount, 12.35);
    assert.equal(buildPayment({ ...payment, currency: 'JPY', amountMinor: 1200 }, 'i', ukMappings()).Amount, 1200);
  });

  it('a cash refund is paid out of the cash account against the credit note', () => {
    const sale = makeSale('GBP', [{ price: 1000 }]);
    const refund = refundOf(sale, { amountMinor: 250, providerRef: 're_1' });
    assert.deepEqual(buildCreditNoteRefundPayment(refund, 'cn-1', ukMappings()), {
      CreditNote: { CreditNoteID: 'cn-1' }, Account: { Code: '091' }, Date: '2026-05-03', Amount: 2.5, Reference: 'LB-R-77 re_1',
    });
    assert.equal(buildCreditNoteRefundPayment(refund, 'cn-1', ukMappings(), { amount: '1.25' }).Amount, 1.25);
    assert.throws(() => buildCreditNoteRefundPayment({ ...refund, method: null }, 'cn-1', ukMappings()), /no payment method/);
  });

  it('allocates a credit note to its invoice', () => {
    assert.deepEqual(buildAllocation('10.00', { InvoiceID: 'inv-1' }, '2026-05-03'), { Amount: 10, Invoice: { InvoiceID: 'inv-1' }, Date: '2026-05-03' });
    assert.throws(() => buildAllocation('1.005', { InvoiceID: 'x' }, '2026-05-03'), PermanentError);
  });
});

describe('buildContact', () => {
  it('carries our customer id in ContactNumber', () => {
    assert.deepEqual(buildContact({ id: 42, name: '  Jane   Smith ', email: 'jane@example.com' }, 1), { Name: 'Jane Smith', ContactNumber: 'LB-C-42', EmailAddress: 'jane@example.com' });
    assert.deepEqual(buildContact({ id: 43, name: '', email: null }, 1), { Name: 'Customer LB-C-43', ContactNumber: 'LB-C-43' });
  });

  it('makes a collision variant that stays within 255 characters', () => {
    assert.equal(contactNameCollisionVariant('Jane Smith', 42), 'Jane Smith (LB-C-42)');
    const long = contactNameCollisionVariant('x'.repeat(300), 42);
    assert.equal(long.length, 255);
    assert.ok(long.endsWith(' (LB-C-42)'));
  });
});

describe('dueDate', () => {
  it('follows each rule, across month and year ends', () => {
    assert.equal(dueDate('2026-01-31', { kind: 'on_receipt' }), '2026-01-31');
    assert.equal(dueDate('2026-01-31', { kind: 'days_after', days: 30 }), '2026-03-02');
    assert.equal(dueDate('2026-01-15', { kind: 'day_of_following_month', day: 31 }), '2026-02-28');
    assert.equal(dueDate('2026-12-15', { kind: 'day_of_following_month', day: 20 }), '2027-01-20');
    assert.equal(dueDate('2026-12-15', { kind: 'end_of_following_month' }), '2027-01-31');
    assert.equal(dueDate('2028-01-31', { kind: 'end_of_following_month' }), '2028-02-29');
  });
});

/** What goes over the wire: xero-node's serialisation, then JSON (undefined members vanish). */
const wire = (value: unknown, type: string): unknown => JSON.parse(JSON.stringify(ObjectSerializer.serialize(value, type)));

describe('xero-node hand-over', () => {
  it('the model objects serialise back to exactly the JSON we built', () => {
    const sale = makeSale('BHD', [{ quantity: '0.3333', price: 7777, discount: '12.5', category: 'x' }, { price: 1235 }]);
    const m = ukMappings({ categoryTracking: { x: [{ name: 'Region', option: 'North' }] } });
    const invoice = buildInvoice(sale, m, { contact: { Name: 'Jane', ContactNumber: 'LB-C-7', EmailAddress: 'j@x' }, saleUrl: 'https://x/sales/42', now: 0 }).payload;
    assert.deepEqual(wire(toXeroNodeInvoice(invoice), 'Invoice'), JSON.parse(JSON.stringify(invoice)));
    const credit = buildCreditNote(refundOf(sale, { amountMinor: 100 }), sale, m, cnOpts).payload;
    assert.deepEqual(wire(toXeroNodeCreditNote(credit), 'CreditNote'), JSON.parse(JSON.stringify(credit)));
    const payment = buildPayment({ id: 1, orgId: 1, saleId: 42, method: 'cash', amountMinor: 5, currency: 'GBP', providerRef: null, receivedAt: 0 }, 'inv', m);
    assert.deepEqual(wire(toXeroNodePayment(payment), 'Payment'), payment);
  });
});
