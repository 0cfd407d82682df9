// Overpayments: GET (where, order, paging, If-Modified-Since), GET by id, PUT and DELETE allocations.
// They are created through BankTransactions (Type RECEIVE-OVERPAYMENT), as in Xero.
import { Router } from 'express';
import { batchElements, sendBatch, sendCollection, sendNotFound, sendPostDataInvalid } from '../http';
import type { BankTransactionRecord } from '../model';
import { allocationView, createOverpaymentAllocation, deleteOverpaymentAllocation, isOverpayment, serializeOverpayment } from '../overpayments';
import { scopeOf, sendList } from './common';

export function overpaymentRoutes(): Router {
  const router = Router();
  const find = (res: Parameters<typeof scopeOf>[0], id: string): BankTransactionRecord | undefined => {
    const txn = scopeOf(res).book.bankTransactions.get(id.toLowerCase());
    return txn && isOverpayment(txn) ? txn : undefined;
  };

  router.get('/Overpayments', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.bankTransactions.values()].filter(isOverpayment), {
      key: 'Overpayments', typeName: 'Overpayment', view: (t: BankTransactionRecord, o) => serializeOverpayment(book, t, o),
      updatedAt: (t) => t.UpdatedDateUTC, pageable: true,
    });
  });
  router.get('/Overpayments/:id', (req, res) => {
    const { book, unitdp } = scopeOf(res);
    const txn = find(res, req.params.id);
    if (!txn) return sendNotFound(res);
    sendCollection(res, 'Overpayments', [serializeOverpayment(book, txn, { unitdp, includeLines: true })]);
  });
  router.put('/Overpayments/:id/Allocations', (req, res) => {
    const { book, now } = scopeOf(res);
    const txn = find(res, req.params.id);
    if (!txn) return sendNotFound(res);
    const elements = batchElements(req.body, 'Allocations');
    if (!elements) return sendPostDataInvalid(res, 'The request body must be a JSON object with an Allocations collection.');
    sendBatch(req, res, 'Allocations', elements.map((element) => createOverpaymentAllocation(txn, element, { book, now })), undefined);
  });
  router.delete('/Overpayments/:id/Allocations/:allocationId', (req, res) => {
    const { book, now } = scopeOf(res);
    const txn = find(res, req.params.id);
    const allocation = txn?.overpaymentAllocations?.find((a) => a.AllocationID === req.params.allocationId.toLowerCase() && !a.IsDeleted);
    if (!txn || !allocation) return sendNotFound(res);
    deleteOverpaymentAllocation(book, txn, allocation, now);
    // A bare Allocation, as for credit notes: the spec's answer type.
    res.status(200).json(allocationView(book, txn, allocation));
  });
  return router;
}
