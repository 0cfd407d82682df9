// xero_deposits (migration 0013): which payments of a sale are deposits, and which refunds were given back
// out of one, decided once in the host's transaction (enqueue.ts). The payment push never sends a deposit
// as an invoice payment; the credit-note push allocates a deposit refund's note instead of paying it out
// (the money went back out of the prepayment).
import type { Queryable } from '../../../../server/plugins/contract';

export type DepositKind = 'payment' | 'refund';

export interface DepositRow { kind: DepositKind; entityId: number; saleId: number; fromPaymentId: number | null }

const TABLE = 'xero_deposits';

export async function recordDeposit(db: Queryable, orgId: number, row: Omit<DepositRow, 'fromPaymentId'> & { fromPaymentId?: number }, now: number): Promise<void> {
  await db(TABLE).insert({ org_id: orgId, kind: row.kind, entity_id: row.entityId, sale_id: row.saleId, from_payment_id: row.fromPaymentId ?? null, created_at: now }).onConflict(['org_id', 'kind', 'entity_id']).ignore();
}

export async function depositRowsOfSales(db: Queryable, orgId: number, saleIds: readonly number[]): Promise<DepositRow[]> {
  if (saleIds.length === 0) return [];
  const rows = (await db(TABLE).where({ org_id: orgId }).whereIn('sale_id', [...new Set(saleIds)]).orderBy(['kind', 'entity_id'])) as Record<string, unknown>[];
  return rows.map((r) => ({ kind: r.kind as DepositKind, entityId: Number(r.entity_id), saleId: Number(r.sale_id), fromPaymentId: r.from_payment_id === null || r.from_payment_id === undefined ? null : Number(r.from_payment_id) }));
}

/** Which of these ids (of one kind) are deposits / refunds out of a deposit. */
export async function depositIds(db: Queryable, orgId: number, kind: DepositKind, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = (await db(TABLE).where({ org_id: orgId, kind }).whereIn('entity_id', [...new Set(ids)]).select('entity_id')) as { entity_id: number | string }[];
  return new Set(rows.map((r) => Number(r.entity_id)));
}
