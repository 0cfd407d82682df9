// Organisation, chart of accounts, tax rates, tracking, contacts, bank transactions and transfers,
// History notes, control routes and snapshot/restore — over HTTP, schema-checked by the harness.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Accounts, Organisations } from 'xero-node';
import { UK_TENANT_ID, US_TENANT_ID } from '../accounting';
import { createInvoice, harness, readWithXeroNode } from './accountingHarness';

test('two seeded organisations: UK in GBP and US in USD, with tenant summaries', async () => {
  const h = harness();
  const tenants = h.accounting.listTenants();
  assert.deepEqual(tenants.map((t) => [t.name, t.baseCurrency, t.countryCode]), [['Demo Company (UK)', 'GBP', 'GB'], ['Demo Company (US)', 'USD', 'US']]);
  for (const tenant of tenants) {
    assert.match(tenant.shortCode, /^![A-Za-z0-9]{5}$/);
    assert.equal(tenant.tenantType, 'ORGANISATION');
  }
  const org = await h.get('/Organisation', { responseSchema: 'Organisations' });
  assert.equal(org.body.Organisations[0].OrganisationID, UK_TENANT_ID);
  assert.equal(org.body.Organisations[0].BaseCurrency, 'GBP');
  const parsed = readWithXeroNode<Organisations>(org.body, 'Organisations');
  assert.ok(parsed.organisations![0]!.createdDateUTC instanceof Date);
  const us = await h.get('/Organisation', { tenantId: US_TENANT_ID, responseSchema: 'Organisations' });
  assert.equal(us.body.Organisations[0].Name, 'Demo Company (US)');
  const added = h.accounting.createOrganisation({ name: 'Gym Europe', baseCurrency: 'EUR', countryCode: 'IE' });
  assert.equal(h.accounting.getTenant(added.tenantId)?.baseCurrency, 'EUR');
  const euAccounts = await h.get('/Accounts', { tenantId: added.tenantId, responseSchema: 'Accounts' });
  assert.ok(euAccounts.body.Accounts.some((a: { Type: string; CurrencyCode?: string }) => a.Type === 'BANK' && a.CurrencyCode === 'EUR'));
  const unknown = await h.get('/Organisation', { tenantId: '00000000-0000-4000-8000-000000000000' });
  assert.equal(unknown.status, 403);
});

test('chart of accounts: where filters, create a bank account, update, archive, delete', async () => {
  const h = harness();
  const banks = await h.get('/Accounts', { query: { where: 'Type=="BANK"' }, responseSchema: 'Accounts' });
  assert.deepEqual(banks.body.Accounts.map((a: { Code: string }) => a.Code), ['090', '091']);
  const all = await h.get('/Accounts', { responseSchema: 'Accounts' });
  for (const code of ['200', '260', '404', '610', '820', '877', '880']) assert.ok(all.body.Accounts.some((a: { Code: string }) => a.Code === code), code);
  const sales = all.body.Accounts.find((a: { Code: string }) => a.Code === '200');
  assert.deepEqual([sales.Class, sales.TaxType, sales.Status], ['REVENUE', 'OUTPUT2', 'ACTIVE']);

  const created = await h.put('/Accounts', { Name: 'Stripe GBP', Code: '092', Type: 'BANK', BankAccountNumber: '40-00-00 11112222' }, { requestSchema: 'Account', responseSchema: 'Accounts' });
  assert.equal(created.status, 200, JSON.stringify(created.body));
  const account = created.body.Accounts[0];
  assert.deepEqual([account.Type, account.BankAccountType, account.CurrencyCode], ['BANK', 'BANK', 'GBP']);
  const byNumber = await h.get('/Accounts', { query: { where: 'BankAccountNumber=="40-00-00 11112222"' }, responseSchema: 'Accounts' });
  assert.equal(byNumber.body.Accounts[0].AccountID, account.AccountID);

  const dupCode = await h.put('/Accounts', { Name: 'Another', Code: '092', Type: 'BANK', BankAccountNumber: '1' });
  assert.equal(dupCode.status, 400);
  assert.equal(dupCode.body.Elements[0].ValidationErrors[0].Message, 'Please enter a unique Code.');
  const noNumber = await h.put('/Accounts', { Name: 'No number', Code: '093', Type: 'BANK' });
  assert.equal(noNumber.status, 400);

  const renamed = await h.post(`/Accounts/${account.AccountID}`, { Accounts: [{ Name: 'Stripe Clearing' }] }, { requestSchema: 'Accounts', responseSchema: 'Accounts' });
  assert.equal(renamed.body.Accounts[0].Name, 'Stripe Clearing');
  const archived = await h.post(`/Accounts/${account.AccountID}`, { Accounts: [{ Status: 'ARCHIVED' }] }, { requestSchema: 'Accounts', responseSchema: 'Accounts' });
  assert.equal(archived.body.Accounts[0].Status, 'ARCHIVED');
  const read = readWithXeroNode<Accounts>(archived.body, 'Accounts');
  assert.ok(read.accounts![0]!.updatedDateUTC instanceof Date);

  const deleted = await h.call('delete', `/Accounts/${account.AccountID}`, { responseSchema: 'Accounts' });
  assert.equal(deleted.status, 200);
  assert.equal(deleted.body.Accounts[0].Status, 'DELETED');
  assert.equal((await h.get(`/Accounts/${account.AccountID}`)).status, 404);
  const systemDelete = await h.call('delete', `/Accounts/${sales.AccountID}`);
  assert.equal(systemDelete.status, 200); // Sales is not a system account and has no transactions
});

test('tax rates and tracking categories', async () => {
  const h = harness();
  const rates = await h.get('/TaxRates', { responseSchema: 'TaxRates' });
  const byType = Object.fromEntries(rates.body.TaxRates.map((r: { TaxType: string; EffectiveRate: number }) => [r.TaxType, r.EffectiveRate]));
  assert.equal(byType.OUTPUT2, 20);
  assert.equal(byType.RROUTPUT, 5);
  assert.equal(byType.ZERORATEDOUTPUT, 0);
  assert.equal(byType.INPUT2, 20);
  assert.equal(byType.NONE, 0);
  const one = await h.get('/TaxRates', { query: { where: 'TaxType=="RROUTPUT"' }, responseSchema: 'TaxRates' });
  assert.equal(one.body.TaxRates.length, 1);
  const tracking = await h.get('/TrackingCategories', { responseSchema: 'TrackingCategories' });
  assert.deepEqual(tracking.body.TrackingCategories.map((t: { Name: string }) => t.Name), ['Region', 'Venue']);
  assert.ok(tracking.body.TrackingCategories[1].Options.some((o: { Name: string }) => o.Name === 'Studio'));
});

test('tracking on lines: by name or id, at most two, unknown options refused', async () => {
  const h = harness();
  const invoice = await createInvoice(h, {}, [{ Description: 'Class', Quantity: 1, UnitAmount: 10, AccountCode: '200', Tracking: [{ Name: 'Region', Option: 'North' }, { Name: 'Venue', Option: 'Studio' }] }]);
  assert.deepEqual(invoice.LineItems[0].Tracking.map((t: { Option: string }) => t.Option), ['North', 'Studio']);
  assert.equal(invoice.LineItems[0].TaxType, 'OUTPUT2'); // the account's default tax type
  const bad = await h.put('/Invoices', { Invoices: [{ Type: 'ACCREC', Contact: { Name: 'X' }, LineItems: [{ Quantity: 1, UnitAmount: 1, AccountCode: '200', Tracking: [{ Name: 'Region', Option: 'Atlantis' }] }] }] });
  assert.equal(bad.status, 400);
  assert.match(bad.body.Elements[0].ValidationErrors[0].Message, /Atlantis/);
});

test('contacts: batches, unique active names, where, searchTerm, IDs, paging, archive', async () => {
  const h = harness();
  const created = await h.put('/Contacts', { Contacts: [{ Name: 'Ada Lovelace', EmailAddress: 'ada@example.test', FirstName: 'Ada' }, { Name: 'Charles Babbage' }] }, { requestSchema: 'Contacts', responseSchema: 'Contacts' });
  assert.equal(created.status, 200);
  const [ada] = created.body.Contacts;
  const dup = await h.put('/Contacts', { Contacts: [{ Name: 'Ada Lovelace' }] });
  assert.equal(dup.status, 400);
  assert.equal(dup.body.Elements[0].ValidationErrors[0].Message, 'The contact name Ada Lovelace is already assigned to another contact. The contact name must be unique across all active contacts.');
  const dupQuiet = await h.put('/Contacts', { Contacts: [{ Name: 'Ada Lovelace' }, { Name: 'Grace Hopper' }] }, { query: { summarizeErrors: 'false' }, requestSchema: 'Contacts', responseSchema: 'Contacts' });
  assert.deepEqual(dupQuiet.body.Contacts.map((c: { HasValidationErrors: boolean }) => c.HasValidationErrors), [true, false]);

  const where = await h.get('/Contacts', { query: { where: 'EmailAddress=="ada@example.test"' }, responseSchema: 'Contacts' });
  assert.deepEqual(where.body.Contacts.map((c: { ContactID: string }) => c.ContactID), [ada.ContactID]);
  const search = await h.get('/Contacts', { query: { searchTerm: 'babb' }, responseSchema: 'Contacts' });
  assert.deepEqual(search.body.Contacts.map((c: { Name: string }) => c.Name), ['Charles Babbage']);
  const ids = await h.get('/Contacts', { query: { IDs: ada.ContactID }, responseSchema: 'Contacts' });
  assert.equal(ids.body.Contacts.length, 1);
  const paged = await h.get('/Contacts', { query: { page: '1', pageSize: '2' }, responseSchema: 'Contacts' });
  assert.equal(paged.body.Contacts.length, 2);
  assert.equal(paged.body.pagination.itemCount, 6); // 3 seeded + Ada, Charles, Grace

  const archived = await h.post(`/Contacts/${ada.ContactID}`, { Contacts: [{ ContactStatus: 'ARCHIVED' }] }, { requestSchema: 'Contacts', responseSchema: 'Contacts' });
  assert.equal(archived.body.Contacts[0].ContactStatus, 'ARCHIVED');
  const active = await h.get('/Contacts', { query: { where: 'Name=="Ada Lovelace"' }, responseSchema: 'Contacts' });
  assert.equal(active.body.Contacts.length, 0);
  const withArchived = await h.get('/Contacts', { query: { where: 'Name=="Ada Lovelace"', includeArchived: 'true' }, responseSchema: 'Contacts' });
  assert.equal(withArchived.body.Contacts.length, 1);
  // Once archived, the name is free for a new active contact.
  const reuse = await h.put('/Contacts', { Contacts: [{ Name: 'Ada Lovelace' }] }, { requestSchema: 'Contacts', responseSchema: 'Contacts' });
  assert.equal(reuse.status, 200);
  const byId = await h.get(`/Contacts/${ada.ContactID}`, { responseSchema: 'Contacts' });
  assert.equal(byId.body.Contacts[0].ContactStatus, 'ARCHIVED');
});

test('bank transactions: SPEND fees and RECEIVE money, totals, validation, delete', async () => {
  const h = harness();
  const spend = await h.put('/BankTransactions', {
    BankTransactions: [{ Type: 'SPEND', Contact: { Name: 'Stripe' }, BankAccount: { Code: '090' }, Date: '2024-05-05', Reference: 'po_123 fees', LineAmountTypes: 'NoTax', LineItems: [{ Description: 'Stripe fees', Quantity: 1, UnitAmount: 3.47, AccountCode: '404' }] }],
  }, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions' });
  assert.equal(spend.status, 200, JSON.stringify(spend.body));
  const txn = spend.body.BankTransactions[0];
  assert.deepEqual([txn.Type, txn.Total, txn.Status, txn.BankAccount.Code], ['SPEND', 3.47, 'AUTHORISED', '090']);

  const receive = await h.put('/BankTransactions', {
    BankTransactions: [{ Type: 'RECEIVE', Contact: { Name: 'Walk-in' }, BankAccount: { Code: '090' }, LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Cash sale', Quantity: 1, UnitAmount: 6, AccountCode: '200', TaxType: 'OUTPUT2' }] }],
  }, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions' });
  assert.equal(receive.body.BankTransactions[0].TotalTax, 1);

  const wrongSide = await h.put('/BankTransactions', { BankTransactions: [{ Type: 'SPEND', Contact: { Name: 'Stripe' }, BankAccount: { Code: '090' }, LineItems: [{ Quantity: 1, UnitAmount: 1, AccountCode: '404', TaxType: 'OUTPUT2' }] }] });
  assert.equal(wrongSide.status, 400);
  const notBank = await h.put('/BankTransactions', { BankTransactions: [{ Type: 'SPEND', Contact: { Name: 'Stripe' }, BankAccount: { Code: '200' }, LineItems: [{ Quantity: 1, UnitAmount: 1, AccountCode: '404' }] }] });
  assert.equal(notBank.status, 400);

  const list = await h.get('/BankTransactions', { query: { where: 'Type=="SPEND"' }, responseSchema: 'BankTransactions' });
  assert.equal(list.body.BankTransactions.length, 1);
  // The spec makes Type, BankAccount and LineItems required even on a status-only update.
  const deletion = { Type: 'SPEND', BankAccount: { Code: '090' }, LineItems: txn.LineItems, Status: 'DELETED' };
  const deleted = await h.post(`/BankTransactions/${txn.BankTransactionID}`, { BankTransactions: [deletion] }, { requestSchema: 'BankTransactions', responseSchema: 'BankTransactions' });
  assert.equal(deleted.body.BankTransactions[0].Status, 'DELETED');
});

test('bank transfers between bank accounts', async () => {
  const h = harness();
  const res = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '091' }, ToBankAccount: { Code: '090' }, Amount: 120.55, Date: '2024-05-06', Reference: 'po_123' }] }, { requestSchema: 'BankTransfers', responseSchema: 'BankTransfers' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const transfer = res.body.BankTransfers[0];
  assert.equal(transfer.Amount, 120.55);
  assert.ok(transfer.FromBankTransactionID && transfer.ToBankTransactionID);
  const same = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '090' }, ToBankAccount: { Code: '090' }, Amount: 1 }] });
  assert.equal(same.status, 400);
  const nonBank = await h.put('/BankTransfers', { BankTransfers: [{ FromBankAccount: { Code: '200' }, ToBankAccount: { Code: '090' }, Amount: 1 }] });
  assert.equal(nonBank.status, 400);
  const got = await h.get(`/BankTransfers/${transfer.BankTransferID}`, { responseSchema: 'BankTransfers' });
  assert.equal(got.body.BankTransfers[0].Reference, 'po_123');
  const history = await h.get(`/BankTransfers/${transfer.BankTransferID}/History`, { responseSchema: 'HistoryRecords' });
  assert.match(history.body.HistoryRecords[0].Details, /Bank transfer from Business Savings Account to Business Bank Account on 2024-05-06 for 120\.55/);
});

test('History: automatic records and notes added through the API', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { InvoiceNumber: 'H-1' });
  const note = await h.put(`/Invoices/${invoice.InvoiceID}/History`, { HistoryRecords: [{ Details: 'Synced from sale 42 by Ledgerbridge' }] }, { requestSchema: 'HistoryRecords', responseSchema: 'HistoryRecords' });
  assert.equal(note.status, 200);
  assert.equal(note.body.HistoryRecords[0].Details, 'Synced from sale 42 by Ledgerbridge');
  h.clock.advance(1000);
  const history = await h.get(`/Invoices/${invoice.InvoiceID}/History`, { responseSchema: 'HistoryRecords' });
  const changes = history.body.HistoryRecords.map((r: { Changes: string }) => r.Changes);
  assert.ok(changes.includes('Created'));
  assert.ok(changes.includes('Approved'));
  assert.ok(changes.includes('Note'));
  assert.match(history.body.HistoryRecords[0].DateUTC, /^\/Date\(\d+\+0000\)\/$/);
  const empty = await h.put(`/Invoices/${invoice.InvoiceID}/History`, { HistoryRecords: [{ Details: '' }] });
  assert.equal(empty.status, 400);
  const contacts = await h.get('/Contacts', { query: { where: 'Name=="Ridgeway University"' } });
  const contactHistory = await h.put(`/Contacts/${contacts.body.Contacts[0].ContactID}/History`, { HistoryRecords: [{ Details: 'Member since 2019' }] }, { requestSchema: 'HistoryRecords', responseSchema: 'HistoryRecords' });
  assert.equal(contactHistory.status, 200);
  assert.equal((await h.get('/Invoices/00000000-0000-4000-8000-000000000000/History')).status, 404);
});

test('control routes: list, counts, void/delete as the accountant, archive contacts, delete accounts', async () => {
  const h = harness();
  const paidLater = await createInvoice(h);
  const draft = await createInvoice(h, { Status: 'DRAFT' });
  const counts = await h.control('get', `/tenants/${UK_TENANT_ID}/counts`);
  assert.equal(counts.body.invoices, 2);
  assert.deepEqual(counts.body.invoicesByStatus, { AUTHORISED: 1, DRAFT: 1 });

  const voided = await h.control('post', `/tenants/${UK_TENANT_ID}/invoices/${paidLater.InvoiceID}/void`);
  assert.equal(voided.status, 200);
  assert.equal(voided.body.Status, 'VOIDED');
  const cannotVoidDraft = await h.control('post', `/tenants/${UK_TENANT_ID}/invoices/${draft.InvoiceID}/void`);
  assert.equal(cannotVoidDraft.status, 409);
  const deleted = await h.control('post', `/tenants/${UK_TENANT_ID}/invoices/${draft.InvoiceID}/delete`);
  assert.equal(deleted.body.Status, 'DELETED');
  // The product sees the accountant's change through the API.
  const seen = await h.get(`/Invoices/${draft.InvoiceID}`, { responseSchema: 'Invoices' });
  assert.equal(seen.body.Invoices[0].Status, 'DELETED');

  const list = await h.control('get', `/tenants/${UK_TENANT_ID}/invoices`);
  assert.equal(list.body.items.length, 2);
  const history = await h.control('get', `/tenants/${UK_TENANT_ID}/history`);
  assert.ok(history.body.items.some((r: { User: string; Changes: string }) => r.Changes === 'Voided' && /Accountant/.test(r.User)));

  const contact = paidLater.Contact.ContactID;
  const archived = await h.control('delete', `/tenants/${UK_TENANT_ID}/contacts/${contact}`);
  assert.equal(archived.body.contact.ContactStatus, 'ARCHIVED');

  const removed = await h.control('delete', `/tenants/${UK_TENANT_ID}/accounts/091`);
  assert.equal(removed.body.action, 'deleted');
  const used = await h.control('delete', `/tenants/${UK_TENANT_ID}/accounts/200`);
  assert.equal(used.body.action, 'archived');
  const system = await h.control('delete', `/tenants/${UK_TENANT_ID}/accounts/610`);
  assert.equal(system.status, 409);
  const accounts = await h.get('/Accounts', { query: { where: 'Code=="091"' }, responseSchema: 'Accounts' });
  assert.equal(accounts.body.Accounts.length, 0);
  assert.equal((await h.control('get', '/tenants/nope/counts')).status, 404);
});

test('snapshot and restore round-trip the books; reset reseeds', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { InvoiceNumber: 'SNAP-1' });
  const snapshot = JSON.parse(JSON.stringify(h.accounting.snapshot()));
  h.accounting.reset();
  assert.equal((await h.get('/Invoices/SNAP-1')).status, 404);
  assert.deepEqual(h.accounting.listTenants().map((t) => t.tenantId), [UK_TENANT_ID, US_TENANT_ID]);
  h.accounting.restore(snapshot);
  const back = await h.get('/Invoices/SNAP-1', { responseSchema: 'Invoices' });
  assert.equal(back.body.Invoices[0].InvoiceID, invoice.InvoiceID);
  // Numbering continues after a restore.
  const next = await createInvoice(h);
  assert.equal(next.InvoiceNumber, 'INV-0001');
  assert.throws(() => h.accounting.restore({ version: 99 }));
});
