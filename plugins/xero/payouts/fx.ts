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
import type { OutboxHandlerContext } from '../../../server/outbox/types';
import type { OutboxItem, OutboxOutcome } from '../../../server/plugins/contract';
import { AppError, PermanentError } from '../../../server/errors';
import { retryItems } from '../../../server/outbox/admin';
import type { Queryable } from '../../../server/db/knex';
import { toWorkerError } from '../client';
import { writeAudit, type AuditEntry } from '../sync/audit';
import { findRecords, isRemovedInXero, saveRecord } from '../sync/records';
import { openSession } from '../sync/session';
import type { SyncServices } from '../sync/services';
import { saleSubject } from '../sync/types';
import { ensureClearingAccount } from './clearing';
import { organisationBaseCurrency } from './paymentAccounts';
import { conversionPaymentStep, type HostSide } from './plan';
import { sendSteps } from './send';
import { loadPayout, PAYOUT_POST, stepsOf, type PayoutLineRow, type PayoutPostPayload, type PayoutRow } from './store';

type Item = OutboxItem<PayoutPostPayload>;
type Converted = PayoutLineRow & { sale_id: number; original_amount_minor: number; original_currency: string };

export const fxDedupeKey = (payoutId: number, lineId: number): string => `xero:payout:${payoutId}:fx:${lineId}`;

/** A charge line of a known sale in another currency than the payout: can it be converted here, or why not. */
export function conversionProblem(payout: PayoutRow, line: PayoutLineRow, saleCurrency: string): string | null {
  if (line.original_amount_minor === null || line.original_currency === null) {
    return `sale ${line.sale_id} is in ${saleCurrency}, the payout in ${payout.currency}, and ${payout.provider} reported no conversion for this line: post it by hand`;
  }
  if (line.original_currency !== saleCurrency) {
    return `sale ${line.sale_id} is in ${saleCurrency} but ${payout.provider} converted this charge from ${line.original_currency}: post it by hand`;
  }
  if (line.original_amount_minor <= 0 || line.amount_minor <= 0) return `charge ${line.charge_ref ?? line.source_id} has no positive amount to convert`;
  return null;
}

/** The payment date: the charge's, never later than now (the host refuses payments received in the future). */
const receivedAt = (line: PayoutLineRow) => Math.min(line.occurred_at, Date.now());

/**
 * The payout's view of its converted charges: in Xero once their item is done (with what Xero booked), else
 * waiting for the item (queued here on first sight), or failed with the item's error. A failed item is sent
 * again only by a fresh run of the payout (the sweep, a settings save), never by the payout's own retries.
 */
export async function convertedChargesState(
  svc: SyncServices, item: Item, payout: PayoutRow, lines: Converted[],
): Promise<Map<number, HostSide>> {
  const { ctx } = svc;
  const out = new Map<number, HostSide>();
  if (lines.length === 0) return out;
  const orgId = payout.org_id;
  const steps = new Map((await stepsOf(ctx.db, orgId, null, payout.id)).map((s) => [s.step_key, s]));
  const freshRun = item.payload.reconcile === true && item.attempts <= 1;
  for (const line of lines) {
    const dedupeKey = fxDedupeKey(payout.id, line.id);
    const fxItem = (await ctx.db('outbox').where({ dedupe_key: dedupeKey }).first('id', 'status', 'last_error')) as { id: number; status: string; last_error: string | null } | undefined;
    if (!fxItem) {
      // A payment already on the sale for this charge was sent by the sync in the sale's currency.
      const earlier = await ctx.db('payments').where({ org_id: orgId, sale_id: line.sale_id, provider_ref: line.charge_ref ?? line.source_id }).first('id');
      if (earlier) {
        out.set(line.id, { state: 'failed', reason: `charge ${line.charge_ref ?? line.source_id} was already recorded on sale ${line.sale_id} in ${line.original_currency} (payment ${earlier.id}), not at ${payout.provider}'s rate into this payout's clearing account: move it by hand` });
        continue;
      }
      await ctx.db.transaction(async (trx) => enqueueConversion(svc, trx, payout, line));
      out.set(line.id, { state: 'waiting', reason: `charge ${line.charge_ref ?? line.source_id} being paid on sale ${line.sale_id} at ${payout.provider}'s rate` });
    } else if (fxItem.status === 'done') {
      const step = steps.get(`L${line.id}`);
      if (step?.status === 'posted') out.set(line.id, { state: 'in_xero', bankAmountMinor: step.amount_minor });
      else out.set(line.id, { state: 'failed', reason: `the converted payment of charge ${line.charge_ref ?? line.source_id} is not in Xero: ${step?.message ?? 'no record of it'}` });
    } else if (fxItem.status === 'dead' && freshRun) {
      await retryItems(ctx.db, { ids: [Number(fxItem.id)], type: PAYOUT_POST });
      out.set(line.id, { state: 'waiting', reason: `charge ${line.charge_ref ?? line.source_id} sent again at ${payout.provider}'s rate` });
    } else if (fxItem.status === 'dead') {
      out.set(line.id, { state: 'failed', reason: `converting charge ${line.charge_ref ?? line.source_id}: ${fxItem.last_error ?? 'failed'}` });
    } else {
      out.set(line.id, { state: 'waiting', reason: `charge ${line.charge_ref ?? line.source_id} being paid on sale ${line.sale_id} at ${payout.provider}'s rate` });
    }
  }
  return out;
}

async function enqueueConversion(svc: SyncServices, trx: Queryable, payout: PayoutRow, line: Converted): Promise<void> {
  const payload: PayoutPostPayload = { payoutId: payout.id, fx: { lineId: line.id } };
  await svc.ctx.outbox.enqueue(trx, { type: PAYOUT_POST, orgId: payout.org_id, payload, dedupeKey: fxDedupeKey(payout.id, line.id), subject: saleSubject(line.sale_id) });
}

/** The item: steps 1–3 above for one line. */
export async function postConvertedCharge(svc: SyncServices, item: Item, hctx: OutboxHandlerContext): Promise<OutboxOutcome> {
  const { ctx } = svc;
  const orgId = item.orgId!;
  const lineId = item.payload.fx!.lineId;
  const loaded = await loadPayout(ctx.db, orgId, item.payload.payoutId);
  const line = loaded?.lines.find((l) => l.id === lineId);
  if (!loaded || !line || line.sale_id === null) return { status: 'failed', error: `Payout line ${lineId} of payout ${item.payload.payoutId} does not exist in this organisation` };
  const { payout } = loaded;
  const audits: AuditEntry[] = [];
  const audit = (entry: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>): AuditEntry =>
    ({ orgId, entityType: 'payout', entityId: payout.id, triggeredBy: item.payload.triggeredBy ?? 'system', outboxItemId: item.id, ...entry });
  try {
    const sale = (await ctx.db('sales').where({ id: line.sale_id, org_id: orgId }).first('currency')) as { currency: string } | undefined;
    if (!sale) throw new PermanentError(`Sale ${line.sale_id} does not exist in this organisation`);
    const problem = conversionProblem(payout, line, sale.currency);
    if (problem) throw new PermanentError(problem);
    const converted = line as Converted;
    const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
    const baseCurrency = await organisationBaseCurrency(ctx.db, orgId);
    if (payout.currency !== baseCurrency) {
      // Xero pays a foreign-currency invoice only from an account in its own currency or the base currency.
      throw new PermanentError(`Xero pays a ${sale.currency} invoice only from a ${sale.currency} account or one in the organisation's base currency (${baseCurrency}); this ${payout.currency} payout's clearing account is neither: post charge ${line.charge_ref ?? line.source_id} by hand`);
    }
    const invoiceKey = { orgId, tenantId: session.tenantId, entityType: 'sale' as const, recordType: 'invoice' as const };
    const invoice = (await findRecords(ctx.db, invoiceKey, [line.sale_id])).get(line.sale_id);
    if (!invoice?.xeroId || isRemovedInXero(invoice.status)) {
      throw new PermanentError(`The invoice of sale ${line.sale_id} is ${invoice ? `${invoice.status.toLowerCase().replace('_', ' ')} in Xero` : 'not in Xero'}: send the sale, then retry`);
    }
    const clearing = await ensureClearingAccount(session, ctx.db, { provider: payout.provider, currency: payout.currency, baseCurrency, accountRef: payout.account_ref }, { verify: false });

    // 1. On the sale (idempotent on the charge id); its push waits behind this item on the sale's subject.
    let paymentId: number;
    try {
      ({ paymentId } = await ctx.payments.record(orgId, line.sale_id, { method: payout.provider, amountMinor: converted.original_amount_minor, providerRef: line.charge_ref ?? line.source_id, receivedAt: receivedAt(line) }));
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      throw new PermanentError(`could not record charge ${line.charge_ref ?? line.source_id} on sale ${line.sale_id}: ${err.message}`);
    }

    // 2. The Payment at the provider's rate, unless an earlier attempt posted it.
    const step = conversionPaymentStep(
      { id: payout.id, provider: payout.provider, providerPayoutId: payout.provider_payout_id, currency: payout.currency, amountMinor: payout.amount_minor, arrivalDate: payout.arrival_date },
      { id: line.id, kind: line.kind, amountMinor: line.amount_minor, feeMinor: line.fee_minor, feeTaxMinor: line.fee_tax_minor, saleId: line.sale_id, sourceId: line.source_id, chargeRef: line.charge_ref, description: line.description, occurredAt: line.occurred_at, originalAmountMinor: converted.original_amount_minor, originalCurrency: converted.original_currency },
      invoice.xeroId, clearing.accountId, new Date(receivedAt(line)).toISOString().slice(0, 10),
    );
    const posted = (await stepsOf(ctx.db, orgId, session.tenantId, payout.id)).find((s) => s.step_key === step.key && s.status === 'posted');
    if (!posted) {
      const sent = await sendSteps(svc, session, orgId, payout.id, [step], item.attempts > 1, item.id, audits, audit);
      if (sent.failures.length > 0) {
        await writeAudit(ctx.db, audits);
        return { status: 'failed', error: sent.failures.join('; ') };
      }
    }
    const xeroId = (await stepsOf(ctx.db, orgId, session.tenantId, payout.id)).find((s) => s.step_key === step.key)?.xero_id ?? null;
    if (!xeroId) throw new PermanentError(`Xero did not return an id for the payment of charge ${line.charge_ref ?? line.source_id}`);

    // 3. The sale's payment is this Payment: the sync's push adopts it instead of sending one.
    await saveRecord(ctx.db, { orgId, tenantId: session.tenantId, entityType: 'payment', recordType: 'payment' }, { entityId: paymentId, xeroId, number: step.reference, status: 'AUTHORISED' });
    audits.push(audit({ recordType: 'payout', action: 'created', outcome: 'ok', message: `charge ${line.charge_ref ?? line.source_id}: ${(step as { payment: Record<string, unknown> }).payment.Amount} ${converted.original_currency} at CurrencyRate ${(step as { payment: Record<string, unknown> }).payment.CurrencyRate} → ${xeroId} (payment ${paymentId} of sale ${line.sale_id})` }));
    await writeAudit(ctx.db, audits);
    return { status: 'done' };
  } catch (err) {
    const workerError = err instanceof AppError ? err : toWorkerError(err);
    if (workerError instanceof PermanentError) {
      await writeAudit(ctx.db, [...audits, audit({ recordType: 'payout', action: 'failed', outcome: 'failed', message: workerError.message })]);
      return { status: 'failed', error: workerError.message };
    }
    throw workerError;
  }
}
