// Our host's records as plugins read them (the contract's HostRecords): snapshots of sales, refunds and
// payments, and the few range queries the history import and payout reconciliation need. An embedding
// booking system implements the same interface from its own tables.
import type { Queryable } from '../db/knex';
import type { HostRecords, SaleActivityEntry } from '../plugins/contract';
import type { PaymentSnapshot, RefundSnapshot } from './events';
import { saleName } from './saleName';
import { creditUsesOf } from './customerCredit';
import { loadSaleSnapshot, loadSaleSnapshots, paymentSnapshot, type PaymentRow, type RefundLineRow, type RefundRow, type SaleRow } from './saleRecords';

/** SQLite binds at most 999 parameters a statement. */
const CHUNK = 500;

async function refundSnapshots(db: Queryable, rows: RefundRow[]): Promise<RefundSnapshot[]> {
  if (rows.length === 0) return [];
  const lines = (await db<RefundLineRow>('refund_lines').whereIn('refund_id', rows.map((r) => r.id)).orderBy('id')) as RefundLineRow[];
  return rows.map((row) => ({
    id: Number(row.id),
    orgId: Number(row.org_id),
    saleId: Number(row.sale_id),
    kind: row.kind,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    method: row.method,
    providerRef: row.provider_ref,
    reason: row.reason,
    createdAt: Number(row.created_at),
    lines: lines.filter((l) => Number(l.refund_id) === Number(row.id))
      .map((l) => ({ saleLineId: Number(l.sale_line_id), quantity: l.quantity, amountMinor: Number(l.amount_minor) })),
  }));
}

const numbered = (p: PaymentSnapshot): PaymentSnapshot => ({ ...p, id: Number(p.id), orgId: Number(p.orgId), saleId: Number(p.saleId) });

async function inChunks<T>(ids: readonly number[], read: (chunk: number[]) => Promise<T[]>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) out.push(...(await read(ids.slice(i, i + CHUNK))));
  return out;
}

export const hostRecords: HostRecords = {
  async sale(db, orgId, saleId) {
    const row = (await db<SaleRow>('sales').where({ id: saleId, org_id: orgId }).first()) as SaleRow | undefined;
    return row ? loadSaleSnapshot(db, row) : undefined;
  },

  sales: loadSaleSnapshots,

  async refund(db, orgId, refundId) {
    const row = (await db<RefundRow>('refunds').where({ id: refundId, org_id: orgId }).first()) as RefundRow | undefined;
    return row ? (await refundSnapshots(db, [row]))[0] : undefined;
  },

  async payment(db, orgId, paymentId) {
    const row = (await db<PaymentRow>('payments').where({ id: paymentId, org_id: orgId }).first()) as PaymentRow | undefined;
    return row ? numbered(paymentSnapshot(row, (await creditUsesOf(db, [Number(row.id)])).get(Number(row.id)))) : undefined;
  },

  async refundsOfSale(db, orgId, saleId) {
    return refundSnapshots(db, (await db<RefundRow>('refunds').where({ org_id: orgId, sale_id: saleId }).orderBy('id')) as RefundRow[]);
  },

  async paymentsOfSale(db, orgId, saleId) {
    const rows = (await db<PaymentRow>('payments').where({ org_id: orgId, sale_id: saleId }).orderBy('id')) as PaymentRow[];
    const uses = await creditUsesOf(db, rows.map((r) => Number(r.id)));
    return rows.map((r) => numbered(paymentSnapshot(r, uses.get(Number(r.id)))));
  },

  async salesBetween(db, range) {
    const rows = (await db('sales').where('org_id', range.orgId).where('occurred_at', '>=', range.from).where('occurred_at', '<=', range.until)
      .where('id', '>', range.afterId ?? 0).orderBy('id').limit(range.limit).select('id', 'occurred_at')) as { id: number; occurred_at: number }[];
    return rows.map((r) => ({ id: Number(r.id), occurredAt: Number(r.occurred_at) }));
  },

  async countSalesBetween(db, range) {
    const row = (await db('sales').where('org_id', range.orgId).where('occurred_at', '>=', range.from).where('occurred_at', '<=', range.until)
      .count({ n: '*' }).first()) as { n: number | string } | undefined;
    return Number(row?.n ?? 0);
  },

  async activityOfSales(db, orgId, saleIds) {
    const read = (table: 'refunds' | 'payments') => inChunks(saleIds, async (chunk) =>
      ((await db(table).where('org_id', orgId).whereIn('sale_id', chunk).select('id', 'sale_id', 'created_at')) as { id: number; sale_id: number; created_at: number }[])
        .map((r): SaleActivityEntry => ({ id: Number(r.id), saleId: Number(r.sale_id), at: Number(r.created_at) })));
    return { refunds: await read('refunds'), payments: await read('payments') };
  },

  async saleCategories(db, orgId, limit) {
    const rows = (await db('sale_lines').join('sales', 'sales.id', 'sale_lines.sale_id').where('sales.org_id', orgId)
      .whereNotNull('sale_lines.category').distinct('sale_lines.category as category').limit(limit)) as { category: string }[];
    return rows.map((r) => r.category);
  },

  async existingSaleIds(db, orgId, saleIds) {
    const found = await inChunks(saleIds, async (chunk) => (await db('sales').where({ org_id: orgId }).whereIn('id', chunk).pluck('id')) as number[]);
    return new Set(found.map(Number));
  },

  async saleNames(db, orgId, saleIds) {
    const rows = await inChunks([...new Set(saleIds)], async (chunk) =>
      (await db('sales').where({ org_id: orgId }).whereIn('id', chunk).select('id', 'reference')) as { id: number; reference: string | null }[]);
    return new Map(rows.map((r) => [Number(r.id), saleName({ id: Number(r.id), reference: r.reference })]));
  },
};
