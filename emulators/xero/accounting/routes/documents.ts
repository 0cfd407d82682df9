// Invoices and CreditNotes (same shapes and rules), plus credit-note Allocations.
import { Router } from 'express';
import { findDocument, KINDS, serializeDocument, writeDocument, type DocumentKind } from '../documents';
import { batchElements, queryParam, sendBatch, sendCollection, sendNotFound, sendPostDataInvalid } from '../http';
import type { DocumentRecord } from '../model';
import { createAllocation, deleteAllocation } from '../payments';
import { serializeAllocation } from '../serialize';
import { filterByList, handleBatch, scopeOf, sendList } from './common';

function documentRoutes(router: Router, kind: DocumentKind): void {
  const info = KINDS[kind];
  const base = `/${info.endpoint}`;

  router.get(base, (req, res) => {
    const { book, auth } = scopeOf(res);
    let docs = [...(kind === 'invoice' ? book.invoices : book.creditNotes).values()];
    docs = filterByList(req, docs, 'IDs', (d) => d.id);
    docs = filterByList(req, docs, kind === 'invoice' ? 'InvoiceNumbers' : 'CreditNoteNumbers', (d) => d.Number);
    docs = filterByList(req, docs, 'ContactIDs', (d) => d.ContactID);
    docs = filterByList(req, docs, 'Statuses', (d) => d.Status);
    if (queryParam(req, 'createdByMyApp') === 'true') docs = docs.filter((d) => d.createdByAppId === auth.appId);
    const term = queryParam(req, 'searchTerm')?.toLowerCase();
    if (term) docs = docs.filter((d) => (d.Number ?? '').toLowerCase().includes(term) || (d.Reference ?? '').toLowerCase().includes(term));
    sendList(req, res, docs, {
      key: info.endpoint,
      typeName: kind === 'invoice' ? 'Invoice' : 'CreditNote',
      view: (d: DocumentRecord, options) => serializeDocument(book, d, options),
      updatedAt: (d) => d.UpdatedDateUTC,
      pageable: true,
      linesOnlyWhenPaged: true,
    });
  });

  router.get(`${base}/:id`, (req, res) => {
    const { book, unitdp } = scopeOf(res);
    const doc = findDocument(book, kind, req.params.id);
    if (!doc) return sendNotFound(res);
    sendCollection(res, info.endpoint, [serializeDocument(book, doc, { unitdp, includeLines: true })]);
  });

  for (const method of ['put', 'post'] as const) {
    router[method](base, (req, res) => {
      const { book, now, auth, unitdp } = scopeOf(res);
      handleBatch(req, res, info.endpoint, 'HasErrors', (element) =>
        writeDocument(kind, element, { book, now, appId: auth.appId, unitdp, method: method === 'put' ? 'PUT' : 'POST' }));
    });
  }

  router.post(`${base}/:id`, (req, res) => {
    const { book, now, auth, unitdp } = scopeOf(res);
    const doc = findDocument(book, kind, req.params.id);
    if (!doc) return sendNotFound(res);
    handleBatch(req, res, info.endpoint, 'HasErrors', (element) =>
      writeDocument(kind, element, { book, now, appId: auth.appId, unitdp, method: 'POST', pathId: doc.id }));
  });
}

export function invoiceAndCreditNoteRoutes(): Router {
  const router = Router();
  documentRoutes(router, 'invoice');
  documentRoutes(router, 'creditnote');

  router.put('/CreditNotes/:id/Allocations', (req, res) => {
    const { book, now } = scopeOf(res);
    const note = findDocument(book, 'creditnote', req.params.id);
    if (!note) return sendNotFound(res);
    const elements = batchElements(req.body, 'Allocations');
    if (!elements) return sendPostDataInvalid(res, 'The request body must be a JSON object with an Allocations collection.');
    sendBatch(req, res, 'Allocations', elements.map((element) => createAllocation(note, element, { book, now })), undefined);
  });

  router.delete('/CreditNotes/:id/Allocations/:allocationId', (req, res) => {
    const { book, now } = scopeOf(res);
    const allocation = book.allocations.get(req.params.allocationId.toLowerCase());
    if (!allocation || allocation.IsDeleted || allocation.creditNoteId !== req.params.id.toLowerCase()) return sendNotFound(res);
    deleteAllocation(book, allocation, now);
    // A bare Allocation, not an {Allocations:[…]} collection: the spec's (and xero-node's) answer type.
    res.status(200).json(serializeAllocation(book, allocation));
  });

  return router;
}
