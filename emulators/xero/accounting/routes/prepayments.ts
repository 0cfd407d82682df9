// Prepayments: GET (where, order, paging, If-Modified-Since), GET by id, PUT/DELETE allocations. They are
// created by RECEIVE-PREPAYMENT bank transactions (../bank.ts) and refunded through PUT /Payments.
import { Router } from 'express';
import { batchElements, sendBatch, sendCollection, sendNotFound, sendPostDataInvalid } from '../http';
import type { PrepaymentRecord } from '../model';
import { allocatePrepayment, deletePrepaymentAllocation, serializePrepayment, serializePrepaymentAllocation } from '../prepayments';
import { scopeOf, sendList } from './common';

export function prepaymentRoutes(): Router {
  const router = Router();

  router.get('/Prepayments', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.prepayments.values()], {
      key: 'Prepayments', typeName: 'Prepayment', view: (p: PrepaymentRecord, o) => serializePrepayment(book, p, o), updatedAt: (p) => p.UpdatedDateUTC, pageable: true,
    });
  });

  router.get('/Prepayments/:id', (req, res) => {
    const { book, unitdp } = scopeOf(res);
    const prepayment = book.prepayments.get(req.params.id.toLowerCase());
    if (!prepayment) return sendNotFound(res);
    sendCollection(res, 'Prepayments', [serializePrepayment(book, prepayment, { unitdp, includeLines: true })]);
  });

  router.put('/Prepayments/:id/Allocations', (req, res) => {
    const { book, now } = scopeOf(res);
    const prepayment = book.prepayments.get(req.params.id.toLowerCase());
    if (!prepayment) return sendNotFound(res);
    const elements = batchElements(req.body, 'Allocations');
    if (!elements) return sendPostDataInvalid(res, 'The request body must be a JSON object with an Allocations collection.');
    sendBatch(req, res, 'Allocations', elements.map((element) => allocatePrepayment(prepayment, element, { book, now })), undefined);
  });

  router.delete('/Prepayments/:id/Allocations/:allocationId', (req, res) => {
    const { book, now } = scopeOf(res);
    const allocation = book.prepaymentAllocations.get(req.params.allocationId.toLowerCase());
    if (!allocation || allocation.IsDeleted || allocation.prepaymentId !== req.params.id.toLowerCase()) return sendNotFound(res);
    deletePrepaymentAllocation(book, allocation, now);
    res.status(200).json(serializePrepaymentAllocation(book, allocation));
  });
  return router;
}
