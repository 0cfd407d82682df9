// The shape every JSON view of one sale shares (the sale page's live scripts poll them): any role of the
// sale's organisation, never cached, and a sale that is malformed, missing or another organisation's is a
// plain JSON 404 (the script stops; no error page in a fetch).
import { Router, type RequestHandler } from 'express';
import type { Queryable } from '../db/knex';
import { requireRole } from '../auth/middleware';
import { NotFoundError } from '../errors';
import { getOrganisation, type Organisation } from '../domain/organisations';
import { getSale, type SaleView } from '../domain/saleView';

export function saleJsonRoute(db: Queryable, path: string, body: (org: Organisation, sale: SaleView) => Promise<unknown>): Router {
  const router = Router();
  const handler: RequestHandler = async (req, res, next) => {
    try {
      res.set('Cache-Control', 'no-store');
      const raw = String(req.params.id);
      if (!/^\d{1,15}$/.test(raw) || Number(raw) <= 0) throw new NotFoundError(`Sale ${raw}`);
      const org = await getOrganisation(db, req.principal!.orgId);
      res.json(await body(org, await getSale(db, org.id, Number(raw))));
    } catch (err) {
      if (err instanceof NotFoundError) {
        res.status(404).json({ error: { code: err.code, message: err.message } });
        return;
      }
      next(err);
    }
  };
  router.get(path, requireRole('admin', 'staff', 'accountant'), handler);
  return router;
}
