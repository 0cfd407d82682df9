// Organisation, Accounts, TaxRates, TrackingCategories, Currencies.
import { Router } from 'express';
import { deleteAccount, writeAccount } from '../accounts';
import { batchElements, sendCollection, sendNotFound, sendPostDataInvalid, sendValidationError } from '../http';
import type { AccountRecord, TaxRateRecord, TrackingCategoryRecord } from '../model';
import { serializeAccount, serializeOrganisation, serializeTaxRate, serializeTrackingCategory } from '../serialize';
import { filterByList, scopeOf, sendList } from './common';

export function settingsRoutes(): Router {
  const router = Router();

  router.get('/Organisation', (_req, res) => {
    sendCollection(res, 'Organisations', [serializeOrganisation(scopeOf(res).book)]);
  });

  router.get('/Currencies', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, book.currencies, { key: 'Currencies', typeName: 'Currency', view: (c) => ({ Code: c.Code, Description: c.Description }) });
  });

  const accountList = { key: 'Accounts', typeName: 'Account', view: (a: AccountRecord) => serializeAccount(a), updatedAt: (a: AccountRecord) => a.UpdatedDateUTC };

  router.get('/Accounts', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.accounts.values()].filter((a) => a.Status !== 'DELETED'), accountList);
  });

  router.get('/Accounts/:id', (req, res) => {
    const account = scopeOf(res).book.accounts.get(req.params.id.toLowerCase());
    if (!account || account.Status === 'DELETED') return sendNotFound(res);
    sendCollection(res, 'Accounts', [serializeAccount(account)]);
  });

  // PUT /Accounts takes one Account object (not a collection), per the spec and xero-node's createAccount.
  router.put('/Accounts', (req, res) => {
    const { book, now } = scopeOf(res);
    if (!req.body || typeof req.body !== 'object') return sendPostDataInvalid(res, 'The request body must be an Account object.');
    const outcome = writeAccount(req.body, { book, now });
    if (!outcome.ok) return sendValidationError(res, outcome.json, outcome.errors);
    sendCollection(res, 'Accounts', [outcome.json]);
  });

  // POST /Accounts/{id} takes {Accounts:[{…}]} (the spec's updateAccount body).
  router.post('/Accounts/:id', (req, res) => {
    const { book, now } = scopeOf(res);
    const existing = book.accounts.get(req.params.id.toLowerCase());
    if (!existing || existing.Status === 'DELETED') return sendNotFound(res);
    const elements = batchElements(req.body, 'Accounts');
    if (!elements || elements.length !== 1) return sendPostDataInvalid(res, 'The request body must hold exactly one Account.');
    const outcome = writeAccount(elements[0], { book, now, existing });
    if (!outcome.ok) return sendValidationError(res, outcome.json, outcome.errors);
    sendCollection(res, 'Accounts', [outcome.json]);
  });

  router.delete('/Accounts/:id', (req, res) => {
    const { book, now } = scopeOf(res);
    const account = book.accounts.get(req.params.id.toLowerCase());
    if (!account || account.Status === 'DELETED') return sendNotFound(res);
    const problem = deleteAccount(book, account, now);
    if (problem) return sendValidationError(res, serializeAccount(account), [problem]);
    sendCollection(res, 'Accounts', [serializeAccount(account)]);
  });

  const taxList = { key: 'TaxRates', typeName: 'TaxRate', view: (t: TaxRateRecord) => serializeTaxRate(t) };
  router.get('/TaxRates', (req, res) => {
    const { book } = scopeOf(res);
    const rates = filterByList(req, [...book.taxRates.values()], 'TaxType', (t) => t.TaxType);
    sendList(req, res, rates, taxList);
  });
  router.get('/TaxRates/:taxType', (req, res) => {
    const rate = scopeOf(res).book.taxRates.get(req.params.taxType.toUpperCase());
    if (!rate) return sendNotFound(res);
    sendCollection(res, 'TaxRates', [serializeTaxRate(rate)]);
  });

  const trackingList = { key: 'TrackingCategories', typeName: 'TrackingCategory', view: (t: TrackingCategoryRecord) => serializeTrackingCategory(t) };
  router.get('/TrackingCategories', (req, res) => {
    const { book } = scopeOf(res);
    const includeArchived = String(req.query.includeArchived ?? '').toLowerCase() === 'true';
    sendList(req, res, [...book.trackingCategories.values()].filter((t) => includeArchived || t.Status === 'ACTIVE'), trackingList);
  });
  router.get('/TrackingCategories/:id', (req, res) => {
    const category = scopeOf(res).book.trackingCategories.get(req.params.id.toLowerCase());
    if (!category) return sendNotFound(res);
    sendCollection(res, 'TrackingCategories', [serializeTrackingCategory(category)]);
  });

  return router;
}
