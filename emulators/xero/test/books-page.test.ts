// The page the demo prints for "Xero's books" (issue 14: it printed a JSON control route): an organisation's
// invoices, credit notes, payments, bank transactions and transfers, each linking to its record's page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { UK_TENANT_ID } from '../accounting';
import { deepLinkRouter } from '../portal/deepLinks';
import { createInvoice, harness } from './accountingHarness';

test("an organisation's books page lists its invoices, each opening the invoice's page; an unknown organisation is a 404 page", async () => {
  const h = harness();
  h.app.use(deepLinkRouter({ records: h.accounting }));
  const invoice = await createInvoice(h, { Reference: 'Climbing pass' });
  const page = await request(h.app).get(`/portal/organisations/${UK_TENANT_ID}`).expect(200).expect('content-type', /html/);
  assert.match(page.text, /<h1>Demo Company \(UK\): what is in its books<\/h1>/);
  assert.match(page.text, /<h2 id="invoices-title">Invoices \(1\)<\/h2>/);
  const link = new RegExp(`<a href="(/AccountsReceivable/View\\.aspx\\?InvoiceID=${invoice.InvoiceID})">${invoice.InvoiceNumber}</a></td><td>\\d{4}-\\d{2}-\\d{2}</td><td>[^<]*</td><td>Climbing pass</td>`).exec(page.text);
  assert.ok(link, page.text.slice(0, 3000));
  assert.match((await request(h.app).get(link[1]!).expect(200)).text, new RegExp(`Invoice ${invoice.InvoiceNumber}`));
  assert.match(page.text, /<h2 id="credit-notes-title">Credit notes \(0\)<\/h2>\s*<p>None\.<\/p>/);
  await request(h.app).get('/portal/organisations/00000000-0000-0000-0000-000000000000').expect(404).expect('content-type', /html/);
});
