// Prepayments over HTTP: a RECEIVE-PREPAYMENT bank transaction creates a Prepayment with RemainingCredit;
// its credit is allocated to an AUTHORISED invoice of the same contact and currency (never more than either
// has), or refunded with a payment. Every answer is read against xero_accounting.yaml by the harness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Prepayments } from 'xero-node';
import { createInvoice, harness, readWithXeroNode, type Harness } from './accountingHarness';

async function receivePrepayment(h: Harness, amount: number, overrides: Record<string, unknown> = {}) {
  const res = await h.put('/BankTransactions', {
    BankTransactions: [{
      Type: 'RECEIVE-PREPAYMENT', Contact: { Name: 'Ridgeway University' }, BankAccount: { Code: '090' }, Date: '2024-05-01', Reference: 'DEP-1',
      LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Deposit', Quantity: 1, UnitAmount: amount, AccountCode: '200', TaxType: 'OUTPUT2' }], ...overrides,
    }],
  }, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const txn = res.body.BankTransactions[0];
  assert.equal(txn.Type, 'RECEIVE-PREPAYMENT');
  assert.ok(txn.PrepaymentID, 'the bank transaction names its prepayment');
  return txn as { BankTransactionID: string; PrepaymentID: string; Total: number };
}

const allocate = (h: Harness, prepaymentId: string, invoiceId: string, amount: number, query: Record<string, string> = {}) =>
  h.put(`/Prepayments/${prepaymentId}/Allocations`, { Allocations: [{ Invoice: { InvoiceID: invoiceId }, Amount: amount, Date: '2024-05-03' }] }, { requestSchema: 'Allocations', responseSchema: 'Allocations', query });

const prepayment = async (h: Harness, id: string) => (await h.get(`/Prepayments/${id}`, { responseSchema: 'Prepayments' })).body.Prepayments[0];
const invoice = async (h: Harness, id: string) => (await h.get(`/Invoices/${id}`, { responseSchema: 'Invoices' })).body.Invoices[0];

test('a RECEIVE-PREPAYMENT creates a Prepayment listed with its RemainingCredit; allocations use it up and pay the invoice', async () => {
  const h = harness();
  const txn = await receivePrepayment(h, 5);
  let p = await prepayment(h, txn.PrepaymentID);
  assert.equal(p.Type, 'RECEIVE-PREPAYMENT');
  assert.equal(p.Status, 'AUTHORISED');
  assert.equal(p.Total, 5);
  assert.equal(p.RemainingCredit, 5);
  assert.equal(p.Contact.Name, 'Ridgeway University');
  const parsed = readWithXeroNode<Prepayments>((await h.get('/Prepayments', { query: { where: 'Status=="AUTHORISED"' } })).body, 'Prepayments');
  assert.equal(parsed.prepayments!.length, 1);
  assert.equal(parsed.prepayments![0]!.remainingCredit, 5);

  const inv = await createInvoice(h); // 12.00
  const first = await allocate(h, txn.PrepaymentID, inv.InvoiceID, 3);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  assert.equal(first.body.Allocations[0].Amount, 3);
  assert.equal(first.body.Allocations[0].Prepayment.PrepaymentID, txn.PrepaymentID);
  let current = await invoice(h, inv.InvoiceID);
  assert.equal(current.AmountDue, 9);
  assert.equal(current.AmountPaid, 3);
  assert.deepEqual(current.Prepayments.map((x: { PrepaymentID: string; AppliedAmount: number }) => [x.PrepaymentID, x.AppliedAmount]), [[txn.PrepaymentID, 3]]);
  p = await prepayment(h, txn.PrepaymentID);
  assert.equal(p.RemainingCredit, 2);
  assert.equal(p.Allocations.length, 1);

  await allocate(h, txn.PrepaymentID, inv.InvoiceID, 2);
  p = await prepayment(h, txn.PrepaymentID);
  assert.equal(p.RemainingCredit, 0);
  assert.equal(p.Status, 'PAID');
  current = await invoice(h, inv.InvoiceID);
  assert.equal(current.AmountDue, 7);
});

test('an allocation above the remaining credit or the amount due, to another contact, in another currency or to a draft is refused and changes nothing', async () => {
  const h = harness();
  const txn = await receivePrepayment(h, 20);
  const inv = await createInvoice(h); // 12.00
  const over = await allocate(h, txn.PrepaymentID, inv.InvoiceID, 12.01);
  assert.equal(over.status, 400);
  assert.equal(over.body.Type, 'ValidationException');
  assert.match(over.body.Elements[0].ValidationErrors[0].Message, /exceeds the remaining credit on this prepayment or the amount due on the invoice/);

  const other = await createInvoice(h, { Contact: { Name: 'Someone Else' } });
  const wrongContact = await allocate(h, txn.PrepaymentID, other.InvoiceID, 1);
  assert.equal(wrongContact.status, 400);
  assert.equal(wrongContact.body.Elements[0].ValidationErrors[0].Message, 'The prepayment and the invoice must be for the same contact.');

  const euroPrepayment = await h.put('/BankTransactions', { BankTransactions: [{ Type: 'RECEIVE-PREPAYMENT', Contact: { Name: 'Ridgeway University' }, BankAccount: { Code: '090' }, CurrencyCode: 'EUR', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'Deposit', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'NONE' }] }] });
  assert.equal(euroPrepayment.status, 400);
  assert.ok(euroPrepayment.body.Elements[0].ValidationErrors.some((e: { Message: string }) => e.Message === 'Prepayments can only be made in the base currency of the organisation.'));
  const euro = await createInvoice(h, { CurrencyCode: 'EUR' });
  const wrongCurrency = await allocate(h, txn.PrepaymentID, euro.InvoiceID, 1);
  assert.equal(wrongCurrency.status, 400);
  assert.equal(wrongCurrency.body.Elements[0].ValidationErrors[0].Message, 'The prepayment and the invoice must be in the same currency.');

  const draft = await createInvoice(h, { Status: 'DRAFT' });
  const toDraft = await allocate(h, txn.PrepaymentID, draft.InvoiceID, 1, { summarizeErrors: 'false' });
  assert.equal(toDraft.status, 200);
  assert.equal(toDraft.body.Allocations[0].StatusAttributeString, 'ERROR');
  assert.equal(toDraft.body.Allocations[0].ValidationErrors[0].Message, 'Invoice must be AUTHORISED to allocate a prepayment to it.');

  assert.equal((await prepayment(h, txn.PrepaymentID)).RemainingCredit, 20);
  assert.equal((await invoice(h, inv.InvoiceID)).AmountDue, 12);
  assert.equal((await h.put('/Prepayments/00000000-0000-0000-0000-000000000000/Allocations', { Allocations: [] })).status, 404);
});

test('a refund is a payment on the prepayment (ARPREPAYMENTPAYMENT), never more than its remaining credit; deleting it restores the credit', async () => {
  const h = harness();
  const txn = await receivePrepayment(h, 8.5);
  const refund = (amount: number) => h.put('/Payments', { Payments: [{ Prepayment: { PrepaymentID: txn.PrepaymentID }, Account: { Code: '090' }, Date: '2024-05-04', Amount: amount, Reference: 'refund' }] }, { requestSchema: 'Payments', responseSchema: 'Payments' });
  const tooMuch = await refund(8.51);
  assert.equal(tooMuch.status, 400);
  assert.equal(tooMuch.body.Elements[0].ValidationErrors[0].Message, 'Payment amount exceeds the remaining credit on this prepayment');

  const ok = await refund(8.5);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const payment = ok.body.Payments[0];
  assert.equal(payment.PaymentType, 'ARPREPAYMENTPAYMENT');
  assert.equal(payment.Prepayment.PrepaymentID, txn.PrepaymentID);
  let p = await prepayment(h, txn.PrepaymentID);
  assert.equal(p.RemainingCredit, 0);
  assert.equal(p.Status, 'PAID');
  assert.equal(p.Payments.length, 1);

  // Once refunded, the prepayment's bank transaction cannot be edited.
  const edit = await h.post(`/BankTransactions/${txn.BankTransactionID}`, { BankTransactions: [{ Reference: 'changed' }] });
  assert.equal(edit.status, 400);

  const deleted = await h.post(`/Payments/${payment.PaymentID}`, { Status: 'DELETED' }, { responseSchema: 'Payments' });
  assert.equal(deleted.status, 200);
  p = await prepayment(h, txn.PrepaymentID);
  assert.equal(p.RemainingCredit, 8.5);
  assert.equal(p.Status, 'AUTHORISED');
});

test('a batch of RECEIVE-PREPAYMENTs with summarizeErrors=false: 200, each element OK with its PrepaymentID or ERROR with its ValidationErrors, only the valid ones created', async () => {
  const h = harness();
  const element = (reference: string, bankCode: string) => ({
    Type: 'RECEIVE-PREPAYMENT', Contact: { Name: 'Ridgeway University' }, BankAccount: { Code: bankCode }, Date: '2024-05-01', Reference: reference,
    LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Deposit', Quantity: 1, UnitAmount: 4, AccountCode: '200', TaxType: 'OUTPUT2' }],
  });
  const batch = { BankTransactions: [element('DEP-A', '090'), element('DEP-B', '200'), element('DEP-C', '090')] };
  const res = await h.put('/BankTransactions', batch, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions', query: { summarizeErrors: 'false' } });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const answers = res.body.BankTransactions as { Reference: string; StatusAttributeString: string; PrepaymentID?: string; ValidationErrors?: { Message: string }[] }[];
  assert.deepEqual(answers.map((t) => [t.Reference, t.StatusAttributeString, Boolean(t.PrepaymentID)]), [['DEP-A', 'OK', true], ['DEP-B', 'ERROR', false], ['DEP-C', 'OK', true]]);
  assert.deepEqual(answers[1]!.ValidationErrors?.map((e) => e.Message), ['A valid, active BankAccount of type BANK must be specified.']);
  const listed = (await h.get('/Prepayments', { responseSchema: 'Prepayments' })).body.Prepayments as { PrepaymentID: string }[];
  assert.deepEqual(listed.map((p) => p.PrepaymentID).sort(), [answers[0]!.PrepaymentID, answers[2]!.PrepaymentID].sort());

  // The default (summarizeErrors=true): 400 ValidationException naming the refused element.
  const summarized = await h.put('/BankTransactions', { BankTransactions: [element('DEP-D', '200')] });
  assert.equal(summarized.status, 400);
  assert.equal(summarized.body.Type, 'ValidationException');
});
