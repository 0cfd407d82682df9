// GET /sales/:id/sync.json: where a sale's records stand downstream, for the sale page's live script
// (public/sale-live.js) to poll while something is still on its way. Any role of the sale's organisation;
// another organisation's sale is a plain 404.
import { Router } from 'express';
import type { HostDeps } from '../hostDeps';
import { requireRole } from '../auth/middleware';
import { NotFoundError } from '../errors';
import { getOrganisation } from '../domain/organisations';
import { getSale } from '../domain/saleView';
import { saleName } from '../domain/saleName';
import { formatLocal } from './time';
import { isSettled, syncLabel } from './syncLabel';
import { externalLinkOf } from './externalLinks';

export function createSaleSyncJson(deps: Pick<HostDeps, 'db' | 'plugins'>): Router {
  const router = Router();
  router.get('/sales/:id/sync.json', requireRole('admin', 'staff', 'accountant'), async (req, res, next) => {
    try {
      res.set('Cache-Control', 'no-store');
      const raw = String(req.params.id);
      if (!/^\d{1,15}$/.test(raw) || Number(raw) <= 0) throw new NotFoundError(`Sale ${raw}`);
      const org = await getOrganisation(deps.db, req.principal!.orgId);
      const sale = await getSale(deps.db, org.id, Number(raw));
      const linkOf = await externalLinkOf(deps.plugins, org.id);
      const records = sale.sync.map((r) => ({
        ...((link) => (link ? { externalUrl: link.href, externalLabel: link.label } : {}))(linkOf(r)),
        plugin: r.plugin,
        recordType: r.recordType,
        entityType: r.entityType,
        entityId: r.entityId,
        // What the record is for, as the page says it: the sale by its one name ("Sale TILL-016").
        entityName: r.entityType === 'sale' ? saleName(sale) : `${r.entityType} ${r.entityId}`,
        status: r.status,
        externalRef: r.externalRef ?? r.externalId,
        error: r.error,
        note: r.note,
        updated: formatLocal(Date.parse(r.updatedAt), org.timezone),
        label: syncLabel(r),
      }));
      res.json({ saleId: sale.id, settled: records.every((r) => isSettled(r.status)), records });
    } catch (err) {
      if (err instanceof NotFoundError) {
        res.status(404).json({ error: { code: err.code, message: err.message } });
        return;
      }
      next(err);
    }
  });
  return router;
}
