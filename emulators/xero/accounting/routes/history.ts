// GET/PUT /{Endpoint}/{id}/History: the audit trail, and notes added by apps.
import { Router, type Request, type Response } from 'express';
import { findContact } from '../contacts';
import { findDocument } from '../documents';
import { recordHistory, historyOf } from '../history';
import { batchElements, sendCollection, sendNotFound, sendPostDataInvalid, validationException } from '../http';
import type { Book, HistoryEndpoint } from '../model';
import { serializeHistory } from '../serialize';
import { scopeOf } from './common';

const RESOLVERS: Record<HistoryEndpoint, (book: Book, id: string) => string | undefined> = {
  Invoices: (book, id) => findDocument(book, 'invoice', id)?.id,
  CreditNotes: (book, id) => findDocument(book, 'creditnote', id)?.id,
  Payments: (book, id) => book.payments.get(id.toLowerCase())?.PaymentID,
  BankTransactions: (book, id) => book.bankTransactions.get(id.toLowerCase())?.BankTransactionID,
  BankTransfers: (book, id) => book.bankTransfers.get(id.toLowerCase())?.BankTransferID,
  Contacts: (book, id) => findContact(book, id)?.ContactID,
};

/** Xero caps a history note's Details at 2,500 characters. */
const MAX_NOTE_LENGTH = 2500;

export function historyRoutes(): Router {
  const router = Router();
  for (const endpoint of Object.keys(RESOLVERS) as HistoryEndpoint[]) {
    const resolve = (req: Request, res: Response): string | undefined => RESOLVERS[endpoint](scopeOf(res).book, String(req.params.id));

    router.get(`/${endpoint}/:id/History`, (req, res) => {
      const id = resolve(req, res);
      if (!id) return sendNotFound(res);
      sendCollection(res, 'HistoryRecords', historyOf(scopeOf(res).book, endpoint, id).map(serializeHistory));
    });

    router.put(`/${endpoint}/:id/History`, (req, res) => {
      const { book, now, auth } = scopeOf(res);
      const id = resolve(req, res);
      if (!id) return sendNotFound(res);
      const elements = batchElements(req.body, 'HistoryRecords');
      if (!elements) return sendPostDataInvalid(res, 'The request body must be a JSON object with a HistoryRecords collection.');
      const problems = elements.map((element) => {
        const details = (element as { Details?: unknown } | null)?.Details;
        if (typeof details !== 'string' || details.trim() === '') return 'Details must be specified for a history note.';
        if (details.length > MAX_NOTE_LENGTH) return `Details must be ${MAX_NOTE_LENGTH} characters or fewer.`;
        return undefined;
      });
      if (problems.some(Boolean)) {
        res.status(400).json(validationException(elements.map((element, i) => ({
          ...(element as object), ValidationErrors: problems[i] ? [{ Message: problems[i] }] : [],
        }))));
        return;
      }
      const created = elements.map((element) => recordHistory(book, endpoint, id, 'Note', String((element as { Details: string }).Details), now, auth.appId));
      sendCollection(res, 'HistoryRecords', created.map(serializeHistory));
    });
  }
  return router;
}
