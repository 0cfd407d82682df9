// Posting one payout to Xero (outbox type xero.payout.post). Resumable and never double:
//   load       the payout and its lines (host tables); a 'discrepancy' payout is shown, never posted
//   clearing   the provider's clearing account in the payout currency, verified (re-created if removed)
//   host side  known sales: the charge is recorded on the sale (ctx.payments.record, idempotent on the
//              charge id) and the sync puts its Payment into clearing; our refunds' credit-note refund
//              payments come out of clearing the same way. We wait for both. A known sale's charge the
//              provider converted from the sale's currency is paid on its invoice at the provider's rate
//              by its own item on the sale's subject (fx.ts); we wait for that too.
//   matching   unknown charges are scored against open invoices (matching.ts): posted or queued
//   plan       buildPayoutPlan (pure) minus the steps already recorded
//   reconcile  attempt > 1 or asked: each unsent step looked up in Xero by its Reference and adopted
//   send       Payments and BankTransactions in batches of 50 (summarizeErrors=false, one Idempotency-Key
//              per batch from its content), each Xero id recorded at once; then the BankTransfer
import type { OutboxHandler, OutboxItem, OutboxOutcome } from '../../../server/plugins/contract';
import type { OutboxHandlerContext } from '../../../server/outbox/types';
import { AppError, PermanentError, RetryableError } from '../../../server/errors';
import { nowMs } from '../../../server/db/knex';
import { toWorkerError } from '../client';
import { writeAudit, type AuditEntry } from '../sync/audit';
import { findRecords } from '../sync/records';
import { openSession, type XeroSession } from '../sync/session';
import type { SyncServices } from '../sync/services';
import { ensureClearingAccount } from './clearing';
import { matchUnknownCharges } from './matching';
import { organisationBaseCurrency } from './paymentAccounts';
import { buildPayoutPlan, type HostSide, type LineMatch } from './plan';
import { loadPayoutSettings } from './settings';
import { AWAITING_PAYOUT } from './awaitingPayout';
import { conversionProblem, fxDedupeKey, fxLinesState, postConvertedCharge, type FxLine } from './fx';
import { loadResolvedMappings } from '../mappings/load';
import { loadPayout, setPayoutState, stepsOf, type PayoutLineRow, type PayoutPostPayload, type PayoutRow } from './store';
import { sendSteps } from './send';

/** How soon to look again while the sync is still putting known sales' payments into Xero (× attempts, ≤ 1 min). */
export const WAIT_FOR_SYNC_MS = 1_000;
/** Waiting for the sync spends attempts: enough for hours of a slow sync before a person is told. */
export const PAYOUT_MAX_ATTEMPTS = 300;

type Item = OutboxItem<PayoutPostPayload>;

export async function postPayout(svc: SyncServices, item: Item, hctx: OutboxHandlerContext): Promise<OutboxOutcome> {
  const { ctx } = svc;
  const orgId = item.orgId!;
  const triggeredBy = item.payload.triggeredBy ?? 'system';
  const audit = (entry: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>): AuditEntry =>
    ({ orgId, entityType: 'payout', entityId: item.payload.payoutId, triggeredBy, outboxItemId: item.id, ...entry });
  const loaded = await loadPayout(ctx.db, orgId, item.payload.payoutId);
  if (!loaded) return { status: 'failed', error: `Payout ${item.payload.payoutId} does not exist in this organisation` };
  const { payout, lines } = loaded;
  if (payout.status === 'discrepancy') {
    const message = `The provider's lines add up to ${payout.gross_minor - payout.fee_minor} but the payout is ${payout.amount_minor} (minor units): not posted; check the payout in ${payout.provider}`;
    await setPayoutState(ctx.db, orgId, payout.id, 'discrepancy', message);
    return { status: 'done' };
  }

  const settings = { ...(await loadPayoutSettings(ctx.db, orgId, payout.provider)), roundingAccountCode: (await loadResolvedMappings(ctx.db, orgId)).roundingAccountCode };
  let session: XeroSession;
  try {
    session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
    const baseCurrency = await organisationBaseCurrency(ctx.db, orgId);
    const clearing = await ensureClearingAccount(session, ctx.db, { provider: payout.provider, currency: payout.currency, baseCurrency, accountRef: payout.account_ref }, { verify: true });
    // Written at once: the account exists in Xero now, whatever happens later in this attempt.
    if (clearing.how !== 'cached') await writeAudit(ctx.db, audit({ recordType: 'payout', action: 'created', outcome: 'ok', message: `clearing account "${clearing.name}" ${clearing.how.replace(/_/g, ' ')} (${clearing.accountId})` }));
    const audits: AuditEntry[] = [];

    const hostSide = await settleHostSide(svc, session, item, payout, lines);
    const matches: Map<number, LineMatch> = await matchUnknownCharges(svc, session, orgId, payout, lines.filter((l) => l.kind === 'charge' && l.sale_id === null), settings.threshold, triggeredBy);

    const stepRows = await stepsOf(ctx.db, orgId, session.tenantId, payout.id);
    const posted = new Set(stepRows.filter((s) => s.status === 'posted').map((s) => s.step_key));
    const plan = buildPayoutPlan({
      payout: { id: payout.id, provider: payout.provider, providerPayoutId: payout.provider_payout_id, currency: payout.currency, amountMinor: payout.amount_minor, arrivalDate: payout.arrival_date },
      lines: lines.map((l) => ({
        id: l.id, kind: l.kind, amountMinor: l.amount_minor, feeMinor: l.fee_minor, feeTaxMinor: l.fee_tax_minor, saleId: l.sale_id,
        sourceId: l.source_id, chargeRef: l.charge_ref, description: l.description, occurredAt: l.occurred_at,
        originalAmountMinor: l.original_amount_minor, originalCurrency: l.original_currency,
      })),
      settings, clearingAccountId: clearing.accountId, hostSide, matches, posted,
    });

    const reconcile = item.attempts > 1 || item.payload.reconcile === true;
    const failures: string[] = plan.failed.map((f) => (f.lineId ? `line ${f.lineId}: ${f.reason}` : f.reason));
    const sent = await sendSteps(svc, session, orgId, payout.id, plan.steps, reconcile, item.id, audits, audit);
    failures.push(...sent.failures);
    let transferred = posted.has('XFER');
    if (plan.transfer && sent.failures.length === 0) {
      const t = await sendSteps(svc, session, orgId, payout.id, [plan.transfer], reconcile, item.id, audits, audit);
      failures.push(...t.failures);
      transferred = t.failures.length === 0;
    }
    await writeAudit(ctx.db, audits);

    if (failures.length > 0) {
      const message = failures.slice(0, 5).join('; ') + (failures.length > 5 ? `; and ${failures.length - 5} more` : '');
      await setPayoutState(ctx.db, orgId, payout.id, 'failed', message, clearing.accountId);
      return { status: 'failed', error: message };
    }
    if (plan.waiting.length > 0) {
      const message = `waiting for ${plan.waiting.length} record(s) of the sync to reach Xero (e.g. ${plan.waiting[0]!.reason})`;
      await setPayoutState(ctx.db, orgId, payout.id, 'waiting', message, clearing.accountId);
      return { status: 'retry', error: message, retryAfterMs: Math.min(60_000, WAIT_FOR_SYNC_MS * item.attempts) };
    }
    if (plan.queued.length > 0) {
      await setPayoutState(ctx.db, orgId, payout.id, 'needs_signoff', `${plan.queued.length} charge(s) wait for sign-off`, clearing.accountId);
      return { status: 'done' };
    }
    if (payout.amount_minor !== 0 && !transferred) throw new RetryableError('the transfer is not in Xero yet');
    await setPayoutState(ctx.db, orgId, payout.id, 'posted', null, clearing.accountId, nowMs());
    return { status: 'done' };
  } catch (err) {
    const workerError = err instanceof AppError ? err : toWorkerError(err);
    if (workerError instanceof PermanentError) {
      await setPayoutState(ctx.db, orgId, payout.id, 'failed', workerError.message);
      return { status: 'failed', error: workerError.message };
    }
    throw workerError;
  }
}

/**
 * Known sales' charges and our own refunds are put into Xero by the sync (into/out of clearing). Record the
 * charge on its sale (the host's idempotent ctx.payments.record: a provider plugin may have done so in
 * real time already) and read how far the sync got.
 */
async function settleHostSide(svc: SyncServices, session: XeroSession, item: Item, payout: PayoutRow, lines: PayoutLineRow[]): Promise<Map<number, HostSide>> {
  const { ctx } = svc;
  const { provider, currency } = payout;
  const orgId = payout.org_id;
  const out = new Map<number, HostSide>();
  const paymentOfLine = new Map<number, number>();
  const sales = new Map<number, { currency: string }>();
  const fxLines: FxLine[] = [];
  const refundFxLines: FxLine[] = [];
  /** Refund lines the provider converted from their sale's currency (still to be matched to our refunds). */
  const convertedRefunds = new Set<number>();
  for (const line of lines.filter((l) => l.sale_id !== null && (l.kind === 'charge' || l.kind === 'refund'))) {
    if (!sales.has(line.sale_id!)) {
      const sale = await ctx.db('sales').where({ id: line.sale_id!, org_id: orgId }).first('currency');
      sales.set(line.sale_id!, { currency: String(sale?.currency ?? '') });
    }
    const saleCurrency = sales.get(line.sale_id!)!.currency;
    if (saleCurrency === currency) continue;
    // Converted by the provider: paid in the sale's own currency at the provider's rate by its own item (fx.ts).
    const problem = conversionProblem(payout, line, saleCurrency);
    if (problem) out.set(line.id, { state: 'failed', reason: problem });
    else if (line.kind === 'charge') fxLines.push(line as FxLine);
    else convertedRefunds.add(line.id);
  }
  // Before the charges below, which must leave these alone.
  for (const [lineId, state] of await fxLinesState(svc, item, payout, fxLines)) out.set(lineId, state);

  for (const line of lines) {
    if (line.kind !== 'charge' || line.sale_id === null || out.has(line.id)) continue;
    if (line.amount_minor <= 0) continue;
    try {
      // A Direct Debit's item is dated its charge date, which can still be ahead of our clock when the
      // payout is posted; the host refuses payments received in the future, so never later than now.
      const receivedAt = Math.min(line.occurred_at, Date.now());
      const { paymentId } = await ctx.payments.record(orgId, line.sale_id, { method: provider, amountMinor: line.amount_minor, currency, providerRef: line.charge_ref ?? line.source_id, receivedAt });
      paymentOfLine.set(line.id, paymentId);
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      out.set(line.id, { state: 'failed', reason: `could not record charge ${line.charge_ref ?? line.source_id} on sale ${line.sale_id}: ${err.message}` });
    }
  }
  const paymentKey = { orgId, tenantId: session.tenantId, entityType: 'payment' as const, recordType: 'payment' as const };
  const paymentRecords = await findRecords(ctx.db, paymentKey, [...paymentOfLine.values()]);
  for (const [lineId, paymentId] of paymentOfLine) {
    const record = paymentRecords.get(paymentId);
    if (record?.xeroId && record.status !== 'deleted_upstream') out.set(lineId, { state: 'in_xero' });
    else if (record?.status === 'deleted_upstream') out.set(lineId, { state: 'failed', reason: `the payment of sale for line ${lineId} was removed in Xero` });
    else out.set(lineId, { state: 'waiting', reason: `payment ${paymentId} on its way to Xero` });
  }

  // Our refunds: same sale, same provider, same amount (in the sale's currency: what the provider converted
  // from, when it did); each host refund serves one line.
  const used = new Set<number>();
  const refundLines = lines.filter((l) => l.kind === 'refund' && l.sale_id !== null && !out.has(l.id));
  const refundOfLine = new Map<number, number>();
  for (const line of refundLines) {
    const amountMinor = convertedRefunds.has(line.id) ? -line.original_amount_minor! : -line.amount_minor;
    const candidates = (await ctx.db('refunds').where({ org_id: orgId, sale_id: line.sale_id!, method: provider, amount_minor: amountMinor }).orderBy('id')) as { id: number; provider_ref: string | null }[];
    const pick = candidates.find((r) => r.provider_ref === line.source_id && !used.has(r.id)) ?? candidates.find((r) => !used.has(r.id));
    if (!pick) continue; // not ours: the plan pays it out of clearing to suspense
    used.add(pick.id);
    refundOfLine.set(line.id, pick.id);
  }
  const refundKey = { orgId, tenantId: session.tenantId, entityType: 'refund' as const, recordType: 'refund_payment' as const };
  const refundRecords = await findRecords(ctx.db, refundKey, [...refundOfLine.values()]);
  // Lines this payout already gave an item of their own (one read for all of them).
  const withOwnItem = new Set(((await ctx.db('outbox').whereIn('dedupe_key', [...refundOfLine.keys()].map((lineId) => fxDedupeKey(payout.id, lineId))).select('dedupe_key')) as { dedupe_key: string }[]).map((r) => r.dedupe_key));
  for (const [lineId, refundId] of refundOfLine) {
    const record = refundRecords.get(refundId);
    const line = lines.find((l) => l.id === lineId)!;
    if (record?.status === AWAITING_PAYOUT || (withOwnItem.has(fxDedupeKey(payout.id, lineId)) && record?.status === 'PAID')) {
      // Left for this payout by the sync (awaitingPayout.ts), or already paid out by this payout's own item.
      refundFxLines.push({ ...line, sale_id: line.sale_id!, refundId });
    } else if (record?.status === 'PAID' && convertedRefunds.has(lineId)) {
      out.set(lineId, { state: 'failed', reason: `refund ${refundId} was paid out of the ${line.original_currency} clearing account, but ${provider} converted it into this payout's ${currency}: move it by hand` });
    } else if (record?.status === 'PAID') out.set(lineId, { state: 'in_xero' });
    else if (record) out.set(lineId, { state: 'failed', reason: `refund ${refundId} was not paid out of clearing in Xero: ${record.note ?? record.status}` });
    else out.set(lineId, { state: 'waiting', reason: `refund ${refundId}'s credit note on its way to Xero` });
  }
  for (const [lineId, state] of await fxLinesState(svc, item, payout, refundFxLines)) out.set(lineId, state);
  return out;
}

/** The outbox handler: one payout per item (each is up to hundreds of Xero records, batched inside). */
export function payoutHandler(svc: SyncServices): OutboxHandler<PayoutPostPayload> {
  return {
    batchSize: 1,
    maxAttempts: PAYOUT_MAX_ATTEMPTS,
    // payload.fx: one converted charge of a known sale (fx.ts), queued on the sale's subject.
    handle: async (items, hctx) => Promise.all(items.map((i) => (i.payload.fx ? postConvertedCharge(svc, i, hctx) : postPayout(svc, i, hctx)))),
  };
}
