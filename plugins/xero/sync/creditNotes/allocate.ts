// A refund WITHOUT a method is a credit: allocated to its invoice up to what it has outstanding,
// min(AmountDue, credit), one call per note (Xero's endpoint is per note). A refund WITH a method gave
// money back: never allocated (paid out in full, payOut.ts). What an adopted note already shows done is
// recorded, not done again. Each refund ends this step knowing the credit left to pay out or keep.
import { idempotencyKey, stableJson } from '../../engine/keys';
import { saveRecord } from '../../engine/records';
import { clearMarks, sendMarked } from '../../engine/sendMarks';
import { centsOf, type InvoiceAnswer } from '../../gateway/answers';
import { buildAllocation, xeroDate } from '../../payloads';
import { allocatedSoFar, allocationDecision, amountText, doneOnNote, moneyText, remainingCents } from './decisions';
import { placeInOpenPeriod } from '../lockDates';
import type { Batch, RefundWork } from './work';

export async function allocate(b: Batch, settle: readonly RefundWork[], invoices: ReadonlyMap<string, InvoiceAnswer>): Promise<void> {
  const { ctx } = b.svc;
  const now = () => ctx.clock.now();
  for (const w of settle) {
    const creditCents = w.built ? centsOf(Number(w.built.allocationAmount)) : w.adopted?.totalCents ?? 0;
    const onNote = doneOnNote(w.adopted);
    if (w.adopted && onNote.allocatedCents > 0 && !w.allocationRecord) {
      await saveRecord(ctx.db, b.keys.allocation, { entityId: w.refund.id, status: 'ALLOCATED', amountCents: onNote.allocatedCents, note: `${moneyText(onNote.allocatedCents, w.refund.currency)} (found on the credit note)` }, now());
    }
    if (w.adopted && onNote.paidCents > 0 && !w.payOutRecord) {
      await saveRecord(ctx.db, b.keys.payOut, { entityId: w.refund.id, status: 'PAID', amountCents: onNote.paidCents, note: `${moneyText(onNote.paidCents, w.refund.currency)} (found on the credit note)` }, now());
    }
    const recorded = w.allocationRecord;
    w.allocatedCents = allocatedSoFar(onNote.allocatedCents, recorded);
    w.paidOutCents = onNote.paidCents;

    const invoice = invoices.get(w.invoice.xeroId!.toLowerCase());
    const decision = allocationDecision({
      method: w.refund.method, allocationRecorded: recorded !== undefined, payOutRecorded: w.payOutRecord !== undefined,
      onNote, invoiceDueCents: invoice?.amountDueCents ?? 0, creditCents,
    });
    if (decision.kind === 'money_went_back') {
      await saveRecord(ctx.db, b.keys.allocation, { entityId: w.refund.id, status: 'NONE', note: `not allocated: money went back (${w.refund.method}), so the note is paid out in full` }, now());
    } else if (decision.kind === 'nothing_due') {
      w.notes.push(`not allocated: invoice ${w.invoice.number ?? ''} had nothing left to pay (already paid or credited)`);
      await saveRecord(ctx.db, b.keys.allocation, { entityId: w.refund.id, status: 'NONE', note: w.notes.at(-1)! }, now());
    } else if (decision.kind === 'allocate') {
      await sendAllocation(b, w, decision.amountCents, invoice);
    }
    w.remainingCents = remainingCents(creditCents, w.allocatedCents, w.paidOutCents);
  }
}

async function sendAllocation(b: Batch, w: RefundWork, amountCents: number, invoice: InvoiceAnswer | undefined): Promise<void> {
  const { ctx } = b.svc;
  // Never before its note: a note moved out of a locked period is allocated on the day it is dated.
  const placed = placeInOpenPeriod(xeroDate(w.refund.createdAt), b.lockedUpTo, 'first_open_day');
  const allocation = buildAllocation(amountText(amountCents), { InvoiceID: w.invoice.xeroId! }, placed.kind === 'moved' ? placed.date : xeroDate(w.refund.createdAt));
  const idemKey = idempotencyKey('allocation', [w.item.id], `${w.creditNoteId}|${stableJson(allocation)}`);
  const element = await sendMarked(b.session, ctx.db, [w.item.id], 'allocation',
    (beforeSend) => b.session.xero.allocateCreditNote(w.creditNoteId!, allocation, { idempotencyKey: idemKey, beforeSend }));
  if (element.ok) {
    w.allocatedCents = amountCents;
    await saveRecord(ctx.db, b.keys.allocation, { entityId: w.refund.id, xeroId: element.value.allocationId, status: 'ALLOCATED', amountCents, note: moneyText(amountCents, w.refund.currency) }, ctx.clock.now());
    w.audit.push(b.recorder.audit(w.item, { action: 'allocated', outcome: 'ok', request: allocation, response: element.summary, message: `${moneyText(amountCents, w.refund.currency)} allocated to ${w.invoice.number ?? ''}` }));
    // Keep the invoice's amount due current for another refund of the same sale in this batch.
    if (invoice) invoice.amountDueCents -= amountCents;
  } else {
    await clearMarks(ctx.db, [w.item.id], 'allocation');
    w.notes.push(`not allocated: Xero said ${element.messages.join('; ')}`);
    w.audit.push(b.recorder.audit(w.item, { action: 'unallocated', outcome: 'skipped', request: allocation, response: element.summary, message: element.messages.join('; ') }));
    await saveRecord(ctx.db, b.keys.allocation, { entityId: w.refund.id, status: 'NONE', note: w.notes.at(-1)! }, ctx.clock.now());
  }
}
