// Overpayments over HTTP: created by a RECEIVE-OVERPAYMENT bank transaction, listed and read with their
// RemainingCredit, allocated to an invoice of the same contact and currency (never more than the credit
// or the invoice's AmountDue, never to a draft), and what an allocation freezes. Every answer is read
// against xero_accounting.yaml by the harness; the overpayment also through xero-node's serializer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Overpayments } from 'xero-node';
import { createInvoice, harness, readWithXeroNode, type Harness } from './accountingHarness';

async function overpay(h: Harness, amount: number, overrides: Record<string, unknown> = {}) {
  const res = await h.put('/BankTransactions', {
    BankTransactions: [{
      Type: 'RECEIVE-OVERPAYMENT', Contact: { Name: 'Ridgeway University' }, BankAccount: { Code: '090' }, Date: '2024-05-02', Reference: 'LB-P-7',
      LineItems: [{ Description: 'Overpayment of INV-1', LineAmount: amount }], ...overrides,
    }],
  }, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions' });
  return res;
}

const allocate = (h: Harness, overpaymentId: string, invoiceId: string, amount: number, date = '2024-05-04') =>
  h.put(`/Overpayments/${overpaymentId}/Allocations`, { Allocations: [{ Amount: amount, Invoice: { InvoiceID: invoiceId }, Date: date }] }, { requestSchema: 'Allocations' });

const messages = (res: { body: { Elements?: { ValidationErrors: { Message: string }[] }[] } }) => res.body.Elements?.[0]?.ValidationErrors.map((e) => e.Message) ?? [];

test('a RECEIVE-OVERPAYMENT bank transaction creates an Overpayment with all of it as RemainingCredit', async () => {
  const h = harness();
  const created = await overpay(h, 20.01);
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const txn = created.body.BankTransactions[0];
  assert.equal(txn.Type, 'RECEIVE-OVERPAYMENT');
  assert.equal(txn.Total, 20.01);
  assert.equal(txn.LineAmountTypes, 'NoTax');
  assert.equal(txn.OverpaymentID, txn.BankTransactionID, 'the overpayment is its bank transaction');

  const one = await h.get(`/Overpayments/${txn.OverpaymentID}`, { responseSchema: 'Overpayments' });
  assert.equal(one.status, 200);
  const op = one.body.Overpayments[0];
  assert.deepEqual([op.Type, op.Status, op.Total, op.RemainingCredit, op.CurrencyCode, op.Contact.Name, op.Reference], ['RECEIVE-OVERPAYMENT', 'AUTHORISED', 20.01, 20.01, 'GBP', 'Ridgeway University', 'LB-P-7']);
  const read = readWithXeroNode<Overpayments>(one.body, 'Overpayments');
  assert.equal(read.overpayments?.[0]?.remainingCredit, 20.01);

  const listed = await h.get('/Overpayments', { query: { where: 'Status=="AUTHORISED"' } });
  assert.equal(listed.status, 200);
  assert.deepEqual(listed.body.Overpayments.map((o: { OverpaymentID: string }) => o.OverpaymentID), [txn.OverpaymentID]);
  // Ordinary receive-money transactions are not overpayments.
  assert.equal((await h.get(`/Overpayments/00000000-0000-0000-0000-000000000000`)).status, 404);
});

test('an overpayment has one line, needs a contact and a bank account', async () => {
  const h = harness();
  const two = await overpay(h, 5, { LineItems: [{ Description: 'a', LineAmount: 2 }, { Description: 'b', LineAmount: 3 }] });
  assert.equal(two.status, 400);
  assert.deepEqual(messages(two), ['An overpayment can only have one line item.']);
  const noBank = await overpay(h, 5, { BankAccount: { Code: '200' } });
  assert.equal(noBank.status, 400);
  assert.match(messages(noBank).join(), /BankAccount of type BANK/);
});

test('allocating: part, then the rest; the invoice is credited and PAID, the overpayment PAID with no credit left', async () => {
  const h = harness();
  const invoice = await createInvoice(h); // 12.00, Ridgeway University, GBP
  const op = (await overpay(h, 20)).body.BankTransactions[0];

  const part = await allocate(h, op.OverpaymentID, invoice.InvoiceID, 5);
  assert.equal(part.status, 200, JSON.stringify(part.body));
  assert.equal(part.body.Allocations[0].Amount, 5);
  assert.equal(part.body.Allocations[0].Overpayment.OverpaymentID, op.OverpaymentID);
  let current = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.deepEqual([current.AmountDue, current.AmountCredited, current.Status], [7, 5, 'AUTHORISED']);
  assert.deepEqual(current.Overpayments.map((o: { OverpaymentID: string; AppliedAmount: number }) => [o.OverpaymentID, o.AppliedAmount]), [[op.OverpaymentID, 5]]);

  await allocate(h, op.OverpaymentID, invoice.InvoiceID, 7);
  current = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.deepEqual([current.AmountDue, current.Status], [0, 'PAID']);
  let read = (await h.get(`/Overpayments/${op.OverpaymentID}`)).body.Overpayments[0];
  assert.deepEqual([read.RemainingCredit, read.Status, read.Allocations.length], [8, 'AUTHORISED', 2]);

  const second = await createInvoice(h, { LineItems: [{ Description: 'Course', Quantity: 1, UnitAmount: 20, AccountCode: '200', TaxType: 'OUTPUT2' }] }); // 24.00
  await allocate(h, op.OverpaymentID, second.InvoiceID, 8);
  read = (await h.get(`/Overpayments/${op.OverpaymentID}`)).body.Overpayments[0];
  assert.deepEqual([read.RemainingCredit, read.Status], [0, 'PAID']);
  const refused = await allocate(h, op.OverpaymentID, second.InvoiceID, 0.01);
  assert.equal(refused.status, 400);
  assert.deepEqual(messages(refused), ['Overpayment must be AUTHORISED to allocate it.', 'The amount allocated exceeds the amount outstanding on this document']);
});

test('refused, changing nothing: more than the credit or the invoice owes, another contact, another currency, a draft invoice', async () => {
  const h = harness();
  const op = (await overpay(h, 10)).body.BankTransactions[0];
  const invoice = await createInvoice(h); // 12.00
  const big = await createInvoice(h, { LineItems: [{ Description: 'Course', Quantity: 1, UnitAmount: 50, AccountCode: '200', TaxType: 'OUTPUT2' }] }); // 60.00
  const small = await createInvoice(h, { LineItems: [{ Description: 'Towel', Quantity: 1, UnitAmount: 1, AccountCode: '200', TaxType: 'OUTPUT2' }] }); // 1.20
  const stranger = await createInvoice(h, { Contact: { Name: 'Someone Else' } });
  const euro = await createInvoice(h, { CurrencyCode: 'EUR' });
  const draft = await createInvoice(h, { Status: 'DRAFT' });

  const cases: [string, number, string][] = [
    [big.InvoiceID, 10.01, 'The amount allocated exceeds the amount outstanding on this document'], // more than the credit
    [small.InvoiceID, 1.21, 'The amount allocated exceeds the amount outstanding on this document'], // more than the invoice owes
    [stranger.InvoiceID, 1, 'The overpayment and the invoice must be for the same contact.'],
    [euro.InvoiceID, 1, 'The overpayment and the invoice must be in the same currency.'],
    [draft.InvoiceID, 1, 'Invoice must be AUTHORISED to allocate an overpayment to it.'],
  ];
  for (const [invoiceId, amount, message] of cases) {
    const res = await allocate(h, op.OverpaymentID, invoiceId, amount);
    assert.equal(res.status, 400, message);
    assert.equal(res.body.Type, 'ValidationException');
    assert.ok(messages(res).includes(message), `${message} in ${JSON.stringify(messages(res))}`);
  }
  const noDate = await h.put(`/Overpayments/${op.OverpaymentID}/Allocations`, { Allocations: [{ Amount: 1, Invoice: { InvoiceID: invoice.InvoiceID } }] });
  assert.deepEqual(messages(noDate), ['Date is required for an allocation.']);
  // summarizeErrors=false: the element comes back with its errors, 200.
  const element = await h.put(`/Overpayments/${op.OverpaymentID}/Allocations`, { Allocations: [{ Amount: 11, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-04' }] }, { query: { summarizeErrors: 'false' } });
  assert.equal(element.status, 200);
  assert.equal(element.body.Allocations[0].ValidationErrors[0].Message, 'The amount allocated exceeds the amount outstanding on this document');

  const read = (await h.get(`/Overpayments/${op.OverpaymentID}`)).body.Overpayments[0];
  assert.deepEqual([read.RemainingCredit, read.Allocations.length], [10, 0]);
  for (const id of [invoice.InvoiceID, big.InvoiceID, small.InvoiceID]) assert.equal((await h.get(`/Invoices/${id}`)).body.Invoices[0].AmountCredited, 0);
});

test('an allocated overpayment cannot be edited or deleted until its allocation is removed; removing it gives the credit back', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const op = (await overpay(h, 12)).body.BankTransactions[0];
  const allocation = (await allocate(h, op.OverpaymentID, invoice.InvoiceID, 12)).body.Allocations[0];
  const del = await h.post(`/BankTransactions/${op.BankTransactionID}`, { BankTransactions: [{ Status: 'DELETED' }] });
  assert.equal(del.status, 400);
  assert.deepEqual(messages(del), ['This overpayment has been allocated and cannot be modified. Remove its allocations first.']);

  const removed = await h.call('delete', `/Overpayments/${op.OverpaymentID}/Allocations/${allocation.AllocationID}`, { responseSchema: 'Allocation' });
  assert.equal(removed.status, 200);
  assert.equal(removed.body.IsDeleted, true);
  const current = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.deepEqual([current.AmountDue, current.Status, current.Overpayments.length], [12, 'AUTHORISED', 0]);
  assert.equal((await h.get(`/Overpayments/${op.OverpaymentID}`)).body.Overpayments[0].RemainingCredit, 12);

  const deleted = await h.post(`/BankTransactions/${op.BankTransactionID}`, { BankTransactions: [{ Status: 'DELETED' }] });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
  assert.equal((await h.get(`/Overpayments/${op.OverpaymentID}`)).body.Overpayments[0].Status, 'VOIDED');
});
