// Enqueueing sync work, always in the caller's transaction: from the host's events (subscribers below),
// from "send now" (routes/sync.ts) and, later, from a history import. A first push has a stable dedupe
// key (the event can be delivered only once per record); a resend gets a fresh suffix so it is a new item,
// and asks for reconcile-before-send so it can never duplicate what an earlier attempt created.
import { randomBytes } from 'node:crypto';
import type { EventSubscriber, PluginContext, Queryable, SaleSnapshot } from '../../../server/plugins/contract';
import { loadResolvedMappings } from '../mappings/load';
import { waitingNote, waitsUntil } from './serviceDate';
import type { XeroConfig } from '../config';
import { scheduledAvailableAt } from './schedule';
import { XERO_METHOD } from '../incoming/reconcile';
import { getLiveConnection } from '../connection/store';
import { coalescedAvailableAt } from './coalesce';
import { tenantKeyOf } from '../engine/rateBudget';
import { saleSubject, type TriggeredBy } from '../engine/types';
import { enqueueDepositPush, refundOutOfDeposit, takeAsDeposit } from './deposits/enqueue';
import { CREDIT_NOTE_PUSH, DEPOSIT_PUSH, INVOICE_PUSH, PAYMENT_PUSH, type CreditNotePushPayload, type InvoicePushPayload, type PaymentPushPayload } from './types';

type Ctx = Pick<PluginContext<XeroConfig>, 'outbox' | 'sync'>;

export interface EnqueueOptions {
  /** A resend: new dedupe key, reconcile first, and who asked. */
  resend?: { triggeredBy: TriggeredBy };
  /** Hold the item until then (scheduled mode, sync/schedule.ts). Default: now. */
  availableAt?: number;
  /** Said on the record's sync state while it waits (e.g. for its service date). */
  note?: string;
}

/** The dedupe key of each record's first push (the event's item). A history import reuses these. */
export const FIRST_PUSH_KEY = {
  sale: (saleId: number) => `xero:invoice:${saleId}`,
  refund: (refundId: number) => `xero:creditnote:${refundId}`,
  payment: (paymentId: number) => `xero:payment:${paymentId}`,
} as const;

const resendSuffix = (opts: EnqueueOptions) => (opts.resend ? `:resend:${Date.now()}:${randomBytes(3).toString('hex')}` : '');
const resendFields = (opts: EnqueueOptions) => (opts.resend ? { reconcile: true, triggeredBy: opts.resend.triggeredBy } : {});
const holdUntil = (opts: EnqueueOptions) => (opts.availableAt !== undefined ? { availableAt: opts.availableAt } : {});

export async function enqueueInvoicePush(ctx: Ctx, trx: Queryable, orgId: number, saleId: number, opts: EnqueueOptions = {}): Promise<number> {
  const payload: InvoicePushPayload = { saleId, ...resendFields(opts) };
  const { id } = await ctx.outbox.enqueue(trx, {
    type: INVOICE_PUSH, orgId, payload, ...holdUntil(opts),
    dedupeKey: `${FIRST_PUSH_KEY.sale(saleId)}${resendSuffix(opts)}`,
    subject: saleSubject(saleId),
  });
  await ctx.sync.upsert(trx, { orgId, entityType: 'sale', entityId: saleId, recordType: 'invoice', status: 'pending', error: null, note: opts.note ?? null });
  return id;
}

export async function enqueueCreditNotePush(ctx: Ctx, trx: Queryable, orgId: number, refundId: number, saleId: number, opts: EnqueueOptions = {}): Promise<number> {
  const payload: CreditNotePushPayload = { refundId, saleId, ...resendFields(opts) };
  const { id } = await ctx.outbox.enqueue(trx, {
    type: CREDIT_NOTE_PUSH, orgId, payload, ...holdUntil(opts),
    dedupeKey: `${FIRST_PUSH_KEY.refund(refundId)}${resendSuffix(opts)}`,
    // Same subject as its sale: the credit note is handled only once the invoice item is done.
    subject: saleSubject(saleId),
  });
  await ctx.sync.upsert(trx, { orgId, entityType: 'refund', entityId: refundId, recordType: 'credit_note', status: 'pending', error: null });
  return id;
}

export async function enqueuePaymentPush(ctx: Ctx, trx: Queryable, orgId: number, paymentId: number, saleId: number, opts: EnqueueOptions = {}): Promise<number> {
  const payload: PaymentPushPayload = { paymentId, saleId, ...resendFields(opts) };
  const { id } = await ctx.outbox.enqueue(trx, {
    type: PAYMENT_PUSH, orgId, payload, ...holdUntil(opts),
    dedupeKey: `${FIRST_PUSH_KEY.payment(paymentId)}${resendSuffix(opts)}`,
    subject: saleSubject(saleId),
  });
  await ctx.sync.upsert(trx, { orgId, entityType: 'payment', entityId: paymentId, recordType: 'payment', status: 'pending', error: null });
  return id;
}

// ---- subscribers: inside the host's transaction, enqueue only ----
// In scheduled mode an event's item waits for the organisation's daily run; "send now" and resends above
// are a person asking for it now, so they are never held. In real time an item on an idle queue waits a
// short coalescing window (coalesce.ts) so a burst shares one Xero call; under a backlog it is never held.
//
// Only an organisation that has connected Xero (live: connected, or waiting for re-authorisation, when the
// items wait paused) gets sync work. Otherwise an install where some organisations never use Xero would
// pile up paused items forever, and connecting would push every old sale at once; sales from before the
// connection are brought over by a history import from the date the admin chooses.
type SubscriberCtx = Pick<PluginContext<XeroConfig>, 'config' | 'organisations' | 'outbox' | 'clock'>;

const whenToRun = async (trx: Queryable, ctx: SubscriberCtx, orgId: number, type: string): Promise<EnqueueOptions | null> => {
  const connection = await getLiveConnection(trx, orgId);
  if (!connection) return null;
  const now = ctx.clock.now();
  const availableAt = await scheduledAvailableAt(ctx, trx, orgId, now);
  if (availableAt !== undefined) return { availableAt };
  const coalesced = await coalescedAvailableAt(ctx, trx, { orgId, type, tenantKey: tenantKeyOf(orgId, connection.tenant_id), baseMs: ctx.config.coalesceMs ?? 0, now });
  return coalesced === undefined ? {} : { availableAt: coalesced };
};

export const onSaleCompleted: EventSubscriber<XeroConfig, 'sale.completed'> = async (event, trx, ctx) => {
  const when = await whenToRun(trx, ctx, event.orgId, INVOICE_PUSH);
  if (!when) return;
  const sale = event.data.sale;
  await enqueueInvoicePush(ctx, trx, event.orgId, sale.id, sale.serviceDate ? await untilServiceDate(trx, ctx, event.orgId, sale, when) : when);
};

/**
 * An invoice dated on a service date still to come is held until that day begins (at the day's scheduled
 * run in daily mode), and its sale says so (serviceDate.ts).
 */
async function untilServiceDate(trx: Queryable, ctx: SubscriberCtx, orgId: number, sale: Pick<SaleSnapshot, 'serviceDate'>, when: EnqueueOptions): Promise<EnqueueOptions> {
  const now = ctx.clock.now();
  const { timeZone } = await ctx.organisations.get(trx, orgId);
  const start = waitsUntil(sale, await loadResolvedMappings(trx, orgId), timeZone, now);
  if (start === null) return when;
  const availableAt = (await scheduledAvailableAt(ctx, trx, orgId, start - 1)) ?? start;
  return { ...when, availableAt: Math.max(availableAt, when.availableAt ?? now), note: waitingNote(sale.serviceDate!) };
}

export const onRefundIssued: EventSubscriber<XeroConfig, 'refund.issued'> = async (event, trx, ctx) => {
  const when = await whenToRun(trx, ctx, event.orgId, CREDIT_NOTE_PUSH);
  if (!when) return;
  // Given back out of a deposit before the invoice: paid out of its prepayment now (deposits/); the credit
  // note still follows the invoice, and is allocated to it.
  await refundOutOfDeposit(ctx, trx, event.orgId, event.data.refund, when.availableAt);
  await enqueueCreditNotePush(ctx, trx, event.orgId, event.data.refund.id, event.data.sale.id, when);
};

export const onPaymentReceived: EventSubscriber<XeroConfig, 'payment.received'> = async (event, trx, ctx) => {
  // A payment recorded in Xero (method `xero`, incoming/) is already there: pushing it would pay the invoice twice.
  if (event.data.payment.method === XERO_METHOD) return;
  const when = await whenToRun(trx, ctx, event.orgId, PAYMENT_PUSH);
  if (!when) return;
  // Paid before its invoice, which waits for its service date: a deposit, posted now as a prepayment.
  if (await takeAsDeposit(ctx, trx, event.orgId, event.data.sale, event.data.payment, when.availableAt)) return;
  await enqueuePaymentPush(ctx, trx, event.orgId, event.data.payment.id, event.data.sale.id, when);
};

/** A booking cancelled with its deposit kept: the kept money is invoiced and paid by the deposits (deposits/). */
export const onSaleCancelled: EventSubscriber<XeroConfig, 'sale.cancelled'> = async (event, trx, ctx) => {
  const when = await whenToRun(trx, ctx, event.orgId, DEPOSIT_PUSH);
  if (when) await enqueueDepositPush(ctx, trx, event.orgId, event.data.sale.id, { cancel: true }, when.availableAt);
};
