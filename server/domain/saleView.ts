// The sale as the API shows it: amounts as decimal strings in the sale's currency, times as ISO 8601,
// with its lines, payments, refunds and where each stands downstream. Pages load in a fixed number of
// queries (one per table), never one per sale.
import type { Queryable } from '../db/knex';
import type { SyncEntityType, SyncStatus } from '../plugins/contract';
import { listSyncRecordsForEntities } from '../sync/store';
import { balanceDueMinor } from './balance';
import { creditBalances } from './customerCredit';
import type { SaleLineKind } from './events';
import { formatMinor } from './money';
import { dayIn, voucherView, vouchersOfSales, type VoucherView } from './vouchers';
import { encodeCursor, validateSaleListQuery, type SaleStatus } from './saleSchemas';
import { findSaleRow, type PaymentRow, type RefundLineRow, type RefundRow, type SaleLineRow, type SaleRow } from './saleRecords';

export interface SaleLineView {
  id: number;
  position: number;
  description: string;
  quantity: string;
  unitPrice: string;
  discountRate: string | null;
  category: string | null;
  taxCode: string | null;
  kind: SaleLineKind;
  lineTotal: string;
  refunded: string;
}

export interface PaymentView {
  id: number;
  method: PaymentRow['method'];
  amount: string;
  currency: string;
  providerRef: string | null;
  receivedAt: string;
  createdAt: string;
  /** Where the payment came from when it was not taken here ("Paid in Xero: bank transfer, 2 Dec"); null for our own. */
  source: string | null;
  /** The part of `amount` above what the sale owed, kept as the customer's credit; null when none. */
  toCredit: string | null;
  /** The gift voucher it was paid from (method gift_voucher); null otherwise. */
  voucherCode: string | null;
}

export interface RefundView {
  id: number;
  kind: RefundRow['kind'];
  amount: string;
  currency: string;
  method: string | null;
  providerRef: string | null;
  reason: string | null;
  createdAt: string;
  lines: { saleLineId: number; quantity: string | null; amount: string }[];
  /** How it stands downstream when someone changed it there ("Settled in Xero: 30.00 paid out"); null otherwise. */
  downstreamState: string | null;
}

export interface SyncRecordView {
  plugin: string;
  entityType: SyncEntityType;
  entityId: number;
  recordType: string;
  status: SyncStatus;
  externalId: string | null;
  externalRef: string | null;
  error: string | null;
  /** What a person must do for a failed record to go through (e.g. "Mapping to fix: …"). */
  note: string | null;
  updatedAt: string;
}

export interface SaleView {
  id: number;
  reference: string | null;
  occurredAt: string;
  /** The day the service is delivered (YYYY-MM-DD), when not the day of the sale; else null. */
  serviceDate: string | null;
  /** Cancelled with its deposit kept: when (ISO) and the money kept; else null. */
  cancellation: { at: string; kept: string } | null;
  currency: string;
  total: string;
  paid: string;
  refunded: string;
  /** What the customer still owes: total − refunded − paid, never below zero. */
  outstanding: string;
  status: SaleStatus;
  customer: { id: number; name: string; email: string | null };
  /** The customer's credit left (from overpayments, less what later payments spent), by currency; empty when none. */
  customerCredit: { currency: string; amount: string }[];
  lines: SaleLineView[];
  payments: PaymentView[];
  refunds: RefundView[];
  /** Gift vouchers this sale sold (its lines of kind voucher): code, balance, expiry. */
  vouchers: VoucherView[];
  sync: SyncRecordView[];
}

export interface SalePage {
  data: SaleView[];
  /** Pass as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}

type SaleWithCustomerRow = SaleRow & { customer_name: string; customer_email: string | null };

const iso = (ms: number | string): string => new Date(Number(ms)).toISOString();

function groupBy<T, K>(rows: T[], key: (row: T) => K): Map<K, T[]> {
  const groups = new Map<K, T[]>();
  for (const row of rows) {
    const list = groups.get(key(row)) ?? [];
    list.push(row);
    groups.set(key(row), list);
  }
  return groups;
}

function salesWithCustomers(db: Queryable, orgId: number) {
  return db<SaleWithCustomerRow>('sales')
    .join('customers', 'customers.id', 'sales.customer_id')
    .where('sales.org_id', orgId)
    .select('sales.*', 'customers.name as customer_name', 'customers.email as customer_email');
}

/** Build the views of the given sales (all of one organisation). */
export async function buildSaleViews(db: Queryable, orgId: number, sales: SaleWithCustomerRow[]): Promise<SaleView[]> {
  if (sales.length === 0) return [];
  const saleIds = sales.map((s) => s.id);
  const lines = (await db<SaleLineRow>('sale_lines').whereIn('sale_id', saleIds).orderBy(['sale_id', 'position'])) as SaleLineRow[];
  const payments = (await db<PaymentRow>('payments').where({ org_id: orgId }).whereIn('sale_id', saleIds).orderBy('id')) as PaymentRow[];
  const refunds = (await db<RefundRow>('refunds').where({ org_id: orgId }).whereIn('sale_id', saleIds).orderBy('id')) as RefundRow[];
  const refundLines = refunds.length
    ? ((await db<RefundLineRow>('refund_lines').whereIn('refund_id', refunds.map((r) => r.id)).orderBy('id')) as RefundLineRow[])
    : [];
  const credit = await creditBalances(db, orgId, sales.map((s) => s.customer_id));
  const sync = await listSyncRecordsForEntities(db, orgId, {
    sale: saleIds,
    refund: refunds.map((r) => r.id),
    payment: payments.map((p) => p.id),
  });

  const vouchers = lines.some((l) => l.kind === 'voucher') ? await vouchersOfSales(db, orgId, saleIds) : [];
  const vouchersBySale = groupBy(vouchers, (v) => v.sale_id);
  const today = vouchers.length
    ? dayIn(Date.now(), ((await db('organisations').where({ id: orgId }).first('timezone')) as { timezone: string } | undefined)?.timezone ?? 'UTC')
    : '';
  const linesBySale = groupBy(lines, (l) => l.sale_id);
  const paymentsBySale = groupBy(payments, (p) => p.sale_id);
  const refundsBySale = groupBy(refunds, (r) => r.sale_id);
  const refundLinesByRefund = groupBy(refundLines, (l) => l.refund_id);
  const refundSale = new Map(refunds.map((r) => [r.id, r.sale_id]));
  const paymentSale = new Map(payments.map((p) => [p.id, p.sale_id]));
  const syncBySale = groupBy(sync, (s) =>
    s.entityType === 'sale' ? s.entityId : s.entityType === 'refund' ? refundSale.get(s.entityId) : paymentSale.get(s.entityId),
  );

  return sales.map((sale): SaleView => {
    const money = (minor: number) => formatMinor(Number(minor), sale.currency);
    const total = Number(sale.total_minor);
    const paid = Number(sale.paid_minor);
    const refunded = Number(sale.refunded_minor);
    return {
      id: sale.id,
      reference: sale.reference,
      occurredAt: iso(sale.occurred_at),
      serviceDate: sale.service_date ?? null,
      cancellation: sale.cancelled_at === null || sale.cancelled_at === undefined ? null : { at: iso(sale.cancelled_at), kept: money(Number(sale.kept_minor ?? 0)) },
      currency: sale.currency,
      total: money(total),
      paid: money(paid),
      refunded: money(refunded),
      outstanding: money(Math.max(0, balanceDueMinor({
        totalMinor: total,
        paidMinor: paid,
        refunds: (refundsBySale.get(sale.id) ?? []).map((r) => ({ amountMinor: Number(r.amount_minor), method: r.method })),
        cancelled: sale.cancelled_at !== null && sale.cancelled_at !== undefined,
      }))),
      status: sale.status,
      customer: { id: sale.customer_id, name: sale.customer_name, email: sale.customer_email },
      customerCredit: [...(credit.get(Number(sale.customer_id)) ?? new Map<string, number>())]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([code, minor]) => ({ currency: code, amount: formatMinor(minor, code) })),
      lines: (linesBySale.get(sale.id) ?? []).map((l) => ({
        id: l.id,
        position: l.position,
        description: l.description,
        quantity: l.quantity,
        unitPrice: money(l.unit_price_minor),
        discountRate: l.discount_rate,
        category: l.category,
        taxCode: l.tax_code,
        kind: l.kind ?? 'item',
        lineTotal: money(l.line_total_minor),
        refunded: money(l.refunded_minor),
      })),
      payments: (paymentsBySale.get(sale.id) ?? []).map(paymentView),
      refunds: (refundsBySale.get(sale.id) ?? []).map((r) => refundView(r, refundLinesByRefund.get(r.id) ?? [])),
      vouchers: (vouchersBySale.get(sale.id) ?? []).map((v) => voucherView(v, today)),
      sync: (syncBySale.get(sale.id) ?? []).map((s) => ({
        plugin: s.pluginId,
        entityType: s.entityType,
        entityId: s.entityId,
        recordType: s.recordType,
        status: s.status,
        externalId: s.externalId,
        externalRef: s.externalRef,
        error: s.error,
        note: s.note,
        updatedAt: iso(s.updatedAt),
      })),
    };
  });
}

export function paymentView(p: PaymentRow): PaymentView {
  return {
    id: p.id,
    method: p.method,
    amount: formatMinor(Number(p.amount_minor), p.currency),
    currency: p.currency,
    providerRef: p.provider_ref,
    receivedAt: iso(p.received_at),
    createdAt: iso(p.created_at),
    source: p.source_note ?? null,
    toCredit: Number(p.credit_minor ?? 0) > 0 ? formatMinor(Number(p.credit_minor), p.currency) : null,
    voucherCode: p.voucher_code ?? null,
  };
}

export function refundView(r: RefundRow, lines: RefundLineRow[]): RefundView {
  return {
    id: r.id,
    kind: r.kind,
    amount: formatMinor(Number(r.amount_minor), r.currency),
    currency: r.currency,
    method: r.method,
    providerRef: r.provider_ref,
    reason: r.reason,
    createdAt: iso(r.created_at),
    lines: lines.map((l) => ({ saleLineId: l.sale_line_id, quantity: l.quantity, amount: formatMinor(Number(l.amount_minor), r.currency) })),
    downstreamState: r.downstream_state ?? null,
  };
}

/** One sale of the organisation (404 for a sale of another organisation). */
export async function getSale(db: Queryable, orgId: number, saleId: number): Promise<SaleView> {
  await findSaleRow(db, orgId, saleId); // the uniform "not found"
  const rows = (await salesWithCustomers(db, orgId).where('sales.id', saleId)) as SaleWithCustomerRow[];
  const [view] = await buildSaleViews(db, orgId, rows);
  return view!;
}

// LIKE's wildcards in user text are literal characters.
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** A page of the organisation's sales, newest first (by id), filtered. `query` is the raw query string. */
export async function listSales(db: Queryable, orgId: number, query: unknown): Promise<SalePage> {
  const filter = validateSaleListQuery(query);
  const rows = salesWithCustomers(db, orgId);
  if (filter.beforeId !== null) rows.where('sales.id', '<', filter.beforeId);
  if (filter.status !== null) rows.where('sales.status', filter.status);
  if (filter.from !== null) rows.where('sales.occurred_at', '>=', filter.from);
  if (filter.to !== null) rows.where('sales.occurred_at', '<', filter.to);
  if (filter.reference !== null) rows.where('sales.reference', filter.reference);
  // Outstanding as balanceDueMinor counts it: total − paid − refunds given as credit (no method, not paid back).
  if (filter.unpaid) {
    rows.whereRaw(
      'sales.total_minor - sales.paid_minor - coalesce((select sum(r.amount_minor) from refunds r where r.sale_id = sales.id and r.method is null), 0) > 0',
    );
  }
  if (filter.q !== null) {
    const pattern = likePattern(filter.q);
    rows.where((w) =>
      w
        .whereRaw("lower(customers.name) like ? escape '\\'", [pattern])
        .orWhereRaw("lower(coalesce(customers.email, '')) like ? escape '\\'", [pattern])
        .orWhereRaw("lower(coalesce(sales.reference, '')) like ? escape '\\'", [pattern]),
    );
  }
  // One extra row says whether another page exists.
  const found = (await rows.orderBy('sales.id', 'desc').limit(filter.limit + 1)) as SaleWithCustomerRow[];
  const page = found.slice(0, filter.limit);
  const last = page[page.length - 1];
  return {
    data: await buildSaleViews(db, orgId, page),
    nextCursor: found.length > filter.limit && last ? encodeCursor(last.id) : null,
  };
}
