// The database side of sales shared by the sale, refund and payment services: row shapes, loading
// (and locking) a sale within its organisation, and the snapshots domain events carry.
import { NotFoundError } from '../errors';
import { isPostgres, type Db, type Queryable, type Trx } from '../db/knex';
import type { Principal } from '../auth/principal';
import type { PaymentSnapshot, SaleLineKind, SaleLineSnapshot, SaleSnapshot } from './events';
import type { SaleStatus } from './saleSchemas';

export interface SaleRow {
  id: number;
  org_id: number;
  customer_id: number;
  reference: string | null;
  currency: string;
  total_minor: number;
  paid_minor: number;
  refunded_minor: number;
  status: SaleStatus;
  occurred_at: number;
  service_date?: string | null;
  /** "Cancel booking, keep deposit" (migration 0014): when, and the money kept. */
  cancelled_at?: number | string | null;
  kept_minor?: number | string | null;
  created_by: string;
  created_at: number;
}

export interface SaleLineRow {
  id: number;
  sale_id: number;
  position: number;
  description: string;
  quantity: string;
  unit_price_minor: number;
  discount_rate: string | null;
  category: string | null;
  tax_code: string | null;
  kind?: SaleLineKind;
  line_total_minor: number;
  refunded_minor: number;
}

export interface CustomerRow {
  id: number;
  org_id: number;
  name: string;
  email: string | null;
  created_at: number;
}

export interface PaymentRow {
  id: number;
  org_id: number;
  sale_id: number;
  method: string;
  amount_minor: number;
  currency: string;
  provider_ref: string | null;
  received_at: number;
  created_by: string;
  created_at: number;
  /** Where it came from when not taken here (migration 0010), e.g. "Paid in Xero: bank transfer, 2 Dec". */
  source_note?: string | null;
  /** The excess over what the sale owed, kept as the customer's credit (migration 0015). */
  credit_minor?: number | string;
  /** The gift voucher it was paid from (method gift_voucher, migration 0013). */
  voucher_code?: string | null;
}

export interface RefundRow {
  id: number;
  org_id: number;
  sale_id: number;
  kind: 'full' | 'amount' | 'lines';
  amount_minor: number;
  currency: string;
  method: string | null;
  provider_ref: string | null;
  reason: string | null;
  created_by: string;
  created_at: number;
  /** How it stands downstream when someone changed it there (migration 0017); null otherwise. */
  downstream_state?: string | null;
}

export interface RefundLineRow {
  id: number;
  refund_id: number;
  sale_line_id: number;
  quantity: string | null;
  amount_minor: number;
}

/** Options every write service takes: run inside the caller's transaction (e.g. with an idempotency record). */
export interface WriteOptions {
  trx?: Trx;
  /** The clock, for tests. */
  now?: number;
}

/** Run `work` in the given transaction, or in a new one when none is given. */
export async function withTransaction<T>(db: Db, trx: Trx | undefined, work: (trx: Trx) => Promise<T>): Promise<T> {
  return trx ? work(trx) : db.transaction(work);
}

/** What `created_by` records about the actor. */
export function actorOf(principal: Principal): string {
  return `${principal.kind}:${principal.id}`;
}

/**
 * The sale, if it belongs to the organisation: another organisation's sale is "not found", never
 * "forbidden", so ids from other tenants cannot be probed. With `lock`, PostgreSQL holds the row until the
 * transaction ends so racing refunds and payments apply one after another; SQLite's single connection
 * already runs transactions one at a time.
 */
export async function findSaleRow(db: Queryable, orgId: number, saleId: number, opts: { lock?: boolean } = {}): Promise<SaleRow> {
  let query = db<SaleRow>('sales').where({ id: saleId, org_id: orgId });
  if (opts.lock && isPostgres(db)) query = query.forUpdate();
  const row = (await query.first()) as SaleRow | undefined;
  if (!row) throw new NotFoundError(`Sale ${saleId}`);
  return row;
}

export function lineSnapshot(row: SaleLineRow): SaleLineSnapshot {
  return {
    id: row.id,
    position: row.position,
    description: row.description,
    quantity: row.quantity,
    unitPriceMinor: Number(row.unit_price_minor),
    discountRate: row.discount_rate,
    category: row.category,
    taxCode: row.tax_code,
    kind: row.kind ?? 'item',
    lineTotalMinor: Number(row.line_total_minor),
  };
}

/** The sale as events describe it, read inside the transaction that is about to emit. */
export async function loadSaleSnapshot(trx: Queryable, sale: SaleRow): Promise<SaleSnapshot> {
  const customer = (await trx<CustomerRow>('customers').where({ id: sale.customer_id }).first()) as CustomerRow;
  const lines = (await trx<SaleLineRow>('sale_lines').where({ sale_id: sale.id }).orderBy('position')) as SaleLineRow[];
  return saleSnapshotOf(sale, customer, lines);
}

/** SQLite binds at most 999 parameters a statement. */
const CHUNK = 500;

/**
 * The snapshots of many sales in three statements a chunk (sales, their customers, their lines), not three
 * per sale: a worker's batch of 50 invoices reads its sales this way (HostRecords.sales). By sale id; a sale
 * not found (or another organisation's) is left out.
 */
export async function loadSaleSnapshots(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<Map<number, SaleSnapshot>> {
  const snapshots = new Map<number, SaleSnapshot>();
  const ids = [...new Set(saleIds)];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const sales = (await db<SaleRow>('sales').where({ org_id: orgId }).whereIn('id', ids.slice(i, i + CHUNK))) as SaleRow[];
    if (sales.length === 0) continue;
    const customerIds = [...new Set(sales.map((s) => Number(s.customer_id)))];
    const customers = new Map(((await db<CustomerRow>('customers').whereIn('id', customerIds)) as CustomerRow[]).map((c) => [Number(c.id), c]));
    const lines = (await db<SaleLineRow>('sale_lines').whereIn('sale_id', sales.map((s) => s.id)).orderBy(['sale_id', 'position'])) as SaleLineRow[];
    const linesOf = new Map<number, SaleLineRow[]>();
    for (const line of lines) {
      const list = linesOf.get(Number(line.sale_id));
      if (list) list.push(line);
      else linesOf.set(Number(line.sale_id), [line]);
    }
    for (const sale of sales) snapshots.set(Number(sale.id), saleSnapshotOf(sale, customers.get(Number(sale.customer_id))!, linesOf.get(Number(sale.id)) ?? []));
  }
  return snapshots;
}

function saleSnapshotOf(sale: SaleRow, customer: CustomerRow, lines: readonly SaleLineRow[]): SaleSnapshot {
  return {
    id: sale.id,
    orgId: sale.org_id,
    reference: sale.reference,
    currency: sale.currency,
    totalMinor: Number(sale.total_minor),
    occurredAt: Number(sale.occurred_at),
    serviceDate: sale.service_date ?? null,
    cancellation: sale.cancelled_at === null || sale.cancelled_at === undefined ? null : { at: Number(sale.cancelled_at), keptMinor: Number(sale.kept_minor ?? 0) },
    customer: { id: customer.id, name: customer.name, email: customer.email },
    lines: lines.map(lineSnapshot),
  };
}

/** Status follows from the amounts, so it cannot drift from them. */
export function statusFor(totalMinor: number, refundedMinor: number): SaleStatus {
  if (refundedMinor === 0) return 'completed';
  return refundedMinor >= totalMinor ? 'refunded' : 'partially_refunded';
}

/** `fromCredit`: the overpayments a payment from the customer's credit spent (customer_credit_uses). */
export function paymentSnapshot(row: PaymentRow, fromCredit: readonly { paymentId: number; amountMinor: number }[] = []): PaymentSnapshot {
  const creditMinor = Number(row.credit_minor ?? 0);
  return {
    id: row.id,
    orgId: row.org_id,
    saleId: row.sale_id,
    method: row.method,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    providerRef: row.provider_ref,
    receivedAt: Number(row.received_at),
    ...(creditMinor > 0 ? { creditMinor } : {}),
    ...(fromCredit.length > 0 ? { fromCredit: fromCredit.map((d) => ({ paymentId: d.paymentId, amountMinor: d.amountMinor })) } : {}),
    ...(row.voucher_code ? { voucherCode: row.voucher_code } : {}),
  };
}
