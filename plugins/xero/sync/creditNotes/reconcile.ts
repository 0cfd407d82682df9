// Reconcile, only for what may have landed: a step sent and never answered (engine/sendMarks.ts: a timeout,
// a 5xx, a crash) or a resend. ONE lookup by CreditNoteNumber adopts the note with what was already done
// on it (allocations, payments out), so no step is done twice. Then the invoices as they are now (status
// and amount due, ONE call), for the refunds with a note or an allocation still to make.
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord } from '../../engine/records';
import { markedItems } from '../../engine/sendMarks';
import type { InvoiceAnswer } from '../../gateway/answers';
import { allocationSettled, mayHaveLanded } from './decisions';
import { undecided, type Batch, type RefundWork } from './work';

export async function reconcileNotes(b: Batch, work: readonly RefundWork[]): Promise<void> {
  const { ctx } = b.svc;
  const retried = work.filter((w) => w.item.attempts > 1).map((w) => w.item);
  const marked = {
    note: await markedItems(ctx.db, retried, 'credit_note'),
    allocation: await markedItems(ctx.db, retried, 'allocation'),
    payOut: await markedItems(ctx.db, retried, 'refund_payment'),
  };
  const lookup = work.filter((w) => mayHaveLanded(w.item.payload.reconcile === true, {
    hasNote: w.creditNoteId !== undefined,
    allocationRecorded: w.allocationRecord !== undefined,
    payOutRecorded: w.payOutRecord !== undefined,
    marked: { note: marked.note.has(w.item.id), allocation: marked.allocation.has(w.item.id), payOut: marked.payOut.has(w.item.id) },
  }));
  if (lookup.length === 0) return;

  for (const note of await b.session.xero.findCreditNotesByNumber(lookup.map((w) => w.number))) {
    const w = lookup.find((x) => x.number.toLowerCase() === note.number?.toLowerCase());
    if (!w) continue;
    const status = note.status ?? 'UNKNOWN';
    if (isRemovedInXero(status)) {
      await saveRecord(ctx.db, b.keys.note, { entityId: w.refund.id, xeroId: note.creditNoteId, number: w.number, status: DELETED_UPSTREAM, note: `${status} in Xero` }, ctx.clock.now());
      continue;
    }
    if (!w.creditNoteId) {
      w.audit.push(b.recorder.audit(w.item, { action: 'adopted', outcome: 'ok', response: note.summary, message: `found in Xero by number ${w.number} before re-sending; adopted` }));
    }
    w.creditNoteId = note.creditNoteId;
    w.adopted = note;
    await saveRecord(ctx.db, b.keys.note, { entityId: w.refund.id, xeroId: note.creditNoteId, number: w.number, status }, ctx.clock.now());
  }
  for (const w of lookup) {
    const record = (await findRecords(ctx.db, b.keys.note, [w.refund.id])).get(w.refund.id);
    if (record?.status === DELETED_UPSTREAM) b.recorder.skip(w.item, w.index, `Credit note ${w.number} was voided or deleted in Xero; it is not pushed again`);
  }
}

/** The invoices as Xero holds them now, by lower-cased InvoiceID; a refund whose invoice went (and has no note yet) is skipped. */
export async function invoicesNow(b: Batch, work: readonly RefundWork[]): Promise<Map<string, InvoiceAnswer>> {
  const { ctx } = b.svc;
  const orgId = b.session.orgId;
  const need = undecided(b, work).filter((w) => !w.creditNoteId || !allocationSettled(w.refund.method, {
    allocationRecorded: w.allocationRecord !== undefined, payOutRecorded: w.payOutRecord !== undefined,
  }, w.adopted));
  const ids = [...new Set(need.map((w) => w.invoice.xeroId!))];
  const invoices = new Map<string, InvoiceAnswer>();
  if (ids.length > 0) for (const inv of await b.session.xero.getInvoices(ids)) invoices.set(inv.invoiceId.toLowerCase(), inv);
  for (const w of need) {
    const state = invoices.get(w.invoice.xeroId!.toLowerCase());
    const status = state?.status ?? undefined;
    if (state && !isRemovedInXero(status)) continue;
    const how = state ? status!.toLowerCase() : 'deleted';
    await saveRecord(ctx.db, b.keys.invoice, { entityId: w.sale.id, status: DELETED_UPSTREAM, note: state ? `${status} in Xero` : 'not found in Xero' }, ctx.clock.now());
    await ctx.sync.upsert(ctx.db, { orgId, entityType: 'sale', entityId: w.sale.id, recordType: 'invoice', status: 'deleted_upstream', error: `Invoice ${w.invoice.number ?? ''} was ${how} in Xero` });
    if (!w.creditNoteId) {
      b.recorder.skip(w.item, w.index, `Skipped: the invoice ${w.invoice.number ?? ''} was ${how} in Xero by the accountant, so no credit note is created for this refund`);
    }
  }
  return invoices;
}
