// Refund → ACCRECCREDIT credit note, a batch at a time. A refund WITH a method gave money back: the note is
// paid out in full as a refund payment from the method's account (never allocated: the customer's payment,
// even one recorded later, still settles the invoice). A refund WITHOUT a method is a credit: allocated to
// its invoice up to what it has outstanding, the rest staying on the note as the customer's credit (the
// rule: plugins/xero/README.md, "Refunds"; the host's side: server/domain/balance.ts). Three steps per
// refund — note, allocation, refund payment — each recorded in xero_records as it completes, so a retry
// RESUMES at the step it reached instead of starting over:
//   guard.ts        the host's records; the invoice must be in Xero (looked up, never created); removed → skipped
//   reconcile.ts    only what may have landed: ONE lookup by CreditNoteNumber adopts the note and what was done
//                   on it; then the invoices now (status, AmountDue: ONE call) where a note or allocation is to go
//   createNotes.ts  ONE PUT /CreditNotes?summarizeErrors=false; per-element results
//   allocate.ts     refunds without a method: min(AmountDue, credit), per note
//   payOut.ts       refunds with a method: ONE PUT /Payments (or left AWAITING_PAYOUT for the provider's payout)
// The decisions of each step are pure (decisions.ts).
import type { OutboxHandlerContext, OutboxOutcome } from '../../../../server/plugins/contract';
import { batchRecorder } from '../../engine/batchRecorder';
import { findRecords } from '../../engine/records';
import { afterCallFailure, done, finishBatch, type ItemResult } from '../../engine/outcomes';
import { openSession } from '../../engine/session';
import type { XeroServices } from '../../engine/services';
import { mappingsOrFinish } from '../mappingsOrFinish';
import { knownLockedUpTo } from '../lockDates';
import { allocate } from './allocate';
import { createNotes } from './createNotes';
import { guardInvoices, loadRefunds } from './guard';
import { payOut } from './payOut';
import { invoicesNow, reconcileNotes } from './reconcile';
import { recordKeys, undecided, type Batch, type Item, type RefundWork } from './work';

export async function pushCreditNotes(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const recorder = batchRecorder(items, { orgId, entityType: 'refund', recordType: 'credit_note', entityId: (p) => p.refundId });
  const loaded = await mappingsOrFinish(svc, orgId, items, recorder, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal, hctx.holdLease);
  const b: Batch = {
    svc, session, mappings: loaded.mappings, timeZone: loaded.timeZone, recorder, keys: recordKeys(orgId, session.tenantId),
    lockedUpTo: await knownLockedUpTo(ctx.db, orgId),
  };

  try {
    const work = await guardInvoices(b, await loadRefunds(b, items));
    await reconcileNotes(b, work);
    const invoices = await invoicesNow(b, work);
    await createNotes(b, work, invoices);
    const settle = undecided(b, work).filter((w) => w.creditNoteId);
    await allocate(b, settle, invoices);
    await payOut(b, settle);
    await finishRefunds(b, work);
  } catch (err) {
    // Keep what each item already did in its audit; undecided items retry (the next attempt reconciles).
    return afterCallFailure(ctx, items, recorder.results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, recorder.results as ItemResult[], hctx.workerId);
}

/** Each refund with its note in Xero is done: its trail, and what its sync state says besides "synced". */
async function finishRefunds(b: Batch, work: readonly RefundWork[]): Promise<void> {
  for (const w of undecided(b, work)) {
    if (!w.creditNoteId) continue;
    const note = (await findRecords(b.svc.ctx.db, b.keys.note, [w.refund.id])).get(w.refund.id);
    if (w.audit.length === 0) w.audit.push(b.recorder.audit(w.item, { action: 'already_synced', outcome: 'ok', message: `already in Xero as ${note?.number ?? w.number}` }));
    b.recorder.results[w.index] = done({
      ...b.recorder.syncOf(w.refund.id), externalId: w.creditNoteId, externalRef: note?.number ?? w.number, error: w.notes.length ? w.notes.join('; ') : null,
      ...(w.moved?.length ? { note: w.moved.join('; ') } : {}),
    }, w.audit);
  }
}
