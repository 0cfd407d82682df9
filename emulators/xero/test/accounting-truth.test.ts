// Where the emulator once differed from Xero's published contract (issue 13, items 4–8): each test
// drives the accounting API over HTTP and reads the answers against xero_accounting.yaml (and, where the
// product reads them, through xero-node's ObjectSerializer).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Allocation, BankTransaction } from 'xero-node';
import { accountIdByCode, createInvoice, harness, readWithXeroNode, type Harness } from './accountingHarness';

async function usdBankAccount(h: Harness): Promise<string> {
  const res = await h.put('/Accounts', { Name: 'Dollar Account', Code: '095', Type: 'BANK', BankAccountNumber: '20-00-00 55555555', CurrencyCode: 'USD' }, { requestSchema: 'Account', responseSchema: 'Accounts' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.Accounts[0].AccountID as string;
}

test('BankTransfer.CurrencyRate is read-only: a transfer between currencies needs none, the rate is Xero\'s own, and a sent one is ignored', async () => {
  const h = harness();
  const usd = await usdBankAccount(h);
  // £100 from the GBP account into the USD one, at the organisation's 1.27 USD per GBP.
  const res = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '090' }, ToBankAccount: { AccountID: usd }, Amount: 100, Date: '2024-05-06', Reference: 'fx-1' }] }, { requestSchema: 'BankTransfers', responseSchema: 'BankTransfers' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.BankTransfers[0].CurrencyRate, 1.27);
  const toLeg = await h.get(`/BankTransactions/${res.body.BankTransfers[0].ToBankTransactionID}`, { responseSchema: 'BankTransactions' });
  assert.deepEqual([toLeg.body.BankTransactions[0].Total, toLeg.body.BankTransactions[0].CurrencyCode], [127, 'USD']);

  // The other way, with a CurrencyRate sent: ignored (not echoed, not applied).
  const back = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { AccountID: usd }, ToBankAccount: { Code: '090' }, Amount: 127, Date: '2024-05-07', CurrencyRate: 2 }] }, { responseSchema: 'BankTransfers' });
  assert.equal(back.status, 200, JSON.stringify(back.body));
  assert.equal(back.body.BankTransfers[0].CurrencyRate, 0.787402);
  const gbpLeg = await h.get(`/BankTransactions/${back.body.BankTransfers[0].ToBankTransactionID}`, { responseSchema: 'BankTransactions' });
  assert.deepEqual([gbpLeg.body.BankTransactions[0].Total, gbpLeg.body.BankTransactions[0].CurrencyCode], [100, 'GBP']);

  // Same currency: rate 1, whatever is sent.
  const same = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '091' }, ToBankAccount: { Code: '090' }, Amount: 5, CurrencyRate: 3 }] }, { responseSchema: 'BankTransfers' });
  assert.equal(same.body.BankTransfers[0].CurrencyRate, 1);
});

test('a transfer\'s legs are bank transactions: listed as SPEND-TRANSFER / RECEIVE-TRANSFER, found by From/ToBankTransactionID, and not editable on their own', async () => {
  const h = harness();
  const res = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '091' }, ToBankAccount: { Code: '090' }, Amount: 120.55, Date: '2024-05-06', Reference: 'po_123' }] }, { responseSchema: 'BankTransfers' });
  const transfer = res.body.BankTransfers[0];

  const from = await h.get(`/BankTransactions/${transfer.FromBankTransactionID}`, { responseSchema: 'BankTransactions' });
  assert.equal(from.status, 200);
  const fromLeg = readWithXeroNode<BankTransaction>(from.body.BankTransactions[0], 'BankTransaction');
  assert.equal(String(fromLeg.type), 'SPEND-TRANSFER');
  assert.equal(fromLeg.bankAccount.accountID, accountIdByCode(h, '091'));
  assert.deepEqual([fromLeg.total, fromLeg.reference], [120.55, 'po_123']);
  const to = await h.get(`/BankTransactions/${transfer.ToBankTransactionID}`, { responseSchema: 'BankTransactions' });
  assert.equal(to.body.BankTransactions[0].Type, 'RECEIVE-TRANSFER');
  assert.equal(to.body.BankTransactions[0].BankAccount.AccountID, accountIdByCode(h, '090'));

  const listed = await h.get('/BankTransactions', { query: { where: 'Reference=="po_123"' }, responseSchema: 'BankTransactions' });
  assert.deepEqual(listed.body.BankTransactions.map((t: { Type: string }) => t.Type).sort(), ['RECEIVE-TRANSFER', 'SPEND-TRANSFER']);
  const byType = await h.get('/BankTransactions', { query: { where: 'Type=="SPEND-TRANSFER"' }, responseSchema: 'BankTransactions' });
  assert.equal(byType.body.BankTransactions.length, 1);

  const edit = await h.post(`/BankTransactions/${transfer.FromBankTransactionID}`, { BankTransactions: [{ Type: 'SPEND', BankAccount: { Code: '091' }, LineItems: [], Reference: 'changed' }] });
  assert.equal(edit.status, 400);
  assert.match(JSON.stringify(edit.body), /part of a bank transfer/);
  assert.equal((await h.get(`/BankTransactions/${transfer.FromBankTransactionID}`)).body.BankTransactions[0].Reference, 'po_123');
});

test('a foreign payment into a base-currency account that is not a bank account converts BankAmount (no CurrencyCode = base currency)', async () => {
  const h = harness();
  const clearing = await h.put('/Accounts', { Name: 'Card clearing', Code: '615', Type: 'CURRLIAB', EnablePaymentsToAccount: true }, { requestSchema: 'Account', responseSchema: 'Accounts' });
  assert.equal(clearing.status, 200, JSON.stringify(clearing.body));
  assert.equal(clearing.body.Accounts[0].CurrencyCode, undefined);
  const invoice = await createInvoice(h, { CurrencyCode: 'USD', CurrencyRate: 1.25 }, [{ Description: 'Room', Quantity: 1, UnitAmount: 50, AccountCode: '200', TaxType: 'NONE' }]);
  const res = await h.put('/Payments', { Payments: [{ Invoice: { InvoiceID: invoice.InvoiceID }, Account: { Code: '615' }, Date: '2024-05-02', Amount: 50, CurrencyRate: 1.25 }] }, { requestSchema: 'Payments', responseSchema: 'Payments' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.deepEqual([res.body.Payments[0].Amount, res.body.Payments[0].BankAmount], [50, 40]);
});

test('DELETE /CreditNotes/{id}/Allocations/{id} answers a bare Allocation, as the spec and xero-node read it', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const note = (await h.put('/CreditNotes', { CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { Name: 'Ridgeway University' }, Date: '2024-05-02', Status: 'AUTHORISED', LineAmountTypes: 'Exclusive', LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'OUTPUT2' }] }] }, { responseSchema: 'CreditNotes' })).body.CreditNotes[0];
  const made = await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 6, Invoice: { InvoiceID: invoice.InvoiceID }, Date: '2024-05-03' }] }, { requestSchema: 'Allocations', responseSchema: 'Allocations' });
  assert.equal(made.status, 200, JSON.stringify(made.body));
  const allocationId = made.body.Allocations[0].AllocationID as string;
  const res = await h.call('delete', `/CreditNotes/${note.CreditNoteID}/Allocations/${allocationId}`, { responseSchema: 'Allocation' });
  assert.equal(res.status, 200);
  assert.equal(res.body.Allocations, undefined);
  const read = readWithXeroNode<Allocation>(res.body, 'Allocation');
  assert.deepEqual([read.allocationID, read.isDeleted, read.amount], [allocationId, true, 6]);
});

test('an allocation without a Date is refused with a validation error, and nothing is allocated', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const note = (await h.put('/CreditNotes', { CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { Name: 'Ridgeway University' }, Date: '2024-05-02', Status: 'AUTHORISED', LineAmountTypes: 'Exclusive', LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'OUTPUT2' }] }] })).body.CreditNotes[0];
  const res = await h.put(`/CreditNotes/${note.CreditNoteID}/Allocations`, { Allocations: [{ Amount: 6, Invoice: { InvoiceID: invoice.InvoiceID } }] });
  assert.equal(res.status, 400);
  assert.equal(res.body.Type, 'ValidationException');
  assert.match(JSON.stringify(res.body.Elements), /Date is required/);
  const after = await h.get(`/CreditNotes/${note.CreditNoteID}`, { responseSchema: 'CreditNotes' });
  assert.equal(after.body.CreditNotes[0].RemainingCredit, 6);
});
