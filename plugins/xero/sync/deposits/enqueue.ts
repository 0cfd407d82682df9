// Deposits, decided and queued in the host's transaction (called by ../enqueue.ts's subscribers and by the
// invoice push): a payment whose sale's invoice waits for its service date becomes a deposit, posted at once
// as a prepayment; a refund with a method given back before the invoice comes out of a deposit's prepayment;
// the invoice's creation queues the allocation of the sale's deposits. Every piece of a sale's deposit work is
// one item type on the sale's own deposit subject, so it runs in order and never waits behind the invoice.
import type { PaymentSnapshot, PluginContext, Queryable, RefundSnapshot, SaleSnapshot } from '../../../../server/plugins/contract';
import type { XeroConfig } from '../../config';
import { getLiveConnection } from '../../connection/store';
import { findRecord } from '../../engine/records';
import { loadResolvedMappings } from '../../mappings/load';
import { waitsUntil } from '../serviceDate';
import { DEPOSIT_PUSH, type DepositPushPayload } from '../types';
import { depositToRefundFrom, isDeposit, type HeldDeposit } from './decisions';
import { depositRowsOfSales, recordDeposit } from './store';

type Ctx = Pick<PluginContext<XeroConfig>, 'outbox' | 'sync' | 'organisations' | 'clock' | 'records'>;

/** The subject of one sale's deposit work: in order among itself, independent of the sale's invoice. */
export const depositSubject = (saleId: number): string => `xero:deposits:${saleId}`;

/** Why the item is queued: its dedupe key (each reason once; a resend is a new item that looks up first). */
export type DepositReason = { payment: number } | { refund: number } | { allocate: true } | { cancel: true };

const dedupeKeyOf = (saleId: number, reason: DepositReason): string =>
  'payment' in reason ? `xero:deposit:payment:${reason.payment}` : 'refund' in reason ? `xero:deposit:refund:${reason.refund}`
    : 'cancel' in reason ? `xero:deposit:cancel:${saleId}` : `xero:deposit:allocate:${saleId}`;

export async function enqueueDepositPush(ctx: Pick<Ctx, 'outbox'>, trx: Queryable, orgId: number, saleId: number, reason: DepositReason, availableAt?: number): Promise<void> {
  const payload: DepositPushPayload = { saleId };
  await ctx.outbox.enqueue(trx, {
    type: DEPOSIT_PUSH, orgId, payload, dedupeKey: dedupeKeyOf(saleId, reason), subject: depositSubject(saleId),
    ...(availableAt !== undefined ? { availableAt } : {}),
  });
}

/** Is the sale's invoice in Xero, on the live connection's tenant? And that organisation's base currency, when known. */
async function xeroSide(trx: Queryable, orgId: number, saleId: number): Promise<{ invoiceInXero: boolean; baseCurrency: string | null }> {
  const connection = await getLiveConnection(trx, orgId);
  if (!connection?.tenant_id) return { invoiceInXero: false, baseCurrency: null };
  const record = await findRecord(trx, { orgId, tenantId: connection.tenant_id, entityType: 'sale', recordType: 'invoice' }, saleId);
  return { invoiceInXero: Boolean(record?.xeroId), baseCurrency: connection.tenant_currency };
}

/**
 * Only money that arrived, no more than the booking owes, is posted as a deposit. Paid from the customer's
 * credit or a gift voucher, nothing arrived: Xero receives a prepayment only into a bank account, and the
 * credit (or the voucher liability) pays the invoice once it is posted. A payment above what the booking
 * owes waits for the invoice too, then posts as a payment and an overpayment of its excess: the customer's
 * credit in Xero is then an overpayment, which a later payment from that credit draws on (a prepayment for
 * the whole would hold the credit where nothing draws on it, and that later payment would wait forever).
 */
const takesAsDeposit = (payment: PaymentSnapshot): boolean =>
  (payment.fromCredit?.length ?? 0) === 0 && !payment.voucherCode && (payment.creditMinor ?? 0) === 0;

/**
 * A payment of a sale whose invoice waits for its service date (and is not in Xero): recorded as a deposit
 * and queued to be posted as a prepayment now. Returns false when it is an ordinary payment.
 */
export async function takeAsDeposit(ctx: Ctx, trx: Queryable, orgId: number, sale: SaleSnapshot, payment: PaymentSnapshot, availableAt?: number): Promise<boolean> {
  if (!sale.serviceDate || !takesAsDeposit(payment)) return false;
  const now = ctx.clock.now();
  const organisation = await ctx.organisations.get(trx, orgId);
  const mappings = await loadResolvedMappings(trx, orgId);
  const xero = await xeroSide(trx, orgId, sale.id);
  const deposit = isDeposit({
    invoiceInXero: xero.invoiceInXero,
    invoiceWaitsUntil: waitsUntil(sale, mappings, organisation.timeZone, now),
    saleCurrency: payment.currency,
    // Xero's own base currency (read when connecting), else the organisation's.
    baseCurrency: xero.baseCurrency ?? organisation.baseCurrency,
  });
  if (!deposit) return false;
  await recordDeposit(trx, orgId, { kind: 'payment', entityId: payment.id, saleId: sale.id }, now);
  await enqueueDepositPush(ctx, trx, orgId, sale.id, { payment: payment.id }, availableAt);
  await ctx.sync.upsert(trx, {
    orgId, entityType: 'payment', entityId: payment.id, recordType: 'prepayment', status: 'pending', error: null,
    note: 'A deposit: posted to Xero as a prepayment now, allocated to the invoice when the invoice is posted',
  });
  return true;
}

/**
 * A refund with a method, before the invoice is in Xero, on a sale with a deposit that holds enough: paid
 * back out of that deposit's prepayment (queued now), and its credit note (which follows the invoice as
 * usual) allocated to the invoice instead of paid out.
 */
export async function refundOutOfDeposit(ctx: Ctx, trx: Queryable, orgId: number, refund: RefundSnapshot, availableAt?: number): Promise<boolean> {
  if (refund.method === null) return false;
  // Once cancelled with its deposit kept, the booking is the kept money's invoice (deposits allocated to it in
  // full): money given back after that is credited and paid out on that invoice, never taken out of a deposit.
  if ((await ctx.records.sale(trx, orgId, refund.saleId))?.cancellation) return false;
  const rows = await depositRowsOfSales(trx, orgId, [refund.saleId]);
  const depositIds = rows.filter((r) => r.kind === 'payment').map((r) => r.entityId);
  if (depositIds.length === 0) return false;
  const payments = (await ctx.records.paymentsOfSale(trx, orgId, refund.saleId)).filter((p) => depositIds.includes(p.id)).sort((a, b) => a.id - b.id);
  const refunds = await ctx.records.refundsOfSale(trx, orgId, refund.saleId);
  const refundedFrom = (paymentId: number) => rows
    .filter((r) => r.kind === 'refund' && r.fromPaymentId === paymentId && r.entityId !== refund.id)
    .reduce((sum, r) => sum + (refunds.find((x) => x.id === r.entityId)?.amountMinor ?? 0), 0);
  const held: HeldDeposit[] = payments.map((p) => ({ paymentId: p.id, amountMinor: p.amountMinor, refundedMinor: refundedFrom(p.id) }));
  const from = depositToRefundFrom(refund, (await xeroSide(trx, orgId, refund.saleId)).invoiceInXero, held);
  if (from === null) return false;
  const now = ctx.clock.now();
  await recordDeposit(trx, orgId, { kind: 'refund', entityId: refund.id, saleId: refund.saleId, fromPaymentId: from }, now);
  await enqueueDepositPush(ctx, trx, orgId, refund.saleId, { refund: refund.id }, availableAt);
  await ctx.sync.upsert(trx, {
    orgId, entityType: 'refund', entityId: refund.id, recordType: 'prepayment_refund', status: 'pending', error: null,
    note: `Given back out of deposit ${from} before the invoice: paid out of its prepayment in Xero`,
  });
  return true;
}

/** The invoice is in Xero: the allocation of those sales' deposits is queued (once per sale). */
export async function queueDepositAllocations(ctx: Pick<Ctx, 'outbox'>, db: Queryable, orgId: number, saleIds: readonly number[]): Promise<void> {
  const rows = await depositRowsOfSales(db, orgId, saleIds);
  for (const saleId of new Set(rows.filter((r) => r.kind === 'payment').map((r) => r.saleId))) {
    await enqueueDepositPush(ctx, db, orgId, saleId, { allocate: true });
  }
}
