// Payments: GET (where, paging, If-Modified-Since), PUT batches, POST /Payments/{id} {Status:"DELETED"}.
import { Router } from 'express';
import { sendCollection, sendNotFound, sendValidationError } from '../http';
import type { PaymentRecord } from '../model';
import { createPayment, deletePayment } from '../payments';
import { serializePayment } from '../serialize';
import { handleBatch, scopeOf, sendList } from './common';

export function paymentRoutes(): Router {
  const router = Router();

  router.get('/Payments', (req, res) => {
    const { book } = scopeOf(res);
    sendList(req, res, [...book.payments.values()], {
      key: 'Payments', typeName: 'Payment', view: (p: PaymentRecord) => serializePayment(book, p), updatedAt: (p) => p.UpdatedDateUTC, pageable: true,
    });
  });

  router.get('/Payments/:id', (req, res) => {
    const { book } = scopeOf(res);
    const payment = book.payments.get(req.params.id.toLowerCase());
    if (!payment) return sendNotFound(res);
    sendCollection(res, 'Payments', [serializePayment(book, payment)]);
  });

  for (const method of ['put', 'post'] as const) {
    router[method]('/Payments', (req, res) => {
      const { book, now } = scopeOf(res);
      handleBatch(req, res, 'Payments', 'HasValidationErrors', (element) => createPayment(element, { book, now }));
    });
  }

  router.post('/Payments/:id', (req, res) => {
    const { book, now } = scopeOf(res);
    const payment = book.payments.get(req.params.id.toLowerCase());
    if (!payment) return sendNotFound(res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const element = (Array.isArray(body.Payments) ? body.Payments[0] : body) as Record<string, unknown> | undefined;
    if (String(element?.Status ?? '').toUpperCase() !== 'DELETED') {
      return sendValidationError(res, serializePayment(book, payment), ['A payment can only be deleted (Status DELETED); it cannot be edited.']);
    }
    const problem = deletePayment(book, payment, now);
    if (problem) return sendValidationError(res, serializePayment(book, payment), [problem]);
    sendCollection(res, 'Payments', [serializePayment(book, payment)]);
  });
  return router;
}
