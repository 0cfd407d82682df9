// An invoice's content hash (plugins/xero/gateway/contentHash.ts): the same for what payments, allocations,
// emailing and history notes move (so our own payment's echo is an echo), different for anything a person
// edits in Xero (a line, the contact, a date, the total).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Invoice } from 'xero-node';
import { invoiceContentHash } from '../../../plugins/xero/gateway/contentHash';

const invoice = (over: Record<string, unknown> = {}): Invoice => ({
  type: 'ACCREC', invoiceNumber: 'LB-12', reference: 'Sale 12', contact: { contactID: 'C0FFEE00-0000-4000-8000-000000000001' },
  date: '2026-12-03', dueDate: '2026-12-17', lineAmountTypes: 'Inclusive', currencyCode: 'GBP', status: 'AUTHORISED',
  lineItems: [{ description: 'Climbing course', quantity: 1, unitAmount: 30, accountCode: '200', taxType: 'OUTPUT2', lineAmount: 30, tracking: [] }],
  subTotal: 25, totalTax: 5, total: 30, amountDue: 30, amountPaid: 0, payments: [], ...over,
} as unknown as Invoice);

const base = invoiceContentHash(invoice());

test('unchanged by a payment, a credit allocation, emailing, history or a read rounding the unit price', () => {
  assert.equal(invoiceContentHash(invoice({ status: 'PAID', amountDue: 0, amountPaid: 30, payments: [{ paymentID: 'p-1', amount: 30 }], fullyPaidOnDate: '2026-12-04' })), base);
  assert.equal(invoiceContentHash(invoice({ amountCredited: 10, amountDue: 20, creditNotes: [{ creditNoteID: 'n-1' }] })), base);
  assert.equal(invoiceContentHash(invoice({ sentToContact: true, updatedDateUTC: new Date(), hasAttachments: true })), base);
  assert.equal(invoiceContentHash(invoice({ contact: { contactID: 'c0ffee00-0000-4000-8000-000000000001', name: 'Renamed' } })), base, 'the contact by its id, any case');
  assert.equal(invoiceContentHash(invoice({ date: '2026-12-03T00:00:00' })), base, 'a date is its day');
  const line = { description: 'Climbing course', quantity: 1, accountCode: '200', taxType: 'OUTPUT2', lineAmount: 30 };
  assert.equal(invoiceContentHash(invoice({ lineItems: [{ ...line, unitAmount: 29.9951 }] })), invoiceContentHash(invoice({ lineItems: [{ ...line, unitAmount: 30 }] })), 'unitdp 4 on create, 2 on read');
});

test('changed by what a person edits in Xero', () => {
  const edits: Record<string, unknown>[] = [
    { lineItems: [{ description: 'Climbing course (member price)', quantity: 1, accountCode: '200', taxType: 'OUTPUT2', lineAmount: 30 }] },
    { lineItems: [{ description: 'Climbing course', quantity: 1, accountCode: '200', taxType: 'OUTPUT2', lineAmount: 25 }], subTotal: 20.83, totalTax: 4.17, total: 25 },
    { lineItems: [{ description: 'Climbing course', quantity: 1, accountCode: '201', taxType: 'OUTPUT2', lineAmount: 30 }] },
    { contact: { contactID: 'C0FFEE00-0000-4000-8000-000000000002' } },
    { dueDate: '2026-12-31' },
    { reference: 'Corrected' },
    { status: 'DRAFT' },
  ];
  for (const edit of edits) assert.notEqual(invoiceContentHash(invoice(edit)), base, JSON.stringify(edit));
});
