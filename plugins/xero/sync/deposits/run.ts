// One sale's deposit work within a batch (push.ts, prepayments.ts): the sale, its deposits and the refunds
// given back out of them, the record keys, and the audit rows gathered as Xero answers; with the small
// helpers every step shares (its sync state, whether a send of a step may have landed).
import type { OutboxItem, PaymentSnapshot, RefundSnapshot, SaleSnapshot } from '../../../../server/plugins/contract';
import { minorUnitDigits } from '../../../../server/plugins/contract';
import type { AuditEntry } from '../../engine/audit';
import { findRecords, type RecordKey, type XeroRecord } from '../../engine/records';
import { markedItems, type SendStep } from '../../engine/sendMarks';
import type { XeroSession } from '../../engine/session';
import type { XeroServices } from '../../engine/services';
import type { ResolvedMappings } from '../../mappings/types';
import { minorToXeroCents } from '../../payloads/arithmetic';
import { invoiceNumberFor } from '../../payloads';
import type { DepositPushPayload } from '../types';
import { depositNote } from './decisions';
import { depositRowsOfSales } from './store';

export type Item = OutboxItem<DepositPushPayload>;

/** Refused by Xero, or impossible to build: the item fails with this message (the admin fixes it, then retries). */
export class StepRefused extends Error {}

export interface Run {
  svc: XeroServices;
  session: XeroSession;
  mappings: ResolvedMappings;
  timeZone: string;
  item: Item;
  sale: SaleSnapshot;
  deposits: PaymentSnapshot[];
  /** Refunds given back out of a deposit, with the deposit each comes out of. */
  refunds: { refund: RefundSnapshot; fromPaymentId: number }[];
  keys: Record<'invoice' | 'prepayment' | 'allocation' | 'refund', RecordKey>;
  audit: AuditEntry[];
}

export async function loadRun(
  svc: XeroServices, session: XeroSession, loaded: { mappings: ResolvedMappings; timeZone: string }, item: Item, sale: SaleSnapshot, keys: Run['keys'],
): Promise<Run> {
  const { ctx } = svc;
  const rows = await depositRowsOfSales(ctx.db, session.orgId, [sale.id]);
  const paymentIds = new Set(rows.filter((r) => r.kind === 'payment').map((r) => r.entityId));
  const refundFrom = new Map(rows.filter((r) => r.kind === 'refund' && r.fromPaymentId !== null).map((r) => [r.entityId, r.fromPaymentId!]));
  const deposits = (await ctx.records.paymentsOfSale(ctx.db, session.orgId, sale.id)).filter((p) => paymentIds.has(p.id)).sort((a, b) => a.id - b.id);
  const refunds = (await ctx.records.refundsOfSale(ctx.db, session.orgId, sale.id))
    .filter((r) => refundFrom.has(r.id)).sort((a, b) => a.id - b.id).map((refund) => ({ refund, fromPaymentId: refundFrom.get(refund.id)! }));
  return { svc, session, mappings: loaded.mappings, timeZone: loaded.timeZone, item, sale, deposits, refunds, keys, audit: [] };
}

export const auditBase = (run: Run, entityType: 'payment' | 'refund', recordType: 'prepayment' | 'prepayment_allocation' | 'prepayment_refund', entityId: number) => ({
  orgId: run.session.orgId, entityType, entityId, recordType, triggeredBy: run.item.payload.triggeredBy ?? 'system', outboxItemId: run.item.id,
});

export const xeroCents = (minor: number, currency: string): number => Number(minorToXeroCents(BigInt(minor), minorUnitDigits(currency)));
export const now = (run: Run): number => run.svc.ctx.clock.now();

/** Was a request of this step sent for this item and never answered (it may have landed)? */
export async function mayHaveLanded(run: Run, step: SendStep): Promise<boolean> {
  if (run.item.payload.reconcile) return true;
  if (run.item.attempts <= 1) return false;
  return (await markedItems(run.svc.ctx.db, [run.item], step)).has(run.item.id);
}

/** The deposit's sync state: its prepayment, and when (and how much of it) was allocated to the invoice. */
export async function syncDeposit(run: Run, d: PaymentSnapshot): Promise<void> {
  const { ctx } = run.svc;
  const prepayment = (await findRecords(ctx.db, run.keys.prepayment, [d.id])).get(d.id);
  if (!prepayment?.xeroId) return;
  const allocation: XeroRecord | undefined = (await findRecords(ctx.db, run.keys.allocation, [d.id])).get(d.id);
  const note = depositNote({
    invoiceNumber: invoiceNumberFor(run.sale.id, run.mappings), allocatedOn: allocation?.note ?? null, allocatedMinor: allocation?.amountCents ?? null,
    currency: d.currency, format: (cents) => (cents / 100).toFixed(2),
  });
  await ctx.sync.upsert(ctx.db, {
    orgId: run.session.orgId, entityType: 'payment', entityId: d.id, recordType: 'prepayment', status: 'synced',
    externalId: prepayment.xeroId, externalRef: prepayment.number, error: null, note,
  });
}
