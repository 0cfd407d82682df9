// What no allocation took: a refund WITH a method is paid out in ONE PUT /Payments for the batch, from the
// method's account (a Stripe/GoCardless refund without one: from the provider's clearing account); a
// provider refund the provider may convert is left for its payout (clearing/awaitingPayout.ts: recorded
// AWAITING_PAYOUT, paid out from the payout's clearing account at the provider's rate); a refund WITHOUT a
// method keeps its credit on the note, as the customer's, for the accountant to allocate later.
import { saleNameOf } from '../../engine/names';
import { PermanentError } from '../../../../server/errors';
import { AWAITING_PAYOUT, refundsAwaitingPayout } from '../../clearing/awaitingPayout';
import { withClearingAccounts } from '../../clearing/paymentAccounts';
import { idempotencyKey, stableJson } from '../../engine/keys';
import { saveRecord } from '../../engine/records';
import { clearMarks, sendMarked } from '../../engine/sendMarks';
import { permanentMessage } from '../../engine/services';
import { centsOf } from '../../gateway/answers';
import type { XeroPayment } from '../../gateway/documents';
import { buildCreditNoteRefundPayment } from '../../payloads';
import { afterLockRefusal, LOCK_DATE_REFUSAL, placeInOpenPeriod, readLockDates } from '../lockDates';
import { retryLater } from '../../engine/outcomes';
import { enqueueHistoryNote } from '../historyNotes';
import { amountText, creditLeft, moneyText, payOutDecision } from './decisions';
import type { Batch, RefundWork } from './work';

export async function payOut(b: Batch, settle: readonly RefundWork[]): Promise<void> {
  const { ctx } = b.svc;
  const orgId = b.session.orgId;
  const now = () => ctx.clock.now();
  const leftOver = settle.filter((w) => creditLeft({ payOutRecorded: w.payOutRecord !== undefined, remainingCents: w.remainingCents ?? 0 }));
  const awaiting = leftOver.some((w) => w.refund.method !== null)
    ? await refundsAwaitingPayout(ctx, { orgId, tenantId: b.session.tenantId }, (await ctx.organisations.get(ctx.db, orgId)).baseCurrency, b.mappings, leftOver.map((w) => w.refund))
    : new Set<number>();
  // Stripe/GoCardless refunds without a mapped account: out of the provider's clearing account.
  const mappings = await withClearingAccounts(ctx, b.session, b.mappings, leftOver.filter((w) => !awaiting.has(w.refund.id)).map((w) => w.refund));

  /** Nothing goes out for this refund now: say why on its sync state, its record and its trail. */
  const noPayment = async (w: RefundWork, status: string, action: 'awaiting_payout' | 'unallocated', note: string) => {
    w.notes.push(note);
    await saveRecord(ctx.db, b.keys.payOut, { entityId: w.refund.id, status, note }, now());
    w.audit.push(b.recorder.audit(w.item, { action, outcome: 'skipped', message: note }));
  };
  const toPay: { w: RefundWork; payment: XeroPayment; moved?: string }[] = [];
  for (const w of leftOver) {
    const amount = amountText(w.remainingCents!);
    const shown = moneyText(w.remainingCents!, w.refund.currency);
    const decision = payOutDecision({ method: w.refund.method, awaitingPayout: awaiting.has(w.refund.id) });
    if (decision === 'awaiting_payout') {
      await noPayment(w, AWAITING_PAYOUT, 'awaiting_payout', `${shown} to be paid out when ${w.refund.method}'s payout is posted (from its clearing account, at ${w.refund.method}'s rate if it converted the refund)`);
    } else if (decision === 'keep_as_credit') {
      await noPayment(w, 'NONE', 'unallocated', `${shown} left on the credit note as the customer's credit: the refund has no payment method, so no money out is recorded`);
    } else {
      try {
        const payment = buildCreditNoteRefundPayment(w.refund, w.creditNoteId!, mappings, { amount, timeZone: b.timeZone });
        // The money out, dated inside a locked period: on the first open day, or held (the note stands; the
        // item fails for the admin and, retried after the decision, resumes here).
        const placed = placeInOpenPeriod(payment.Date, b.lockedUpTo, b.mappings.lockedPeriod);
        if (placed.kind === 'held') {
          b.recorder.fail(w.item, w.index, `Refund payment: ${placed.error}`, {}, placed.note);
          continue;
        }
        if (placed.kind === 'moved') {
          payment.Date = placed.date;
          (w.moved ??= []).push(`Refund payment ${placed.note.charAt(0).toLowerCase()}${placed.note.slice(1)}`);
        }
        toPay.push({ w, payment, ...(placed.kind === 'moved' ? { moved: w.moved!.at(-1)! } : {}) });
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        // The credit note stands; the money out is left to the accountant, and we say why.
        await noPayment(w, 'NONE', 'unallocated', `${shown} left unallocated on the credit note: ${permanentMessage(err)}`);
      }
    }
  }
  if (toPay.length === 0) return;

  const payloads = toPay.map((p) => p.payment);
  const idemKey = idempotencyKey('refundpayments', toPay.map((p) => p.w.item.id), stableJson(payloads));
  const elements = await sendMarked(b.session, ctx.db, toPay.map((p) => p.w.item.id), 'refund_payment',
    (beforeSend) => b.session.xero.createPayments(payloads, { idempotencyKey: idemKey, beforeSend }));
  await clearMarks(ctx.db, toPay.filter((_, n) => !elements[n]!.ok).map((p) => p.w.item.id), 'refund_payment');
  const lockRefused: { w: RefundWork; payment: XeroPayment; messages: readonly string[] }[] = [];
  for (const [n, { w, payment, moved }] of toPay.entries()) {
    const element = elements[n]!;
    if (element.ok) {
      await saveRecord(ctx.db, b.keys.payOut, { entityId: w.refund.id, xeroId: element.value.paymentId, status: 'PAID', amountCents: centsOf(payment.Amount), note: `${payment.Amount.toFixed(2)} ${w.refund.currency}` }, now());
      w.audit.push(b.recorder.audit(w.item, { action: 'refund_paid', outcome: 'ok', request: payment, response: element.summary, message: `${payment.Amount.toFixed(2)} ${w.refund.currency} paid out from ${'Code' in payment.Account ? payment.Account.Code : 'the clearing account'}${moved ? `. ${moved}` : ''}` }));
      if (moved && element.value.paymentId && b.svc.historyNotes) {
        await enqueueHistoryNote(ctx, orgId, { recordType: 'payment', xeroId: element.value.paymentId, entityType: 'refund', entityId: w.refund.id, details: `Ledgerbridge refund ${w.refund.id} of ${await saleNameOf(ctx.records, ctx.db, orgId, w.sale.id)}: ${moved}` });
      }
    } else if (element.messages.some((m) => LOCK_DATE_REFUSAL.test(m))) {
      // Not recorded as a pay-out step: the retry resumes here, dated in the first open day (or held).
      lockRefused.push({ w, payment, messages: element.messages });
    } else {
      const message = `refund payment refused by Xero: ${element.messages.join('; ')}`;
      w.notes.push(message);
      await saveRecord(ctx.db, b.keys.payOut, { entityId: w.refund.id, status: 'NONE', note: message }, now());
      w.audit.push(b.recorder.audit(w.item, { action: 'unallocated', outcome: 'skipped', request: payment, response: element.summary, message }));
    }
  }
  if (lockRefused.length > 0) {
    const locked = await readLockDates(b.session, ctx.db, now());
    for (const { w, payment, messages } of lockRefused) {
      const next = afterLockRefusal(payment.Date, locked, messages);
      if (next.retry) b.recorder.results[w.index] = retryLater(next.message, [...w.audit, b.recorder.audit(w.item, { action: 'retry', outcome: 'retry', message: `refund payment ${next.audit}` })], 0);
      else b.recorder.fail(w.item, w.index, `Refund payment: ${next.message}`);
    }
  }
}
