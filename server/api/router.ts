// The host's JSON API for sales, mounted at /api/v1 behind bearer authentication (req.principal is set).
// Every id in a path is looked up within the caller's organisation; writes need admin or staff.
//
//   POST /sales                   201 SaleView
//   GET  /sales                   200 { data: SaleView[], nextCursor }
//   GET  /sales/:id               200 SaleView
//   POST /sales/:id/refunds       201 { refund, sale }
//   POST /sales/:id/payments      201 { payment, sale } (200 when the provider reference was already recorded)
//
// POSTs honour an Idempotency-Key header (see idempotency.ts). Errors are JSON (see errors.ts).
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AppError, NotFoundError } from '../errors';
import type { HostDeps } from '../hostDeps';
import { createSale } from '../domain/sales';
import { issueRefund } from '../domain/refunds';
import { recordPayment } from '../domain/payments';
import { getSale, listSales } from '../domain/saleView';
import { respondIdempotently } from './idempotency';
import { READ_ROLES, WRITE_ROLES, principalOf, requireApiRole } from './roles';

export const API_BODY_LIMIT = '1mb';

type ApiDeps = Pick<HostDeps, 'db' | 'events' | 'paymentMethods'>;

/** Path ids are positive integers; anything else names no sale, so it is a 404 like any unknown id. */
function saleIdParam(req: Request): number {
  const raw = req.params.id;
  if (typeof raw !== 'string' || !/^[1-9]\d{0,14}$/.test(raw)) throw new NotFoundError(`Sale ${String(raw)}`);
  return Number(raw);
}

/** A POST must carry JSON: a form or a missing Content-Type is a clear 415, not a confusing 422. */
function requireJsonBody(req: Request, _res: Response, next: NextFunction): void {
  if (!req.is('application/json')) {
    return next(new AppError({
      statusCode: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
      message: 'The request body must be JSON',
      help: 'Send Content-Type: application/json with a JSON object body.',
    }));
  }
  next();
}

export function createApiRouter(deps: ApiDeps): Router {
  const router = express.Router();
  // The app may already have parsed the body; body-parser then skips, so this only guards standalone use.
  router.use(express.json({ limit: API_BODY_LIMIT }));

  const write = [requireApiRole(...WRITE_ROLES), requireJsonBody];
  const read = requireApiRole(...READ_ROLES);

  router.post('/sales', ...write, async (req, res) => {
    const principal = principalOf(req);
    await respondIdempotently(deps.db, principal.orgId, req, res, async (trx) => ({
      status: 201,
      body: await createSale(deps, principal, req.body, { trx }),
    }));
  });

  router.get('/sales', read, async (req, res) => {
    res.json(await listSales(deps.db, principalOf(req).orgId, req.query));
  });

  router.get('/sales/:id', read, async (req, res) => {
    res.json(await getSale(deps.db, principalOf(req).orgId, saleIdParam(req)));
  });

  router.post('/sales/:id/refunds', ...write, async (req, res) => {
    const principal = principalOf(req);
    const saleId = saleIdParam(req);
    await respondIdempotently(deps.db, principal.orgId, req, res, async (trx) => ({
      status: 201,
      body: await issueRefund(deps, principal, saleId, req.body, { trx }),
    }));
  });

  router.post('/sales/:id/payments', ...write, async (req, res) => {
    const principal = principalOf(req);
    const saleId = saleIdParam(req);
    await respondIdempotently(deps.db, principal.orgId, req, res, async (trx) => {
      const { created, payment, sale } = await recordPayment(deps, principal, saleId, req.body, { trx });
      return { status: created ? 201 : 200, body: { payment, sale } };
    });
  });

  return router;
}
