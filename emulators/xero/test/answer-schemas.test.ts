// The conformance layer every Xero emulator test runs behind (answerSchemas.ts): which schema each answer
// is read against, and that an answer off the schema, or one with no known schema, fails the test.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import express from 'express';
import request from 'supertest';
import { answerProblems, answerSchemaFor, checkedApp } from './answerSchemas';

test('each Accounting API answer has its component of xero_accounting.yaml', () => {
  assert.equal(answerSchemaFor('GET', '/Invoices'), 'Invoices');
  assert.equal(answerSchemaFor('POST', '/Invoices/INV-1'), 'Invoices');
  assert.equal(answerSchemaFor('GET', '/Organisation'), 'Organisations');
  assert.equal(answerSchemaFor('PUT', '/BankTransfers/x/History'), 'HistoryRecords');
  assert.equal(answerSchemaFor('PUT', '/CreditNotes/c/Allocations'), 'Allocations');
  assert.equal(answerSchemaFor('DELETE', '/CreditNotes/c/Allocations/a'), 'Allocation');
  assert.equal(answerSchemaFor('GET', '/Quotes'), undefined);
});

test('an answer off its schema, or with none known, is a problem; a conforming one is not', () => {
  assert.deepEqual(answerProblems('GET', '/Invoices', 200, { Invoices: [{ Type: 'ACCREC', Status: 'AUTHORISED' }] }), []);
  assert.match(answerProblems('GET', '/Invoices', 200, { Invoices: [{ Type: 'ACCREC', Status: 'SETTLED' }] }).join('\n'), /Invoices\/Invoices\/0\/Status must be equal to one of the allowed values/);
  assert.match(answerProblems('GET', '/Quotes', 200, { Quotes: [] }).join('\n'), /no schema .* GET \/Quotes/);
  assert.match(answerProblems('PUT', '/Invoices', 400, { ErrorNumber: 'ten' }).join('\n'), /ErrorNumber must be integer/);
});

test('behind checkedApp a non-conforming answer becomes a 500 naming the schema error; a conforming one passes untouched', async () => {
  const inner = express();
  inner.get('/api.xro/2.0/Invoices', (_req, res) => { res.json({ Invoices: [{ Type: 'ACCREC', Status: 'SETTLED' }] }); });
  inner.get('/api.xro/2.0/Currencies', (_req, res) => { res.json({ Currencies: [{ Code: 'GBP', Description: 'British Pound' }] }); });
  const app = checkedApp(inner);
  const bad = await request(app).get('/api.xro/2.0/Invoices');
  assert.equal(bad.status, 500);
  assert.match(bad.text, /does not match xero_accounting\.yaml[\s\S]*Status/);
  const good = await request(app).get('/api.xro/2.0/Currencies').expect(200);
  assert.equal(good.body.Currencies[0].Code, 'GBP');
});
