// Contacts: GET (where, searchTerm, IDs, paging, includeArchived, If-Modified-Since), PUT/POST batches.
import { Router } from 'express';
import { findContact, writeContact } from '../contacts';
import { queryParam, sendCollection, sendNotFound } from '../http';
import type { ContactRecord } from '../model';
import { serializeContact } from '../serialize';
import { filterByList, handleBatch, scopeOf, sendList } from './common';

const SEARCHABLE = ['FirstName', 'LastName', 'ContactNumber', 'CompanyNumber', 'EmailAddress'];

function matchesSearch(contact: ContactRecord, term: string): boolean {
  const needle = term.toLowerCase();
  if (contact.Name.toLowerCase().includes(needle)) return true;
  return SEARCHABLE.some((field) => typeof contact.fields[field] === 'string' && (contact.fields[field] as string).toLowerCase().includes(needle));
}

export function contactRoutes(): Router {
  const router = Router();

  router.get('/Contacts', (req, res) => {
    const { book } = scopeOf(res);
    const includeArchived = String(queryParam(req, 'includeArchived') ?? '').toLowerCase() === 'true';
    let contacts = [...book.contacts.values()];
    const ids = filterByList(req, contacts, 'IDs', (c) => c.ContactID);
    // Asking for contacts by id returns them whatever their status.
    contacts = ids !== contacts ? ids : contacts.filter((c) => includeArchived || c.ContactStatus !== 'ARCHIVED');
    const term = queryParam(req, 'searchTerm');
    if (term) contacts = contacts.filter((c) => matchesSearch(c, term));
    sendList(req, res, contacts, { key: 'Contacts', typeName: 'Contact', view: (c) => serializeContact(c), updatedAt: (c) => c.UpdatedDateUTC, pageable: true });
  });

  router.get('/Contacts/:id', (req, res) => {
    const contact = findContact(scopeOf(res).book, req.params.id);
    if (!contact) return sendNotFound(res);
    sendCollection(res, 'Contacts', [serializeContact(contact)]);
  });

  router.put('/Contacts', (req, res) => {
    const { book, now } = scopeOf(res);
    handleBatch(req, res, 'Contacts', 'HasValidationErrors', (element) => writeContact(element, { book, now, method: 'PUT' }));
  });
  router.post('/Contacts', (req, res) => {
    const { book, now } = scopeOf(res);
    handleBatch(req, res, 'Contacts', 'HasValidationErrors', (element) => writeContact(element, { book, now, method: 'POST' }));
  });
  router.post('/Contacts/:id', (req, res) => {
    const { book, now } = scopeOf(res);
    const contact = book.contacts.get(req.params.id.toLowerCase());
    if (!contact) return sendNotFound(res);
    handleBatch(req, res, 'Contacts', 'HasValidationErrors', (element) => writeContact(element, { book, now, method: 'POST', pathId: contact.ContactID }));
  });
  return router;
}
