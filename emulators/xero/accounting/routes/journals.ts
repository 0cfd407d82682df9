// ManualJournals: list, read one, create (PUT or POST).
import { Router } from 'express';
import { writeManualJournal } from '../journals';
import { sendCollection, sendNotFound } from '../http';
import type { ManualJournalRecord } from '../model';
import { serializeManualJournal } from '../serialize';
import { handleBatch, scopeOf, sendList } from './common';

export function journalRoutes(): Router {
  const router = Router();
  router.get('/ManualJournals', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.manualJournals.values()], {
      key: 'ManualJournals', typeName: 'ManualJournal', view: (j: ManualJournalRecord) => serializeManualJournal(book, j), updatedAt: (j) => j.UpdatedDateUTC, pageable: true,
    });
  });
  router.get('/ManualJournals/:id', (req, res) => {
    const { book } = scopeOf(res);
    const journal = book.manualJournals.get(req.params.id.toLowerCase());
    if (!journal) return sendNotFound(res);
    sendCollection(res, 'ManualJournals', [serializeManualJournal(book, journal)]);
  });
  for (const method of ['put', 'post'] as const) {
    router[method]('/ManualJournals', (req, res) => {
      const { book, now } = scopeOf(res);
      handleBatch(req, res, 'ManualJournals', undefined, (element) => writeManualJournal(element, { book, now }));
    });
  }
  return router;
}
