// BankTransactions (SPEND/RECEIVE) and BankTransfers.
import { Router } from 'express';
import { createBankTransfer, writeBankTransaction } from '../bank';
import { sendCollection, sendNotFound } from '../http';
import type { BankTransactionRecord, BankTransferRecord } from '../model';
import { serializeBankTransaction, serializeBankTransfer } from '../serialize';
import { filterByList, handleBatch, scopeOf, sendList } from './common';

export function bankRoutes(): Router {
  const router = Router();

  router.get('/BankTransactions', (req, res) => {
    const { book } = scopeOf(res);
    const txns = filterByList(req, [...book.bankTransactions.values()], 'IDs', (t) => t.BankTransactionID);
    sendList(req, res, txns, {
      key: 'BankTransactions', typeName: 'BankTransaction', view: (t: BankTransactionRecord, o) => serializeBankTransaction(book, t, o),
      updatedAt: (t) => t.UpdatedDateUTC, pageable: true,
    });
  });
  router.get('/BankTransactions/:id', (req, res) => {
    const { book, unitdp } = scopeOf(res);
    const txn = book.bankTransactions.get(req.params.id.toLowerCase());
    if (!txn) return sendNotFound(res);
    sendCollection(res, 'BankTransactions', [serializeBankTransaction(book, txn, { unitdp, includeLines: true })]);
  });
  for (const method of ['put', 'post'] as const) {
    router[method]('/BankTransactions', (req, res) => {
      const { book, now, unitdp } = scopeOf(res);
      handleBatch(req, res, 'BankTransactions', undefined, (element) => writeBankTransaction(element, { book, now, unitdp }));
    });
  }
  router.post('/BankTransactions/:id', (req, res) => {
    const { book, now, unitdp } = scopeOf(res);
    const txn = book.bankTransactions.get(req.params.id.toLowerCase());
    if (!txn) return sendNotFound(res);
    handleBatch(req, res, 'BankTransactions', undefined, (element) => writeBankTransaction(element, { book, now, unitdp, pathId: txn.BankTransactionID }));
  });

  router.get('/BankTransfers', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.bankTransfers.values()].filter((t) => t.Status !== 'DELETED' || req.query.includeDeleted === 'true'), {
      key: 'BankTransfers', typeName: 'BankTransfer', view: (t: BankTransferRecord) => serializeBankTransfer(book, t), updatedAt: (t) => t.CreatedDateUTC,
    });
  });
  router.get('/BankTransfers/:id', (req, res) => {
    const { book } = scopeOf(res);
    const transfer = book.bankTransfers.get(req.params.id.toLowerCase());
    if (!transfer) return sendNotFound(res);
    sendCollection(res, 'BankTransfers', [serializeBankTransfer(book, transfer)]);
  });
  router.put('/BankTransfers', (req, res) => {
    const { book, now } = scopeOf(res);
    handleBatch(req, res, 'BankTransfers', undefined, (element) => createBankTransfer(element, { book, now }));
  });
  return router;
}
