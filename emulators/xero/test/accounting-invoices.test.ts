// Invoices over HTTP: totals to the penny, Xero's validation rules and messages, numbering, status
// transitions, summarizeErrors both ways, lookups, where, paging and If-Modified-Since. Every response
// (and every accepted request body) is checked against Xero's OpenAPI schemas by the harness.
import { test } from 'node:test';
import express from 'express';
import request from 'supertest';
import { createAccountingModule, UK_TENANT_ID } from '../accounting';
import assert from 'node:assert/strict';
import type { Invoices } from 'xero-node';
import { createInvoice, FrozenClock, harness, readWithXeroNode, salesInvoice } from './accountingHarness';

const line = (over: Record<string, unknown>) => ({ Description: 'Item', Quantity: 1, AccountCode: '200', TaxType: 'OUTPUT2', ...over });

test('exclusive totals with mixed 20 % / 5 % / zero-rated lines and a discount, to the penny', async () => {
  const h = harness();
  const invoice = await createInvoice(h, {}, [
    line({ Quantity: 3, UnitAmount: 3.33 }), // 9.99, tax 2.00 (1.998)
    line({ Quantity: 1, UnitAmount: 19.99, DiscountRate: 15 }), // 16.99 (16.9915), tax 3.40 (3.398)
    line({ Quantity: 2, UnitAmount: 4.99, TaxType: 'RROUTPUT' }), // 9.98, tax 0.50 (0.499)
    line({ Quantity: 1, UnitAmount: 7.5, TaxType: 'ZERORATEDOUTPUT' }), // 7.50, tax 0
  ]);
  assert.deepEqual(invoice.LineItems.map((l: { LineAmount: number; TaxAmount: number }) => [l.LineAmount, l.TaxAmount]), [[9.99, 2], [16.99, 3.4], [9.98, 0.5], [7.5, 0]]);
  assert.equal(invoice.SubTotal, 44.46);
  assert.equal(invoice.TotalTax, 5.9);
  assert.equal(invoice.Total, 50.36);
  assert.equal(invoice.AmountDue, 50.36);
  assert.equal(invoice.TotalDiscount, 3);
  assert.equal(invoice.Status, 'AUTHORISED');
  assert.match(invoice.InvoiceNumber, /^INV-\d{4}$/);
  assert.match(invoice.UpdatedDateUTC, /^\/Date\(\d+\+0000\)\/$/);
  assert.equal(invoice.Date, `/Date(${Date.UTC(2024, 4, 1)}+0000)/`);
  assert.equal(invoice.DateString, '2024-05-01T00:00:00');
});

test('inclusive totals: tax = amount × r/(1+r) per line; the total is what was charged', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { LineAmountTypes: 'Inclusive' }, [
    line({ UnitAmount: 12.99 }), // tax 2.165 → 2.17
    line({ UnitAmount: 4.99, TaxType: 'RROUTPUT' }), // 0.2376 → 0.24
    line({ UnitAmount: 0.01 }), // 0.0017 → 0.00
  ]);
  assert.equal(invoice.Total, 17.99);
  assert.equal(invoice.TotalTax, 2.41);
  assert.equal(invoice.SubTotal, 15.58);
  assert.deepEqual(invoice.LineItems.map((l: { TaxAmount: number }) => l.TaxAmount), [2.17, 0.24, 0]);
});

test('NoTax documents carry no tax; unitdp=4 keeps four decimals of unit amount', async () => {
  const h = harness();
  const noTax = await createInvoice(h, { LineAmountTypes: 'NoTax' }, [line({ Quantity: 3, UnitAmount: 3.33 })]);
  assert.equal(noTax.TotalTax, 0);
  assert.equal(noTax.Total, 9.99);

  const rounded = await createInvoice(h, {}, [line({ Quantity: 3, UnitAmount: 1.2345 })]);
  assert.equal(rounded.LineItems[0].UnitAmount, 1.23); // Xero rounds to 2 dp without unitdp=4
  assert.equal(rounded.LineItems[0].LineAmount, 3.69);

  const res = await h.put('/Invoices', { Invoices: [salesInvoice({}, [line({ Quantity: 3, UnitAmount: 1.2345 })])] }, { query: { unitdp: '4' }, requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(res.status, 200);
  assert.equal(res.body.Invoices[0].LineItems[0].UnitAmount, 1.2345);
  assert.equal(res.body.Invoices[0].LineItems[0].LineAmount, 3.7); // 3.7035 → 3.70
});

test('a LineAmount that disagrees with Quantity × UnitAmount is refused', async () => {
  const h = harness();
  const res = await h.put('/Invoices', { Invoices: [salesInvoice({}, [line({ Quantity: 2, UnitAmount: 5, LineAmount: 9 })])] });
  assert.equal(res.status, 400);
  assert.match(res.body.Elements[0].ValidationErrors[0].Message, /line total 9\.00 does not match the expected line total 10\.00/);
});

test('account codes must exist, be active and fit the document; tax types must fit the account', async () => {
  const h = harness();
  const cases: [Record<string, unknown>, string][] = [
    [line({ AccountCode: '999', UnitAmount: 1 }), "Account code '999' is not a valid code for this document."],
    [line({ AccountCode: '090', UnitAmount: 1 }), "Account code '090' is not a valid code for this document."], // a bank account
    [line({ AccountCode: '610', UnitAmount: 1 }), "Account code '610' is not a valid code for this document."], // receivables control
    [line({ TaxType: 'XYZ', UnitAmount: 1 }), "The TaxType code 'XYZ' does not exist or cannot be used for this type of transaction."],
    [line({ TaxType: 'INPUT2', UnitAmount: 1 }), "The TaxType code 'INPUT2' does not exist or cannot be used for this type of transaction."],
  ];
  for (const [bad, message] of cases) {
    const res = await h.put('/Invoices', { Invoices: [salesInvoice({}, [bad])] }, { query: { summarizeErrors: 'false' }, responseSchema: 'Invoices' });
    assert.equal(res.status, 200);
    const [element] = res.body.Invoices;
    assert.equal(element.HasErrors, true);
    assert.equal(element.StatusAttributeString, 'ERROR');
    assert.deepEqual(element.ValidationErrors.map((e: { Message: string }) => e.Message), [message]);
  }
  // An archived account is no longer valid.
  const accounts = await h.get('/Accounts', { query: { where: 'Code=="260"' }, responseSchema: 'Accounts' });
  const archived = await h.post(`/Accounts/${accounts.body.Accounts[0].AccountID}`, { Accounts: [{ Status: 'ARCHIVED' }] }, { requestSchema: 'Accounts', responseSchema: 'Accounts' });
  assert.equal(archived.body.Accounts[0].Status, 'ARCHIVED');
  const res = await h.put('/Invoices', { Invoices: [salesInvoice({}, [line({ AccountCode: '260', UnitAmount: 1 })])] });
  assert.equal(res.status, 400);
  assert.equal(res.body.Elements[0].ValidationErrors[0].Message, "Account code '260' is not a valid code for this document.");
});

test('ACCREC invoice numbers are unique per organisation; ACCPAY numbers are not', async () => {
  const h = harness();
  await createInvoice(h, { InvoiceNumber: 'WEB-1001' });
  const dup = await h.put('/Invoices', { Invoices: [salesInvoice({ InvoiceNumber: 'WEB-1001' })] });
  assert.equal(dup.status, 400);
  assert.equal(dup.body.Type, 'ValidationException');
  assert.equal(dup.body.Elements[0].ValidationErrors[0].Message, 'Invoice # must be unique.');
  // The other organisation has its own numbering.
  const tenants = h.accounting.listTenants();
  const us = tenants.find((t) => t.baseCurrency === 'USD')!;
  const other = await h.put('/Invoices', { Invoices: [salesInvoice({ InvoiceNumber: 'WEB-1001' }, [line({ TaxType: 'TAX001', UnitAmount: 10 })])] }, { tenantId: us.tenantId, requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(other.status, 200, JSON.stringify(other.body));
  assert.equal(other.body.Invoices[0].TotalTax, 0.89); // 8.875 % of 10 = 0.8875 → 0.89
  assert.equal(other.body.Invoices[0].CurrencyCode, 'USD');
  const bills = [1, 2].map(() => ({ ...salesInvoice({ Type: 'ACCPAY', InvoiceNumber: 'SUP-1' }, [line({ AccountCode: '429', TaxType: 'INPUT2', UnitAmount: 5 })]) }));
  const billRes = await h.put('/Invoices', { Invoices: bills }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(billRes.status, 200, JSON.stringify(billRes.body));
});

test('summarizeErrors=true: 400 ValidationException, yet the valid elements are created', async () => {
  const h = harness();
  const res = await h.put('/Invoices', {
    Invoices: [salesInvoice({ InvoiceNumber: 'OK-1' }), salesInvoice({ InvoiceNumber: 'BAD-1' }, [line({ AccountCode: '999', UnitAmount: 1 })]), salesInvoice({ InvoiceNumber: 'OK-2' })],
  });
  assert.equal(res.status, 400);
  assert.deepEqual({ ErrorNumber: res.body.ErrorNumber, Type: res.body.Type, Message: res.body.Message }, { ErrorNumber: 10, Type: 'ValidationException', Message: 'A validation exception occurred' });
  assert.equal(res.body.Elements.length, 1);
  assert.equal(res.body.Elements[0].InvoiceNumber, 'BAD-1');
  const found = await h.get('/Invoices', { query: { InvoiceNumbers: 'OK-1,OK-2,BAD-1' }, responseSchema: 'Invoices' });
  assert.deepEqual(found.body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber).sort(), ['OK-1', 'OK-2']);
});

test('summarizeErrors=false: 200 with every element marked OK or ERROR, readable by xero-node', async () => {
  const h = harness();
  const res = await h.put('/Invoices', { Invoices: [salesInvoice(), salesInvoice({ Contact: {} })] }, { query: { summarizeErrors: 'false' }, requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(res.status, 200);
  const [ok, bad] = res.body.Invoices;
  assert.equal(ok.StatusAttributeString, 'OK');
  assert.equal(ok.HasErrors, false);
  assert.ok(ok.InvoiceID);
  assert.equal(bad.StatusAttributeString, 'ERROR');
  assert.equal(bad.ValidationErrors[0].Message, 'A Contact must be specified for this type of transaction');
  const parsed = readWithXeroNode<Invoices>(res.body, 'Invoices');
  const first = parsed.invoices![0]!;
  assert.ok(first.updatedDateUTC instanceof Date);
  assert.equal(first.updatedDateUTC.getTime(), h.clock.now());
  assert.equal(first.total, 12);
  assert.equal(first.lineItems![0]!.taxAmount, 2);
  assert.equal(String(first.status), 'AUTHORISED');
  assert.equal(parsed.invoices![1]!.validationErrors![0]!.message, 'A Contact must be specified for this type of transaction');
});

test('contacts are resolved by ContactID or Name; an unknown Name creates the contact', async () => {
  const h = harness();
  const first = await createInvoice(h, { Contact: { Name: 'New Member Ltd' } });
  const second = await createInvoice(h, { Contact: { Name: 'new member ltd' } });
  assert.equal(second.Contact.ContactID, first.Contact.ContactID);
  const byId = await createInvoice(h, { Contact: { ContactID: first.Contact.ContactID } });
  assert.equal(byId.Contact.Name, 'New Member Ltd');
  const missing = await h.put('/Invoices', { Invoices: [salesInvoice({ Contact: { ContactID: '00000000-0000-4000-8000-000000000000' } })] });
  assert.equal(missing.status, 400);
  const contacts = await h.get('/Contacts', { query: { where: 'Name=="New Member Ltd"' }, responseSchema: 'Contacts' });
  assert.equal(contacts.body.Contacts.length, 1);
  assert.equal(contacts.body.Contacts[0].IsCustomer, true);
});

test('currency must be the base or an enabled currency; foreign documents carry a rate', async () => {
  const h = harness();
  const eur = await createInvoice(h, { CurrencyCode: 'EUR', CurrencyRate: 1.1634 });
  assert.equal(eur.CurrencyCode, 'EUR');
  assert.equal(eur.CurrencyRate, 1.1634);
  const usd = await createInvoice(h, { CurrencyCode: 'USD' });
  assert.equal(usd.CurrencyRate, 1.27); // the organisation's fallback rate
  const res = await h.put('/Invoices', { Invoices: [salesInvoice({ CurrencyCode: 'JPY' })] });
  assert.equal(res.status, 400);
  assert.equal(res.body.Elements[0].ValidationErrors[0].Message, 'Organisation is not subscribed to currency JPY');
});

test('status transitions: DRAFT → SUBMITTED → AUTHORISED → VOIDED; DRAFT → DELETED; AUTHORISED cannot be deleted', async () => {
  const h = harness();
  const draft = await createInvoice(h, { Status: 'DRAFT' });
  assert.equal(draft.Status, 'DRAFT');
  const submitted = await h.post(`/Invoices/${draft.InvoiceID}`, { Invoices: [{ Status: 'SUBMITTED' }] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(submitted.body.Invoices[0].Status, 'SUBMITTED');
  const authorised = await h.post('/Invoices', { Invoices: [{ InvoiceID: draft.InvoiceID, Status: 'AUTHORISED' }] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(authorised.body.Invoices[0].Status, 'AUTHORISED');
  const backToDraft = await h.post(`/Invoices/${draft.InvoiceID}`, { Invoices: [{ Status: 'DRAFT' }] });
  assert.equal(backToDraft.status, 400);
  assert.equal(backToDraft.body.Elements[0].ValidationErrors[0].Message, 'Invoice not of valid status for modification');
  const deleteAuthorised = await h.post(`/Invoices/${draft.InvoiceID}`, { Invoices: [{ Status: 'DELETED' }] });
  assert.equal(deleteAuthorised.status, 400);
  const voided = await h.post(`/Invoices/${draft.InvoiceID}`, { Invoices: [{ Status: 'VOIDED' }] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(voided.body.Invoices[0].Status, 'VOIDED');
  const edit = await h.post(`/Invoices/${draft.InvoiceID}`, { Invoices: [{ Reference: 'too late' }] });
  assert.equal(edit.status, 400);
  assert.equal(edit.body.Elements[0].ValidationErrors[0].Message, 'Invoice not of valid status for modification');

  const other = await createInvoice(h, { Status: 'DRAFT' });
  const deleted = await h.post(`/Invoices/${other.InvoiceID}`, { Invoices: [{ Status: 'DELETED' }] }, { responseSchema: 'Invoices' });
  assert.equal(deleted.body.Invoices[0].Status, 'DELETED');
  const paidOnCreate = await h.put('/Invoices', { Invoices: [salesInvoice({ Status: 'PAID' })] });
  assert.equal(paidOnCreate.status, 400);
});

test('an AUTHORISED invoice can be edited (totals recomputed) while nothing is paid', async () => {
  const h = harness();
  const invoice = await createInvoice(h);
  const res = await h.post(`/Invoices/${invoice.InvoiceID}`, { Invoices: [{ Reference: 'Booking 42', LineItems: [line({ Quantity: 2, UnitAmount: 10 })] }] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.Invoices[0].Total, 24);
  assert.equal(res.body.Invoices[0].Reference, 'Booking 42');
  assert.equal(res.body.Invoices[0].Status, 'AUTHORISED');
  // POST without an id finds the invoice by its number and updates it.
  const byNumber = await h.post('/Invoices', { Invoices: [{ InvoiceNumber: invoice.InvoiceNumber, Reference: 'Booking 43' }] }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(byNumber.body.Invoices[0].InvoiceID, invoice.InvoiceID);
  assert.equal(byNumber.body.Invoices[0].Reference, 'Booking 43');
});

test('GET by id, by InvoiceNumber, 404 for unknown ids', async () => {
  const h = harness();
  const invoice = await createInvoice(h, { InvoiceNumber: 'INV-001' });
  const byId = await h.get(`/Invoices/${invoice.InvoiceID}`, { responseSchema: 'Invoices' });
  assert.equal(byId.body.Invoices[0].InvoiceNumber, 'INV-001');
  assert.equal(byId.body.Invoices[0].LineItems.length, 1);
  const byNumber = await h.get('/Invoices/INV-001', { responseSchema: 'Invoices' });
  assert.equal(byNumber.body.Invoices[0].InvoiceID, invoice.InvoiceID);
  const missing = await h.get('/Invoices/00000000-0000-4000-8000-000000000000');
  assert.equal(missing.status, 404);
  assert.equal(missing.text, "The resource you're looking for cannot be found");
});

test('where filters used by the product', async () => {
  const h = harness();
  const a = await createInvoice(h, { InvoiceNumber: 'A-1', Reference: 'sale_1' });
  await createInvoice(h, { InvoiceNumber: 'A-2', Reference: 'sale_2', Status: 'DRAFT', Contact: { Name: 'City Agency' } });
  const numbers = async (where: string) => {
    const res = await h.get('/Invoices', { query: { where }, responseSchema: 'Invoices' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.Invoices.map((i: { InvoiceNumber: string }) => i.InvoiceNumber).sort();
  };
  assert.deepEqual(await numbers('InvoiceNumber=="A-1"'), ['A-1']);
  assert.deepEqual(await numbers('Reference=="sale_2"'), ['A-2']);
  assert.deepEqual(await numbers('Status=="DRAFT"'), ['A-2']);
  assert.deepEqual(await numbers(`Contact.ContactID==guid("${a.Contact.ContactID}")`), ['A-1']);
  assert.deepEqual(await numbers('Reference=="sale_1" || Reference=="sale_2"'), ['A-1', 'A-2']);
  assert.deepEqual(await numbers('Type=="ACCREC" && Status=="AUTHORISED"'), ['A-1']);
  const ids = await h.get('/Invoices', { query: { IDs: a.InvoiceID }, responseSchema: 'Invoices' });
  assert.deepEqual(ids.body.Invoices.map((i: { InvoiceID: string }) => i.InvoiceID), [a.InvoiceID]);
  const bad = await h.get('/Invoices', { query: { where: 'Nonsense=="x"' } });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.Type, 'QueryParseException');
  assert.match(bad.body.Message, /No property or field 'Nonsense' exists in type 'Invoice'/);
});

test('paging: 100 per page by default, pageSize up to 1000, line items only when paged', async () => {
  const h = harness();
  const batch = Array.from({ length: 130 }, (_, i) => salesInvoice({ InvoiceNumber: `P-${String(i).padStart(3, '0')}` }));
  const created = await h.put('/Invoices', { Invoices: batch }, { requestSchema: 'Invoices', responseSchema: 'Invoices' });
  assert.equal(created.body.Invoices.length, 130);
  const page1 = await h.get('/Invoices', { query: { page: '1' }, responseSchema: 'Invoices' });
  assert.equal(page1.body.Invoices.length, 100);
  assert.deepEqual(page1.body.pagination, { page: 1, pageSize: 100, pageCount: 2, itemCount: 130 });
  assert.ok(page1.body.Invoices[0].LineItems);
  const page2 = await h.get('/Invoices', { query: { page: '2' }, responseSchema: 'Invoices' });
  assert.equal(page2.body.Invoices.length, 30);
  const big = await h.get('/Invoices', { query: { page: '1', pageSize: '5000' }, responseSchema: 'Invoices' });
  assert.equal(big.body.pagination.pageSize, 1000);
  assert.equal(big.body.Invoices.length, 130);
  const unpaged = await h.get('/Invoices', { responseSchema: 'Invoices' });
  assert.equal(unpaged.body.Invoices.length, 130);
  assert.equal(unpaged.body.Invoices[0].LineItems, undefined);
  assert.equal(unpaged.body.pagination, undefined);
});

test('If-Modified-Since returns only records changed after the given time', async () => {
  const h = harness();
  const old = await createInvoice(h);
  h.clock.advance(60_000);
  const since = new Date(h.clock.now()).toISOString().slice(0, 19);
  h.clock.advance(1_000);
  const fresh = await createInvoice(h);
  const res = await h.get('/Invoices', { headers: { 'If-Modified-Since': since }, responseSchema: 'Invoices' });
  assert.deepEqual(res.body.Invoices.map((i: { InvoiceID: string }) => i.InvoiceID), [fresh.InvoiceID]);
  h.clock.advance(1_000);
  await h.post(`/Invoices/${old.InvoiceID}`, { Invoices: [{ Reference: 'touched' }] });
  const again = await h.get('/Invoices', { headers: { 'If-Modified-Since': since }, responseSchema: 'Invoices' });
  assert.equal(again.body.Invoices.length, 2);
});

test('malformed JSON is a 400 PostDataInvalidException; missing tenant a 400', async () => {
  const h = harness();
  const res = await h.call('put', '/Invoices', { rawBody: '{"Invoices": [' });
  assert.equal(res.status, 400);
  assert.equal(res.body.Type, 'PostDataInvalidException');
  const noTenant = await h.get('/Invoices', { tenantId: null });
  assert.equal(noTenant.status, 400);
});

test('a body already read and parsed upstream (as the infrastructure does) is used as is', async () => {
  const accounting = createAccountingModule({ clock: new FrozenClock() });
  const app = express();
  app.use('/api.xro/2.0', (req, res, next) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      req.body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      res.locals.xero = { tenantId: UK_TENANT_ID, appId: 'upstream', authKind: 'oauth1', scopes: [] };
      next();
    });
  }, accounting.router);
  const res = await request(app).put('/api.xro/2.0/Invoices').send({ Invoices: [salesInvoice()] });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.Invoices[0].Total, 12);
  assert.equal(res.body.ProviderName, 'upstream');
});
