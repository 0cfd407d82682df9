// The Accounting API router (/api.xro/2.0): fixed middleware order — clock & tenant scope, JSON body,
// resource routes, then one error handler that answers in Xero's shapes.
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { sendNotFound, sendPostDataInvalid } from './http';
import { documentAttachmentRoutes } from './routes/attachments';
import { bankRoutes } from './routes/bank';
import { scopeMiddleware, type RouteDeps } from './routes/common';
import { contactRoutes } from './routes/contacts';
import { invoiceAndCreditNoteRoutes } from './routes/documents';
import { historyRoutes } from './routes/history';
import { overpaymentRoutes } from './routes/overpayments';
import { journalRoutes } from './routes/journals';
import { paymentRoutes } from './routes/payments';
import { prepaymentRoutes } from './routes/prepayments';
import { settingsRoutes } from './routes/settings';

/** Xero refuses writes over 3.5 MB. */
const MAX_BODY = '3.5mb';

export function createApiRouter(deps: RouteDeps): Router {
  const router = Router();
  router.use(scopeMiddleware(deps));
  // The infrastructure normally reads and parses the body before this router (its size limit and
  // idempotency need the raw bytes); only parse here when the stream is still unread.
  const parseJson = express.json({ limit: MAX_BODY });
  router.use((req, res, next) => (req.readableEnded || req.body !== undefined ? next() : parseJson(req, res, next)));
  router.use(settingsRoutes());
  router.use(contactRoutes());
  router.use(documentAttachmentRoutes());
  router.use(invoiceAndCreditNoteRoutes());
  router.use(paymentRoutes());
  router.use(bankRoutes());
  router.use(prepaymentRoutes());
  router.use(overpaymentRoutes());
  router.use(journalRoutes());
  router.use(historyRoutes());
  router.use((_req, res) => sendNotFound(res));
  router.use((error: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (error as { type?: string } | null)?.type;
    if (type === 'entity.parse.failed') return sendPostDataInvalid(res, 'Invalid Json data');
    if (type === 'entity.too.large') {
      res.status(413).json({ ErrorNumber: 413, Type: 'RequestEntityTooLarge', Message: 'The request body exceeds the 3.5 MB limit' });
      return;
    }
    next(error);
  });
  return router;
}
