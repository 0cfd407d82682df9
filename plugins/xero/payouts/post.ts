// Posting one payout to Xero (outbox type xero.payout.post). Resumable and never double:
//   load       the payout and its lines (ctx.payouts); a 'discrepancy' payout is shown, never posted
//   clearing   the provider's clearing account in the payout currency, verified (re-created if removed)
//   host side  known sales: the charge is recorded on the sale (ctx.payments.record, idempotent on the
//              charge id) and the sync puts its Payment into clearing; our refunds' credit-note refund
//              payments come out of clearing the same way. We wait for both. A known sale's charge the
//              provider converted from the sale's currency is paid on its invoice at the provider's rate
//              by its own item on the sale's subject (fx.ts); we wait for that too.
//   matching   unknown charges are scored against open invoices (matching.ts): posted, queued, or
//              taken by a payout rule; a line going to an account of the chart has that account checked
//              in Xero first (archived or deleted: the line goes back to the sign-off queue, saying why)
//   plan       buildPayoutPlan (pure) minus the steps already recorded
//   reconcile  attempt > 1 or asked: each unsent step looked up in Xero by its Reference and adopted
//   send       Payments and BankTransactions in batches of 50 (summarizeErrors=false, one Idempotency-Key
//              per batch from its content), each Xero id recorded at once; then the BankTransfer
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PayoutLineView, PayoutView } from '../../../server/plugins/contract';
import { AppError, PermanentError, RetryableError } from '../../../server/errors';
import { toWorkerError } from '../gateway/client';
import { writeAudit, type AuditEntry } from '../engine/audit';
import { findRecords } from '../engine/records';
import { saleNamesOf } from '../engine/names';
import { openSession, type XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { ensureClearingAccount } from '../clearing/accounts';
import { checkDecidedAccounts, matchUnknownCharges, requeueUnavailable } from './matching';
import { buildPayoutPlan, type HostSide, type LineMatch } from './plan';
import { providerNameOf } from '../clearing/providers';
import { loadPayoutSettings } from './settings';
import { AWAITING_PAYOUT } from '../clearing/awaitingPayout';
import { conversionProblem, fxDedupeKey, fxLinesState, type FxLine } from './fx';
import { loadResolvedMappings } from '../mappings/load';
import { setPayoutState, stepsOf, type PayoutPostPayload, type PayoutState } from './store';
import { sendSteps } from './send';

/** How soon to look again while the sync is still putting known sales' payments into Xero (× attempts, ≤ 1 min). */
export const WAIT_FOR_SYNC_MS = 1_000;
/** Waiting for the sync spends attempts: enough for hours of a slow sync before a person is told. */
export const PAYOUT_MAX_ATTEMPTS = 300;

type Item = OutboxItem<PayoutPostPayload>;

export async function postPayout(svc: XeroServices, item: Item, hctx: OutboxHandlerContext): Promise<OutboxOutcome> {
  const { ctx } = svc;
  const orgId = item.orgId!;
  const triggeredBy = item.payload.triggeredBy ?? 'system';
  const audit = (entry: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>): AuditEntry =>
    ({ orgId, entityType: 'payout', entityId: item.payload.payoutId, triggeredBy, outboxItemId: item.id, ...entry });
  const loaded = await ctx.payouts.get(ctx.db, orgId, item.payload.payoutId);
  if (!loaded) return { status: 'failed', error: `Payout ${item.payload.payoutId} does not exist in this organisation` };
  const { payout, lines } = loaded;
  const setState = (state: Omit<PayoutState, 'orgId' | 'payoutId'>) => setPayoutState(ctx.db, { orgId, payoutId: payout.id, ...state }, ctx.clock.now());
  if (payout.status === 'discrepancy') {
    const message = `The provider's lines add up to ${payout.grossMinor - payout.feeMinor} but the payout is ${payout.amountMinor} (minor units): not posted; check the payout in ${payout.provider}`;
    await setState({ status: 'discrepancy', message });
    return { status: 'done' };
  }

  const settings = { ...(await loadPayoutSettings(ctx.db, orgId, payout.provider)), roundingAccountCode: (await loadResolvedMappings(ctx.db, orgId)).roundingAccountCode };
  let session: XeroSession;
  try {
    session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
    const { baseCurrency } = await ctx.organisations.get(ctx.db, orgId);
    const clearing = await ensureClearingAccount(ctx, session, { provider: payout.provider, currency: payout.currency, baseCurrency, accountRef: payout.accountRef }, { verify: true });
    // Written at once: the account exists in Xero now, whatever happens later in this attempt.
    if (clearing.how !== 'cached') await writeAudit(ctx.db, audit({ recordType: 'payout', action: 'created', outcome: 'ok', message: `clearing account "${clearing.name}" ${clearing.how.replace(/_/g, ' ')} (${clearing.accountId})` }), ctx.clock.now());
    const audits: AuditEntry[] = [];

    const hostSide = await settleHostSide(svc, session, item, payout, lines);
    const matches: Map<number, LineMatch> = await matchUnknownCharges(svc, session, orgId, payout, lines.filter((l) => l.kind === 'charge' && l.saleId === null), settings.threshold, triggeredBy);

    const stepRows = await stepsOf(ctx.db, orgId, session.tenantId, payout.id);
    const posted = new Set(stepRows.filter((s) => s.status === 'posted').map((s) => s.step_key));
    await checkDecidedAccounts(session, matches, posted);
    // Such a line is a person's question again, not a failure to retry (Xero would refuse it every time).
    await requeueUnavailable(ctx.db, ctx.clock.now(), orgId, payout.id, matches, triggeredBy, item.id);
    const plan = buildPayoutPlan({
      payout: { ...payout, providerName: providerNameOf(ctx, payout.provider) },
      lines,
      settings, clearingAccountId: clearing.accountId, hostSide, matches, posted,
    });

    const reconcile = item.attempts > 1 || item.payload.reconcile === true;
    const failures: string[] = plan.failed.map((f) => (f.lineId ? `line ${f.lineId}: ${f.reason}` : f.reason));
    const sent = await sendSteps(svc, session, orgId, payout.id, plan.steps, reconcile, item.id, audits, audit, { recordOnSale: { provider: payout.provider } });
    failures.push(...sent.failures);
    let transferred = posted.has('XFER');
    if (plan.transfer && sent.failures.length === 0) {
      const t = await sendSteps(svc, session, orgId, payout.id, [plan.transfer], reconcile, item.id, audits, audit);
      failures.push(...t.failures);
      transferred = t.failures.length === 0;
    }
    await writeAudit(ctx.db, audits, ctx.clock.now());

    if (failures.length > 0) {
      const message = failures.slice(0, 5).join('; ') + (failures.length > 5 ? `; and ${failures.length - 5} more` : '');
      await setState({ status: 'failed', message, clearingAccountId: clearing.accountId });
      return { status: 'failed', error: message };
    }
    if (plan.waiting.length > 0) {
      const message = `waiting for ${plan.waiting.length} record(s) of the sync to reach Xero (e.g. ${plan.waiting[0]!.reason})`;
      await setState({ status: 'waiting', message, clearingAccountId: clearing.accountId });
      return { status: 'retry', error: message, retryAfterMs: Math.min(60_000, WAIT_FOR_SYNC_MS * item.attempts) };
    }
    if (plan.queued.length > 0) {
      await setState({ status: 'needs_signoff', message: plan.queued.length === 1 ? '1 charge waits for sign-off' : `${plan.queued.length} charges wait for sign-off`, clearingAccountId: clearing.accountId });
      return { status: 'done' };
    }
    if (payout.amountMinor !== 0 && !transferred) throw new RetryableError('the transfer is not in Xero yet');
    await setState({ status: 'posted', message: null, clearingAccountId: clearing.accountId, postedAt: ctx.clock.now() });
    return { status: 'done' };
  } catch (err) {
    const workerError = err instanceof AppError ? err : toWorkerError(err);
    if (workerError instanceof PermanentError) {
      await setState({ status: 'failed', message: workerError.message });
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
async function settleHostSide(svc: XeroServices, session: XeroSession, item: Item, payout: PayoutView, lines: PayoutLineView[]): Promise<Map<number, HostSide>> {
  const { ctx } = svc;
  const { provider, currency, orgId } = payout;
  const out = new Map<number, HostSide>();
  const paymentOfLine = new Map<number, number>();
  const sales = new Map<number, { currency: string }>();
  const fxLines: FxLine[] = [];
  const refundFxLines: FxLine[] = [];
  /** Refund lines the provider converted from their sale's currency (still to be matched to our refunds). */
  const convertedRefunds = new Set<number>();
  const saleName = await saleNamesOf(ctx.records, ctx.db, orgId, lines.flatMap((l) => (l.saleId === null ? [] : [l.saleId])));
  for (const line of lines.filter((l) => l.saleId !== null && (l.kind === 'charge' || l.kind === 'refund'))) {
    if (!sales.has(line.saleId!)) {
      const sale = await ctx.records.sale(ctx.db, orgId, line.saleId!);
      sales.set(line.saleId!, { currency: sale?.currency ?? '' });
    }
    const saleCurrency = sales.get(line.saleId!)!.currency;
    if (saleCurrency === currency) continue;
    // Converted by the provider: paid in the sale's own currency at the provider's rate by its own item (fx.ts).
    const problem = conversionProblem(payout, line, saleCurrency, saleName(line.saleId!));
    if (problem) out.set(line.id, { state: 'failed', reason: problem });
    else if (line.kind === 'charge') fxLines.push(line as FxLine);
    else convertedRefunds.add(line.id);
  }
  // Before the charges below, which must leave these alone.
  for (const [lineId, state] of await fxLinesState(svc, item, payout, fxLines, saleName)) out.set(lineId, state);

  for (const line of lines) {
    if (line.kind !== 'charge' || line.saleId === null || out.has(line.id)) continue;
    if (line.amountMinor <= 0) continue;
    try {
      // A Direct Debit's item is dated its charge date, which can still be ahead of our clock when the
      // payout is posted; the host refuses payments received in the future, so never later than now.
      const receivedAt = Math.min(line.occurredAt, ctx.clock.now());
      const { paymentId } = await ctx.payments.record(orgId, line.saleId, { method: provider, amountMinor: line.amountMinor, currency, providerRef: line.chargeRef ?? line.sourceId, receivedAt });
      paymentOfLine.set(line.id, paymentId);
    } catch (err) {
      if (!(err instanceof AppError) || err.statusCode >= 500) throw err;
      out.set(line.id, { state: 'failed', reason: `could not record charge ${line.chargeRef ?? line.sourceId} on ${saleName(line.saleId)}: ${err.message}` });
    }
  }
  const paymentKey = { orgId, tenantId: session.tenantId, entityType: 'payment' as const, recordType: 'payment' as const };
  const paymentRecords = await findRecords(ctx.db, paymentKey, [...paymentOfLine.values()]);
  // A deposit (a charge before its invoice, sync/deposits/) is in Xero as a prepayment into clearing instead.
  const prepaymentRecords = await findRecords(ctx.db, { ...paymentKey, recordType: 'prepayment' as const }, [...paymentOfLine.values()]);
  for (const [lineId, paymentId] of paymentOfLine) {
    const record = paymentRecords.get(paymentId) ?? prepaymentRecords.get(paymentId);
    if (record?.xeroId && record.status !== 'deleted_upstream') out.set(lineId, { state: 'in_xero' });
    else if (record?.status === 'deleted_upstream') out.set(lineId, { state: 'failed', reason: `the payment of ${saleName(lines.find((l) => l.id === lineId)!.saleId!)} for line ${lineId} was removed in Xero` });
    else out.set(lineId, { state: 'waiting', reason: `payment ${paymentId} on its way to Xero` });
  }

  // Our refunds: same sale, same provider, same amount (in the sale's currency: what the provider converted
  // from, when it did); each host refund serves one line.
  const used = new Set<number>();
  const refundLines = lines.filter((l) => l.kind === 'refund' && l.saleId !== null && !out.has(l.id));
  const refundOfLine = new Map<number, number>();
  for (const line of refundLines) {
    const amountMinor = convertedRefunds.has(line.id) ? -line.originalAmountMinor! : -line.amountMinor;
    const candidates = (await ctx.records.refundsOfSale(ctx.db, orgId, line.saleId!)).filter((r) => r.method === provider && r.amountMinor === amountMinor);
    const pick = candidates.find((r) => r.providerRef === line.sourceId && !used.has(r.id)) ?? candidates.find((r) => !used.has(r.id));
    if (!pick) continue; // not ours: the plan pays it out of clearing to suspense
    used.add(pick.id);
    refundOfLine.set(line.id, pick.id);
  }
  const refundKey = { orgId, tenantId: session.tenantId, entityType: 'refund' as const, recordType: 'refund_payment' as const };
  const refundRecords = await findRecords(ctx.db, refundKey, [...refundOfLine.values()]);
  // Lines this payout already gave an item of their own (one read for all of them).
  const ownItemKeys = [...refundOfLine.keys()].map((lineId) => fxDedupeKey(payout.id, lineId));
  const withOwnItem = new Set(ownItemKeys.length ? (await ctx.outbox.list(ctx.db, { dedupeKeys: ownItemKeys })).map((i) => i.dedupeKey) : []);
  for (const [lineId, refundId] of refundOfLine) {
    const record = refundRecords.get(refundId);
    const line = lines.find((l) => l.id === lineId)!;
    if (record?.status === AWAITING_PAYOUT || (withOwnItem.has(fxDedupeKey(payout.id, lineId)) && record?.status === 'PAID')) {
      // Left for this payout by the sync (clearing/awaitingPayout.ts), or already paid out by this payout's own item.
      refundFxLines.push({ ...line, saleId: line.saleId!, refundId });
    } else if (record?.status === 'PAID' && convertedRefunds.has(lineId)) {
      out.set(lineId, { state: 'failed', reason: `refund ${refundId} of ${saleName(line.saleId!)} was paid out of the ${line.originalCurrency} clearing account, but ${provider} converted it into this payout's ${currency}: move it by hand` });
    } else if (record?.status === 'PAID') out.set(lineId, { state: 'in_xero' });
    else if (record) out.set(lineId, { state: 'failed', reason: `refund ${refundId} of ${saleName(line.saleId!)} was not paid out of clearing in Xero: ${record.note ?? record.status}` });
    else out.set(lineId, { state: 'waiting', reason: `the credit note of refund ${refundId} of ${saleName(line.saleId!)} on its way to Xero` });
  }
  for (const [lineId, state] of await fxLinesState(svc, item, payout, refundFxLines, saleName)) out.set(lineId, state);
  return out;
}
