// The host's sales of a batch, read at once: HostRecords.sales when the host offers it (three statements for
// 50 sales in ours), else HostRecords.sale for each (a host that implements only the one-at-a-time read).
import type { HostRecords, Queryable, SaleSnapshot } from '../../../server/plugins/contract';

export async function salesById(records: Pick<HostRecords, 'sale' | 'sales'>, db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Map<number, SaleSnapshot>> {
  const ids = [...new Set(saleIds)];
  if (records.sales) return records.sales(db, orgId, ids);
  const found = new Map<number, SaleSnapshot>();
  for (const id of ids) {
    const sale = await records.sale(db, orgId, id);
    if (sale) found.set(id, sale);
  }
  return found;
}
