// GET /sales/:id/sync.json: where a sale's records stand downstream, for the sale page's live script
// (public/sale-live.js) to poll while something is still on its way. Any role of the sale's organisation;
// another organisation's sale is a plain 404.
import type { Router } from 'express';
import type { HostDeps } from '../hostDeps';
import { saleName } from '../domain/saleName';
import { formatLocal } from './time';
import { isSettled, syncLabel } from './syncLabel';
import { externalLinkOf } from './externalLinks';
import { saleJsonRoute } from './saleJsonRoute';

export function createSaleSyncJson(deps: Pick<HostDeps, 'db' | 'plugins'>): Router {
  return saleJsonRoute(deps.db, '/sales/:id/sync.json', async (org, sale) => {
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
    return { saleId: sale.id, settled: records.every((r) => isSettled(r.status)), records };
  });
}
