// A known sale's charge that the provider converted into the payout's currency (a USD card payment on a
// GBP Stripe account). The sync cannot put it into Xero: it would pay the invoice from a clearing account
// in the sale's currency, where no payout ever takes the money from. Instead, the Xero way:
//
//   a Payment on the (USD) invoice, Amount = the charge as the customer paid it (USD), into the payout's
//   clearing account (GBP, the organisation's base currency), CurrencyRate = USD per GBP from the
//   provider's own two amounts (plan.ts conversionRate). Xero books Amount / CurrencyRate into clearing
//   (= what the provider settled) and the realised gain or loss against the invoice's rate itself.
//
// It runs as its own outbox item (type xero.payout.post, payload.fx) on the SALE's subject, so it comes
// after the sale's invoice push and before anything later of that sale — in particular before the push of
// the payment it records on the sale (ctx.payments.record, which the host enqueues behind it). Order:
//   1. record the charge on the sale (host rules: never more than outstanding); refused → nothing in Xero
//   2. the Payment (looked up by its Reference first on a retry, so never twice), id in xero_payout_steps
//   3. the sale's payment is marked as in Xero with that Payment: the sync's push finds it there and sends nothing
// The payout's own item waits (post.ts) until this item is done, then plans the rest around it.
//
// Refunds, the same way round: one of our refunds that the sync left for its payout (clearing/awaitingPayout.ts)
// is paid out of the payout's clearing account by an item of the same kind (payload.fx.refundId), after
// the refund's credit note push on the sale's subject: a Payment on the credit note, at the provider's rate
// when it converted the refund (plan.ts refundPayoutStep), recorded as the refund's pay-out in xero_records.
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PayoutLineView, PayoutView, Queryable } from '../../../server/plugins/contract';
import { AppError, PermanentError } from '../../../server/errors';
import { toWorkerError } from '../gateway/client';
import { centsOf } from '../gateway/answers';
import { saleNameOf } from '../engine/names';
import { writeAudit, type AuditEntry } from '../engine/audit';
import { findRecords, isRemovedInXero, saveRecord } from '../engine/records';
import { openSession, type XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { saleSubject } from '../engine/types';
import { ensureClearingAccount } from '../clearing/accounts';
import { conversionPaymentStep, refundPayoutStep, type HostSide, type PlanStep } from './plan';
import { providerNameOf } from '../clearing/providers';
import { AWAITING_PAYOUT } from '../clearing/awaitingPayout';
import { sendSteps, type PayoutAudit } from './send';
import { PAYOUT_POST, stepsOf, type PayoutPostPayload } from './store';

type Item = OutboxItem<PayoutPostPayload>;
type Converted = PayoutLineView & { saleId: number; originalAmountMinor: number; originalCurrency: string };
/** A line paid by its own item: a converted charge, or one of our refunds that waited for its payout. */
export type FxLine = PayoutLineView & { saleId: number; refundId?: number };

export const fxDedupeKey = (payoutId: number, lineId: number): string => `xero:payout:${payoutId}:fx:${lineId}`;

/**
 * A charge or refund line of a known sale in another currency than the payout: can it be converted here, or
 * why not. `saleName` is what people call the line's sale ("Sale TILL-016", engine/names.ts).
 */
export function conversionProblem(payout: PayoutView, line: PayoutLineView, saleCurrency: string, saleName: string): string | null {
  if (line.originalAmountMinor === null || line.originalCurrency === null) {
    return `${saleName} is in ${saleCurrency}, the payout in ${payout.currency}, and ${payout.provider} reported no conversion for this line: post it by hand`;
  }
  if (line.originalCurrency !== saleCurrency) {
    return `${saleName} is in ${saleCurrency} but ${payout.provider} converted this ${line.kind} from ${line.originalCurrency}: post it by hand`;
  }
  // Signed like the balance: a charge adds, a refund takes away, in both currencies.
  const sign = line.kind === 'refund' ? -1 : 1;
  if (Math.sign(line.originalAmountMinor) !== sign || Math.sign(line.amountMinor) !== sign) {
    return `${line.kind} ${line.chargeRef ?? line.sourceId} has no ${sign > 0 ? 'positive' : 'negative'} amount to convert`;
  }
  return null;
}

/** The plan's view of a payout (plan.ts is pure: it takes the provider's name rather than the catalogue). */
const planPayoutOf = (svc: XeroServices, payout: PayoutView) => ({ ...payout, providerName: providerNameOf(svc.ctx, payout.provider) });

/** The payment date: the charge's, never later than now (the host refuses payments received in the future). */
const receivedAt = (svc: XeroServices, line: PayoutLineView) => Math.min(line.occurredAt, svc.ctx.clock.now());

/**
 * The payout's view of the lines paid by their own items: in Xero once their item is done (with what Xero
 * booked), else waiting for the item (queued here on first sight), or failed with the item's error. A
 * failed item is sent again only by a fresh run of the payout (the sweep, a settings save), never by the
 * payout's own retries.
 */
export async function fxLinesState(svc: XeroServices, item: Item, payout: PayoutView, lines: FxLine[], saleName: (saleId: number) => string): Promise<Map<number, HostSide>> {
  const { ctx } = svc;
  const out = new Map<number, HostSide>();
  if (lines.length === 0) return out;
  const { orgId } = payout;
  const steps = new Map((await stepsOf(ctx.db, orgId, null, payout.id)).map((s) => [s.step_key, s]));
  const freshRun = item.payload.reconcile === true && item.attempts <= 1;
  const items = new Map((await ctx.outbox.list(ctx.db, { dedupeKeys: lines.map((line) => fxDedupeKey(payout.id, line.id)) })).map((i) => [i.dedupeKey, i]));
  for (const line of lines) {
    const what = line.refundId !== undefined
      ? `refund ${line.refundId} of ${saleName(line.saleId)} being paid out of ${payout.provider}'s clearing account${line.originalCurrency ? ` at ${payout.provider}'s rate` : ''}`
      : `charge ${line.chargeRef ?? line.sourceId} being paid on ${saleName(line.saleId)} at ${payout.provider}'s rate`;
    const dedupeKey = fxDedupeKey(payout.id, line.id);
    const fxItem = items.get(dedupeKey);
    if (!fxItem) {
      // A payment already on the sale for this charge was sent by the sync in the sale's currency.
      const earlier = line.refundId === undefined
        ? (await ctx.records.paymentsOfSale(ctx.db, orgId, line.saleId)).find((p) => p.providerRef === (line.chargeRef ?? line.sourceId))
        : undefined;
      if (earlier) {
        out.set(line.id, { state: 'failed', reason: `charge ${line.chargeRef ?? line.sourceId} was already recorded on ${saleName(line.saleId)} in ${line.originalCurrency} (payment ${earlier.id}), not at ${payout.provider}'s rate into this payout's clearing account: move it by hand` });
        continue;
      }
      await ctx.db.transaction(async (trx) => enqueueFxItem(svc, trx, payout, line));
      out.set(line.id, { state: 'waiting', reason: what });
    } else if (fxItem.status === 'done') {
      const step = steps.get(`L${line.id}`);
      if (step?.status === 'posted') out.set(line.id, { state: 'in_xero', bankAmountMinor: step.amount_minor });
      else out.set(line.id, { state: 'failed', reason: `the ${line.kind} of line ${line.id} (${line.chargeRef ?? line.sourceId}) is not in Xero: ${step?.message ?? 'no record of it'}` });
    } else if (fxItem.status === 'dead' && freshRun) {
      await ctx.outbox.retry(ctx.db, { ids: [fxItem.id] });
      out.set(line.id, { state: 'waiting', reason: `${what} (sent again)` });
    } else if (fxItem.status === 'dead') {
      out.set(line.id, { state: 'failed', reason: `${line.kind} ${line.chargeRef ?? line.sourceId}: ${fxItem.lastError ?? 'failed'}` });
    } else {
      out.set(line.id, { state: 'waiting', reason: what });
    }
  }
  return out;
}

async function enqueueFxItem(svc: XeroServices, trx: Queryable, payout: PayoutView, line: FxLine): Promise<void> {
  const payload: PayoutPostPayload = { payoutId: payout.id, fx: { lineId: line.id, ...(line.refundId !== undefined ? { refundId: line.refundId } : {}) } };
  await svc.ctx.outbox.enqueue(trx, { type: PAYOUT_POST, orgId: payout.orgId, payload, dedupeKey: fxDedupeKey(payout.id, line.id), subject: saleSubject(line.saleId) });
}

/** The item: steps 1–3 above for one line. */
export async function postConvertedCharge(svc: XeroServices, item: Item, hctx: OutboxHandlerContext): Promise<OutboxOutcome> {
  const { ctx } = svc;
  const orgId = item.orgId!;
  const lineId = item.payload.fx!.lineId;
  const loaded = await ctx.payouts.get(ctx.db, orgId, item.payload.payoutId);
  const line = loaded?.lines.find((l) => l.id === lineId);
  if (!loaded || !line || line.saleId === null) return { status: 'failed', error: `Payout line ${lineId} of payout ${item.payload.payoutId} does not exist in this organisation` };
  const { payout } = loaded;
  const refundId = item.payload.fx!.refundId;
  if (refundId !== undefined) return postRefundPayout(svc, item, hctx, payout, line as FxLine, refundId);
  const audits: AuditEntry[] = [];
  const audit = (entry: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>): AuditEntry =>
    ({ orgId, entityType: 'payout', entityId: payout.id, triggeredBy: item.payload.triggeredBy ?? 'system', outboxItemId: item.id, ...entry });
  try {
    const sale = await ctx.records.sale(ctx.db, orgId, line.saleId);
    if (!sale) throw new PermanentError(`Sale ${line.saleId} does not exist in this organisation`);
    const saleName = await saleNameOf(ctx.records, ctx.db, orgId, line.saleId);
    const problem = conversionProblem(payout, line, sale.currency, saleName);
    if (problem) throw new PermanentError(problem);
    const converted = line as Converted;
    const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
    const { baseCurrency } = await ctx.organisations.get(ctx.db, orgId);
    if (payout.currency !== baseCurrency) {
      // Xero pays a foreign-currency invoice only from an account in its own currency or the base currency.
      throw new PermanentError(`Xero pays a ${sale.currency} invoice only from a ${sale.currency} account or one in the organisation's base currency (${baseCurrency}); this ${payout.currency} payout's clearing account is neither: post charge ${line.chargeRef ?? line.sourceId} by hand`);
    }
    const invoiceKey = { orgId, tenantId: session.tenantId, entityType: 'sale' as const, recordType: 'invoice' as const };
    const invoice = (await findRecords(ctx.db, invoiceKey, [line.saleId])).get(line.saleId);
    if (!invoice?.xeroId || isRemovedInXero(invoice.status)) {
      throw new PermanentError(`The Xero invoice of ${saleName} is ${invoice ? `${invoice.status.toLowerCase().replace('_', ' ')} in Xero` : 'not in Xero'}: send the sale, then retry`);
    }
    const clearing = await ensureClearingAccount(ctx, session, { provider: payout.provider, currency: payout.currency, baseCurrency, accountRef: payout.accountRef }, { verify: false });

    // 1. On the sale (idempotent on the charge id); its push waits behind this item on the sale's subject.
    let paymentId: number;
    try {
      ({ paymentId } = await ctx.payments.record(orgId, line.saleId, { method: payout.provider, amountMinor: converted.originalAmountMinor, currency: converted.originalCurrency, providerRef: line.chargeRef ?? line.sourceId, receivedAt: receivedAt(svc, line) }));
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      throw new PermanentError(`could not record charge ${line.chargeRef ?? line.sourceId} on ${saleName}: ${err.message}`);
    }

    // 2. The Payment at the provider's rate, unless an earlier attempt posted it.
    const step = conversionPaymentStep(
      planPayoutOf(svc, payout), converted, invoice.xeroId, clearing.accountId, new Date(receivedAt(svc, line)).toISOString().slice(0, 10),
    );
    const sent = await postOnce(svc, session, item, payout.id, step, audits, audit);
    if ('failed' in sent) return sent.failed;
    const { xeroId } = sent;
    if (!xeroId) throw new PermanentError(`Xero did not return an id for the payment of charge ${line.chargeRef ?? line.sourceId}`);

    // 3. The sale's payment is this Payment: the sync's push adopts it instead of sending one.
    await saveRecord(ctx.db, { orgId, tenantId: session.tenantId, entityType: 'payment', recordType: 'payment' }, { entityId: paymentId, xeroId, number: step.reference, status: 'AUTHORISED' }, ctx.clock.now());
    audits.push(audit({ recordType: 'payout', action: 'created', outcome: 'ok', message: `charge ${line.chargeRef ?? line.sourceId}: ${step.payment.Amount} ${converted.originalCurrency} at CurrencyRate ${step.payment.CurrencyRate} → ${xeroId} (payment ${paymentId} of ${saleName})` }));
    await writeAudit(ctx.db, audits, ctx.clock.now());
    return { status: 'done' };
  } catch (err) {
    return failedForGood(svc, err, audits, audit);
  }
}

/**
 * The pay-out of refund `refundId` (line `line`): a Payment on its credit note out of the payout's clearing
 * account, at the provider's rate when it converted the refund. Never twice: a pay-out already recorded for
 * the refund is kept, and a retry looks the Payment up by its Reference before sending it again.
 */
async function postRefundPayout(svc: XeroServices, item: Item, hctx: OutboxHandlerContext, payout: PayoutView, line: FxLine, refundId: number): Promise<OutboxOutcome> {
  const { ctx } = svc;
  const { orgId } = payout;
  const audits: AuditEntry[] = [];
  const audit = (entry: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>): AuditEntry =>
    ({ orgId, entityType: 'payout', entityId: payout.id, triggeredBy: item.payload.triggeredBy ?? 'system', outboxItemId: item.id, ...entry });
  try {
    const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
    const { baseCurrency } = await ctx.organisations.get(ctx.db, orgId);
    const converted = line.originalAmountMinor !== null && line.originalCurrency !== null;
    if (converted && payout.currency !== baseCurrency) {
      throw new PermanentError(`Xero pays out a ${line.originalCurrency} credit note only from a ${line.originalCurrency} account or one in the organisation's base currency (${baseCurrency}); this ${payout.currency} payout's clearing account is neither: post refund ${refundId} by hand`);
    }
    const key = { orgId, tenantId: session.tenantId, entityType: 'refund' as const };
    const note = (await findRecords(ctx.db, { ...key, recordType: 'credit_note' }, [refundId])).get(refundId);
    if (!note?.xeroId || isRemovedInXero(note.status)) {
      throw new PermanentError(`The credit note of refund ${refundId} is ${note ? `${note.status.toLowerCase().replace('_', ' ')} in Xero` : 'not in Xero'}: send the refund, then retry`);
    }
    const payoutKey = { ...key, recordType: 'refund_payment' as const };
    const already = (await findRecords(ctx.db, payoutKey, [refundId])).get(refundId);
    if (already?.status !== AWAITING_PAYOUT) {
      throw new PermanentError(`refund ${refundId} is not waiting for its payout (${already ? `its pay-out is ${already.status}${already.note ? `: ${already.note}` : ''}` : 'no pay-out recorded'}): move it by hand if the money is in the wrong account`);
    }
    const clearing = await ensureClearingAccount(ctx, session, { provider: payout.provider, currency: payout.currency, baseCurrency, accountRef: payout.accountRef }, { verify: false });
    const date = new Date(receivedAt(svc, line)).toISOString().slice(0, 10);
    const step = refundPayoutStep(planPayoutOf(svc, payout), line, note.xeroId, clearing.accountId, date);
    const sent = await postOnce(svc, session, item, payout.id, step, audits, audit);
    if ('failed' in sent) return sent.failed;
    const { xeroId } = sent;
    if (!xeroId) throw new PermanentError(`Xero did not return an id for the pay-out of refund ${refundId}`);
    const { payment } = step;
    const how = payment.CurrencyRate !== undefined ? `${payment.Amount} ${line.originalCurrency} at CurrencyRate ${payment.CurrencyRate}` : `${payment.Amount} ${payout.currency}`;
    await saveRecord(ctx.db, payoutKey, { entityId: refundId, xeroId, status: 'PAID', amountCents: centsOf(payment.Amount), note: `${how}, out of ${payout.provider}'s clearing account with payout ${payout.providerPayoutId}` }, ctx.clock.now());
    audits.push(audit({ recordType: 'payout', action: 'created', outcome: 'ok', message: `refund ${refundId}: ${how} → ${xeroId}` }));
    // And on the refund's own trail, where staff and the admin look.
    audits.push({ ...audit({ recordType: 'refund_payment', action: 'refund_paid', outcome: 'ok', message: `${how} paid out of ${payout.provider}'s clearing account with payout ${payout.providerPayoutId} → ${xeroId}` }), entityType: 'refund', entityId: refundId });
    await writeAudit(ctx.db, audits, ctx.clock.now());
    return { status: 'done' };
  } catch (err) {
    return failedForGood(svc, err, audits, audit);
  }
}

/** Send `step` unless an earlier attempt posted it (a retry looks it up by Reference first): its Xero id, or the item's failed outcome. */
async function postOnce(
  svc: XeroServices, session: XeroSession, item: Item, payoutId: number, step: PlanStep, audits: AuditEntry[], audit: PayoutAudit,
): Promise<{ xeroId: string | null } | { failed: OutboxOutcome }> {
  const { db } = svc.ctx;
  const orgId = item.orgId!;
  const posted = (await stepsOf(db, orgId, session.tenantId, payoutId)).find((s) => s.step_key === step.key && s.status === 'posted');
  if (!posted) {
    const sent = await sendSteps(svc, session, orgId, payoutId, [step], item.attempts > 1, item.id, audits, audit);
    if (sent.failures.length > 0) {
      await writeAudit(db, audits, svc.ctx.clock.now());
      return { failed: { status: 'failed', error: sent.failures.join('; ') } };
    }
  }
  return { xeroId: (await stepsOf(db, orgId, session.tenantId, payoutId)).find((s) => s.step_key === step.key)?.xero_id ?? null };
}

/** A permanent error fails the item with its message in the payout's trail; anything else is retried by the outbox. */
async function failedForGood(svc: XeroServices, err: unknown, audits: AuditEntry[], audit: PayoutAudit): Promise<OutboxOutcome> {
  const workerError = err instanceof AppError ? err : toWorkerError(err);
  if (!(workerError instanceof PermanentError)) throw workerError;
  await writeAudit(svc.ctx.db, [...audits, audit({ recordType: 'payout', action: 'failed', outcome: 'failed', message: workerError.message })], svc.ctx.clock.now());
  return { status: 'failed', error: workerError.message };
}
