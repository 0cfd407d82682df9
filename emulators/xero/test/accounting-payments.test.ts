// Payments and credit-note allocations over HTTP: settling documents, PAID status, over-payment,
// payment accounts, deleting payments, and what settling freezes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Payments } from 'xero-node';
import { accountIdByCode, createInvoice, harness, readWithXeroNode, type Harness } from './accountingHarness';

async function pay(h: Harness, invoiceId: string, amount: number, account: Record<string, unknown> = { Code: '090' }) {
  return h.put('/Payments', { Payments: [{ Invoice: { InvoiceID: invoiceId }, Account: account, Date: '2024-05-02', Amount: amount, Reference: 'pi_123' }] }, { requestSchema: 'Payments', responseSchema: 'Payments' });
}

async function creditNote(h: Harness, amount: number, overrides: Record<string, unknown> = {}) {
  const res = await h.put('/CreditNotes', {
    CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { Name: 'Ridgeway University' }, Date: '2024-05-03', Status: 'AUTHORISED', LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: amount, AccountCode: '200', TaxType: 'OUTPUT2' }], ...overrides }],
  }, { requestSchema: 'CreditNotes', responseSchema: 'CreditNotes' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.CreditNotes[0];
}

test('part payments reduce AmountDue; the last one makes the invoice PAID with FullyPaidOnDate', async () => {
  const h = harness();
  const invoice = await createInvoice(h); // 12.00
  const first = await pay(h, invoice.InvoiceID, 5.5);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const payment = first.body.Payments[0];
  assert.equal(payment.PaymentType, 'ACCRECPAYMENT');
  assert.equal(payment.Status, 'AUTHORISED');
  assert.equal(payment.Account.Code, '090');
  let current = (await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' })).body.Invoices[0];
  assert.equal(current.AmountPaid, 5.5);
  assert.equal(current.AmountDue, 6.5);
  assert.equal(current.Status, 'AUTHORISED');
  assert.equal(current.Payments.length, 1);

  const over = await pay(h, invoice.InvoiceID, 6.51);
  assert.equal(over.status, 400);
  assert.equal(over.body.Elements[0].ValidationErrors[0].Message, 'Payment amount exceeds the amount outstanding on this document');

  await pay(h, invoice.InvoiceID, 6.5);
  current = (await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' })).body.Invoices[0];
  assert.equal(current.Status, 'PAID');
  assert.equal(current.AmountDue, 0);
  assert.equal(current.FullyPaidOnDate, `/Date(${Date.UTC(2024, 4, 2)}+0000)/`); // the settling payment's date

  const list = await h.get('/Payments', { query: { where: `Invoice.InvoiceID==guid("${invoice.InvoiceID}")` }, responseSchema: 'Payments' });
  assert.equal(list.body.Payments.length, 2);
  const parsed = readWithXeroNode<Payments>(list.body, 'Payments');
  // xero-node types Date as string but turns MS dates into Date objects.
  assert.ok((parsed.payments![0]!.date as unknown) instanceof Date);
  assert.equal(parsed.payments![0]!.amount, 5.5);
});

test('a paid or part-paid invoice cannot be edited or voided; deleting the payment reopens it', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const payment = (await pay(h, invoice.InvoiceID, 12)).body.Payments[0];
  const edit = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Reference: 'x' }] });
  assert.equal(edit.status, 400);
  assert.equal(edit.body.Elements[0].ValidationErrors[0].Message, 'Invoice not of valid status for modification');
  const voided = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Status: 'VOIDED' }] });
  assert.equal(voided.status, 400);

  const deleted = await h.post(`/Payments/${payment.PaymentID}`, { Status: 'DELETED' }, { requestSchema: 'PaymentDelete', responseSchema: 'Payments' });
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.Payments[0].Status, 'DELETED');
  let current = (await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' })).body.Invoices[0];
  assert.equal(current.Status, 'AUTHORISED');
  assert.equal(current.AmountDue, 12);
  assert.equal(current.FullyPaidOnDate, undefined);

  await pay(h, invoice.InvoiceID, 1);
  const partEdit = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Reference: 'x' }] });
  assert.equal(partEdit.status, 400);
  assert.equal(partEdit.body.Elements[0].ValidationErrors[0].Message, 'This document cannot be edited as it has a payment or credit note allocated to it.');
  const partVoid = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Status: 'VOIDED' }] });
  assert.equal(partVoid.status, 400);
  current = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.equal(current.Status, 'AUTHORISED');
});

test('payments only into bank accounts or accounts with EnablePaymentsToAccount; only on AUTHORISED documents', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const intoSales = await pay(h, invoice.InvoiceID, 1, { Code: '200' });
  assert.equal(intoSales.status, 400);
  assert.match(intoSales.body.Elements[0].ValidationErrors[0].Message, /not a bank account/);

  const clearing = await h.put('/Accounts', { Code: '615', Name: 'Stripe Clearing', Type: 'CURRENT', EnablePaymentsToAccount: true }, { requestSchema: 'Account', responseSchema: 'Accounts' });
  assert.equal(clearing.status, 200, JSON.stringify(clearing.body));
  const intoClearing = await pay(h, invoice.InvoiceID, 1, { AccountID: clearing.body.Accounts[0].AccountID });
  assert.equal(intoClearing.status, 200, JSON.stringify(intoClearing.body));

  const draft = await createInvoice(h, { Status: 'DRAFT' });
  const onDraft = await pay(h, draft.InvoiceID, 1);
  assert.equal(onDraft.status, 400);
  assert.equal(onDraft.body.Elements[0].ValidationErrors[0].Message, 'Payments can only be made against AUTHORISED documents.');

  const byId = await pay(h, invoice.InvoiceID, 1, { AccountID: accountIdByCode(h, '091') });
  assert.equal(byId.status, 200);
});

test('summarizeErrors=false on a payment batch reports each element', async () => {
  const h = harness();
  const a = await createInvoice(h);
  const res = await h.put('/Payments', {
    Payments: [
      { Invoice: { InvoiceID: a.InvoiceID }, Account: { Code: '090' }, Date: '2024-05-02', Amount: 2 },
      { Invoice: { InvoiceID: a.InvoiceID }, Account: { Code: '090' }, Date: '2024-05-02', Amount: 100 },
    ],
  }, { query: { summarizeErrors: 'false' }, requestSchema: 'Payments', responseSchema: 'Payments' });
  assert.equal(res.status, 200);
  assert.deepEqual(res.body.Payments.map((p: { StatusAttributeString: string }) => p.StatusAttributeString), ['OK', 'ERROR']);
  assert.equal(res.body.Payments[1].HasValidationErrors, true);
});

test('allocating a credit note: partial, then full — invoice and credit note become PAID; a PAID credit note cannot be voided', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { LineAmountTypes: 'Inclusive' }, [{ Description: 'Class pass', Quantity: 1, UnitAmount: 30, AccountCode: '200', TaxType: 'OUTPUT2' }]);
  assert.equal(invoice.Total, 30);
  const note = await creditNote(h, 12.5);
  assert.equal(note.RemainingCredit, 12.5);
  assert.equal(note.TotalTax, 2.08); // 12.5 × 20/120 = 2.0833

  const tooMuch = await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 12.51, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] });
  assert.equal(tooMuch.status, 400);
  assert.equal(tooMuch.body.Type, 'ValidationException');

  const part = await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 5, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] }, { requestSchema: 'Allocations', responseSchema: 'Allocations' });
  assert.equal(part.status, 200, JSON.stringify(part.body));
  assert.equal(part.body.Allocations[0].Amount, 5);
  let currentNote = (await h.get(`/CreditNotes/${note.CreditNoteID}`, { responseSchema: 'CreditNotes' })).body.CreditNotes[0];
  assert.equal(currentNote.RemainingCredit, 7.5);
  assert.equal(currentNote.Status, 'AUTHORISED');
  assert.equal(currentNote.Allocations.length, 1);

  await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 7.5, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] }, { requestSchema: 'Allocations', responseSchema: 'Allocations' });
  currentNote = (await h.get(`/CreditNotes/${note.CreditNoteID}`, { responseSchema: 'CreditNotes' })).body.CreditNotes[0];
  assert.equal(currentNote.Status, 'PAID');
  assert.equal(currentNote.RemainingCredit, 0);
  const currentInvoice = (await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' })).body.Invoices[0];
  assert.equal(currentInvoice.AmountCredited, 12.5);
  assert.equal(currentInvoice.AmountDue, 17.5);
  assert.equal(currentInvoice.CreditNotes[0].CreditNoteID, note.CreditNoteID);

  const voidNote = await h.post(`/CreditNotes/${note.CreditNoteID}`, { CreditNotes: [{ Status: 'VOIDED' }] });
  assert.equal(voidNote.status, 400);
  assert.equal(voidNote.body.Elements[0].ValidationErrors[0].Message, 'Credit note not of valid status for modification');

  // The rest is paid by card; the allocation and payment together make the invoice PAID.
  await pay(h, invoice.InvoiceID, 17.5);
  const paid = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.equal(paid.Status, 'PAID');
});

test('an allocation that fully settles the invoice makes it PAID; an allocated invoice cannot be voided', async () => {
  const h = harness();
  const invoice = await createInvoice(h); // 12.00
  const note = await creditNote(h, 20);
  const partNote = await creditNote(h, 1);
  await h.put(`/CreditNotes/${partNote.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 1, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] }, { responseSchema: 'Allocations' });
  const voidAllocated = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Status: 'VOIDED' }] });
  assert.equal(voidAllocated.status, 400);
  assert.equal(voidAllocated.body.Elements[0].ValidationErrors[0].Message, 'This document cannot be edited as it has a payment or credit note allocated to it.');
  const res = await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 11, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] }, { responseSchema: 'Allocations' });
  assert.equal(res.status, 200);
  const current = (await h.get(`/Invoices/${invoice.InvoiceID}`)).body.Invoices[0];
  assert.equal(current.Status, 'PAID');
  const noteNow = (await h.get(`/CreditNotes/${note.CreditNoteID}`)).body.CreditNotes[0];
  assert.equal(noteNow.Status, 'AUTHORISED');
  assert.equal(noteNow.RemainingCredit, 9);
});

test('a credit-note refund payment (ARCREDITPAYMENT) settles the credit note', async () => {
  const h = harness();
  const note = await creditNote(h, 8);
  const res = await h.put('/Payments', { Payments: [{ CreditNote: { CreditNoteID: note.CreditNoteID }, Account: { Code: '090' }, Date: '2024-05-04', Amount: 8 }] }, { requestSchema: 'Payments', responseSchema: 'Payments' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.Payments[0].PaymentType, 'ARCREDITPAYMENT');
  const current = (await h.get(`/CreditNotes/${note.CreditNoteID}`, { responseSchema: 'CreditNotes' })).body.CreditNotes[0];
  assert.equal(current.Status, 'PAID');
  const numbers = (await h.get('/CreditNotes', { query: { where: 'Status=="PAID"' }, responseSchema: 'CreditNotes' })).body.CreditNotes;
  assert.equal(numbers.length, 1);
  assert.match(numbers[0].CreditNoteNumber, /^CN-\d{4}$/);
});

test('a foreign-currency invoice: paid from a base-currency bank account at the payment\'s CurrencyRate (BankAmount = Amount / rate, 6 dp), or from its own currency; a third currency and a bad rate are refused', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { CurrencyCode: 'USD', CurrencyRate: 1.27 }, [{ Description: 'Room', Quantity: 1, UnitAmount: 123.45, AccountCode: '200', TaxType: 'NONE' }]);
  assert.equal(invoice.CurrencyCode, 'USD');
  const payUsd = (amount: number, account: Record<string, unknown>, rate?: unknown) => h.put('/Payments', {
    Payments: [{ Invoice: { InvoiceID: invoice.InvoiceID }, Account: account, Date: '2024-05-02', Amount: amount, ...(rate !== undefined ? { CurrencyRate: rate } : {}), Reference: 'ch_usd' }],
  }, { requestSchema: 'Payments', responseSchema: 'Payments' });

  // 100.00 USD into the GBP (base) account at 1.265823 USD per GBP: £79.00 reaches the bank; the rate is kept at 6 dp.
  const first = await payUsd(100, { Code: '090' }, 1.265823);
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const p = first.body.Payments[0];
  assert.deepEqual([p.Amount, p.BankAmount, p.CurrencyRate], [100, 79, 1.265823]);
  const read = (await h.get(`/Payments/${p.PaymentID}`, { responseSchema: 'Payments' })).body.Payments[0];
  assert.deepEqual([read.Amount, read.BankAmount, read.CurrencyRate], [100, 79, 1.265823]);

  // A rate with more decimals is taken at 6 dp; without one, the invoice's own rate.
  const rounded = await payUsd(10, { Code: '090' }, 1.26582278);
  assert.deepEqual([rounded.body.Payments[0].CurrencyRate, rounded.body.Payments[0].BankAmount], [1.265823, 7.9]);
  const fallback = await payUsd(5, { Code: '090' });
  assert.deepEqual([fallback.body.Payments[0].CurrencyRate, fallback.body.Payments[0].BankAmount], [1.27, 3.94]);

  // Bad rates: refused, nothing paid.
  for (const bad of [0, -1.2, 'abc']) {
    const res = await payUsd(1, { Code: '090' }, bad);
    assert.equal(res.status, 400, `rate ${String(bad)}`);
    assert.equal(res.body.Elements[0].ValidationErrors[0].Message, 'The currency rate must be a positive number.');
  }

  // A EUR bank account is neither the invoice's currency nor the base currency.
  const eur = await h.put('/Accounts', { Code: '095', Name: 'Euro Account', Type: 'BANK', BankAccountNumber: 'DE89370400440532013000', CurrencyCode: 'EUR' });
  assert.equal(eur.status, 200, JSON.stringify(eur.body));
  const third = await payUsd(1, { Code: '095' }, 1.1);
  assert.equal(third.status, 400);
  assert.equal(third.body.Elements[0].ValidationErrors[0].Message, 'The bank account currency EUR does not match the document currency USD.');
  // A USD bank account takes it as it is.
  await h.put('/Accounts', { Code: '096', Name: 'Dollar Account', Type: 'BANK', BankAccountNumber: '021000021 55555555', CurrencyCode: 'USD' });
  const own = await payUsd(8.45, { Code: '096' }, 1.3);
  assert.deepEqual([own.status, own.body.Payments[0].Amount, own.body.Payments[0].BankAmount], [200, 8.45, 8.45]);

  const after = (await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' })).body.Invoices[0];
  assert.deepEqual([after.Status, after.AmountPaid, after.AmountDue], ['PAID', 123.45, 0]);
});

test('a base-currency invoice ignores a CurrencyRate sent with its payment (rate 1, bank amount = amount)', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const res = await h.put('/Payments', { Payments: [{ Invoice: { InvoiceID: invoice.InvoiceID }, Account: { Code: '090' }, Date: '2024-05-02', Amount: 12, CurrencyRate: 1.5 }] }, { requestSchema: 'Payments', responseSchema: 'Payments' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual([res.body.Payments[0].CurrencyRate, res.body.Payments[0].BankAmount], [1, 12]);
});
