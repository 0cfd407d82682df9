// The first steps: the host's records of each refund, then the guard. The invoice must be in Xero (its item
// ran first: same outbox subject); one not recorded is looked up by InvoiceNumber (a sale from before the
// plugin): a refund never creates an invoice. A note or invoice removed in Xero skips the refund with the reason.
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord } from '../../engine/records';
import { saleNameOf } from '../../engine/names';
import { creditNoteNumberFor, invoiceNumberFor } from '../../payloads';
import { done, retryLater } from '../../engine/outcomes';
import { guardRefund } from './decisions';
import { depositIds } from '../deposits/store';
import type { Batch, Item, LoadedRefund, RefundWork } from './work';

export async function loadRefunds(b: Batch, items: readonly Item[]): Promise<LoadedRefund[]> {
  const { ctx } = b.svc;
  const loaded: LoadedRefund[] = [];
  // Given back out of a deposit's prepayment (../deposits/): no money goes out of the note again, so it is
  // treated as a credit, allocated to the invoice.
  const outOfDeposits = await depositIds(ctx.db, b.session.orgId, 'refund', items.map((i) => i.payload.refundId));
  for (const [index, item] of items.entries()) {
    const found = await ctx.records.refund(ctx.db, item.orgId!, item.payload.refundId);
    const refund = found && outOfDeposits.has(found.id) ? { ...found, method: null } : found;
    const sale = refund && (await ctx.records.sale(ctx.db, item.orgId!, refund.saleId));
    if (!refund || !sale) b.recorder.fail(item, index, `Refund ${item.payload.refundId} no longer exists in this organisation`);
    else loaded.push({ item, index, refund, sale });
  }
  return loaded;
}

export async function guardInvoices(b: Batch, loaded: readonly LoadedRefund[]): Promise<RefundWork[]> {
  const { ctx } = b.svc;
  const saleIds = loaded.map((l) => l.sale.id);
  const recorded = await findRecords(ctx.db, b.keys.invoice, saleIds);
  const unknown = loaded.filter((l) => !recorded.get(l.sale.id)?.xeroId && !isRemovedInXero(recorded.get(l.sale.id)?.status));
  if (unknown.length > 0) {
    // Never create an invoice from here: find one that exists, else stop.
    const found = await b.session.xero.findInvoicesByNumber(unknown.map((l) => invoiceNumberFor(l.sale.id, b.mappings)));
    for (const inv of found) {
      const l = unknown.find((u) => invoiceNumberFor(u.sale.id, b.mappings).toLowerCase() === inv.number?.toLowerCase());
      if (!l) continue;
      const status = inv.status ?? 'UNKNOWN';
      await saveRecord(ctx.db, b.keys.invoice, { entityId: l.sale.id, xeroId: inv.invoiceId, number: inv.number, status: isRemovedInXero(status) ? DELETED_UPSTREAM : status }, ctx.clock.now());
    }
  }

  const invoices = await findRecords(ctx.db, b.keys.invoice, saleIds);
  const notes = await findRecords(ctx.db, b.keys.note, loaded.map((l) => l.refund.id));
  const work: RefundWork[] = [];
  for (const l of loaded) {
    const invoice = invoices.get(l.sale.id);
    const number = creditNoteNumberFor(l.refund.id, b.mappings);
    const note = notes.get(l.refund.id);
    if (l.sale.cancellation && !note?.xeroId && (await settledByCancellation(b, l, invoice?.xeroId ?? null))) continue;
    switch (guardRefund(note, invoice)) {
      case 'note_removed':
        b.recorder.skip(l.item, l.index, `Credit note ${number} was voided or deleted in Xero; it is not pushed again`);
        break;
      case 'no_invoice':
        b.recorder.fail(l.item, l.index, `The Xero invoice ${invoiceNumberFor(l.sale.id, b.mappings)} for ${await saleNameOf(ctx.records, ctx.db, l.sale.orgId, l.sale.id)} is not in Xero, so this refund has nothing to credit. Send the sale first, then retry this refund.`);
        break;
      case 'invoice_removed':
        b.recorder.skip(l.item, l.index, `Skipped: the invoice ${invoice!.number ?? ''} was voided or deleted in Xero by the accountant, so no credit note is created for this refund`);
        break;
      case 'proceed':
        work.push({ ...l, invoice: invoice!, number, creditNoteId: note?.xeroId ?? undefined, allocatedCents: 0, paidOutCents: 0, notes: [], audit: [] });
    }
  }

  // Where each refund stands: the steps recorded by earlier attempts.
  const allocations = await findRecords(ctx.db, b.keys.allocation, work.map((w) => w.refund.id));
  const payOuts = await findRecords(ctx.db, b.keys.payOut, work.map((w) => w.refund.id));
  for (const w of work) {
    w.allocationRecord = allocations.get(w.refund.id);
    w.payOutRecord = payOuts.get(w.refund.id);
  }
  return work;
}

/**
 * A booking cancelled with its deposit kept is in Xero as the kept money's invoice alone (../deposits/), posted by
 * the deposit push. A refund that gave nothing back (the booking owes nothing once cancelled) or came out of a
 * deposit (its prepayment already paid it back; the kept money is what was paid less what went back) has nothing
 * to credit there: done, saying so. Money given back otherwise is credited and paid out on that invoice, which is
 * for it as well; until the deposit push has posted it, the refund waits (never fails: it is on its way).
 * True when the refund is settled here.
 */
async function settledByCancellation(b: Batch, l: LoadedRefund, invoiceId: string | null): Promise<boolean> {
  if (l.refund.method === null) {
    const message = 'Nothing to credit in Xero: the booking was cancelled with its deposit kept, and the invoice of the kept money already accounts for this refund';
    b.recorder.results[l.index] = done({ ...b.recorder.syncOf(l.refund.id), note: message }, [b.recorder.audit(l.item, { action: 'skipped', outcome: 'skipped', message })]);
    return true;
  }
  if (invoiceId) return false;
  b.recorder.results[l.index] = retryLater(`Waits for the invoice of the kept deposit (${invoiceNumberFor(l.sale.id, b.mappings)}): the booking was cancelled`);
  return true;
}
