// The host's records as the payload builders take them, read fresh when an item is handled (payloads carry
// ids only). A record that no longer exists in its organisation comes back undefined.
import type { Queryable } from '../../../server/db/knex';
import type { PaymentSnapshot, RefundSnapshot, SaleSnapshot } from '../../../server/domain/events';
import {
  loadSaleSnapshot, paymentSnapshot,
  type PaymentRow, type RefundLineRow, type RefundRow, type SaleRow,
} from '../../../server/domain/saleRecords';

export async function loadSale(db: Queryable, orgId: number, saleId: number): Promise<SaleSnapshot | undefined> {
  const row = (await db<SaleRow>('sales').where({ id: saleId, org_id: orgId }).first()) as SaleRow | undefined;
  return row ? loadSaleSnapshot(db, row) : undefined;
}

export async function loadRefund(db: Queryable, orgId: number, refundId: number): Promise<RefundSnapshot | undefined> {
  const row = (await db<RefundRow>('refunds').where({ id: refundId, org_id: orgId }).first()) as RefundRow | undefined;
  if (!row) return undefined;
  const lines = (await db<RefundLineRow>('refund_lines').where({ refund_id: row.id }).orderBy('id')) as RefundLineRow[];
  return {
    id: row.id,
    orgId: row.org_id,
    saleId: row.sale_id,
    kind: row.kind,
    amountMinor: Number(row.amount_minor),
    currency: row.currency,
    method: row.method,
    providerRef: row.provider_ref,
    reason: row.reason,
    createdAt: Number(row.created_at),
    lines: lines.map((l) => ({ saleLineId: l.sale_line_id, quantity: l.quantity, amountMinor: Number(l.amount_minor) })),
  };
}

export async function loadPayment(db: Queryable, orgId: number, paymentId: number): Promise<PaymentSnapshot | undefined> {
  const row = (await db<PaymentRow>('payments').where({ id: paymentId, org_id: orgId }).first()) as PaymentRow | undefined;
  return row ? paymentSnapshot(row) : undefined;
}
