// Build every refund's credit note (its amounts decide what to allocate or pay out, even when the note is
// already in Xero), and create the missing ones in ONE PUT /CreditNotes?summarizeErrors=false: each element
// recorded as Xero answers it, so a retry resumes after the notes that were created.
import { PermanentError } from '../../../../server/errors';
import { idempotencyKey, payloadHash, stableJson } from '../../engine/keys';
import { saveRecord } from '../../engine/records';
import { saleNamesOf } from '../../engine/names';
import { clearMarks, sendMarked } from '../../engine/sendMarks';
import { permanentMessage } from '../../engine/services';
import { MappingToFixError } from '../../mappings/resolve';
import { mappingToFix } from '../../mappings/toFix';
import type { InvoiceAnswer } from '../../gateway/answers';
import { buildCreditNote } from '../../payloads';
import { enqueueHistoryNote } from '../historyNotes';
import { afterLockRefusal, LOCK_DATE_REFUSAL, placeInOpenPeriod, readLockDates } from '../lockDates';
import { retryLater } from '../../engine/outcomes';
import { undecided, type Batch, type RefundWork } from './work';

export async function createNotes(b: Batch, work: readonly RefundWork[], invoices: ReadonlyMap<string, InvoiceAnswer>): Promise<void> {
  const { ctx } = b.svc;
  const toCreate: RefundWork[] = [];
  const pending = undecided(b, work);
  const saleName = await saleNamesOf(ctx.records, ctx.db, b.session.orgId, pending.map((w) => w.sale.id));
  for (const w of pending) {
    try {
      const contactId = invoices.get(w.invoice.xeroId!.toLowerCase())?.contact?.contactId;
      w.built = buildCreditNote(w.refund, w.sale, b.mappings, {
        contact: contactId ? { ContactID: contactId } : { Name: w.sale.customer.name, ContactNumber: `LB-C-${w.sale.customer.id}` },
        now: ctx.clock.now(),
        timeZone: b.timeZone,
        saleName,
      });
      if (!w.creditNoteId) {
        // Dated inside a period locked in Xero: on the first open day, or held for the admin (the setting).
        const placed = placeInOpenPeriod(w.built.payload.Date, b.lockedUpTo, b.mappings.lockedPeriod);
        if (placed.kind === 'held') {
          b.recorder.fail(w.item, w.index, placed.error, {}, placed.note);
          continue;
        }
        if (placed.kind === 'moved') {
          w.built.payload.Date = placed.date;
          (w.moved ??= []).push(`Credit note ${placed.note.charAt(0).toLowerCase()}${placed.note.slice(1)}`);
        }
        toCreate.push(w);
      }
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      b.recorder.fail(w.item, w.index, permanentMessage(err), {}, err instanceof MappingToFixError ? err.note : undefined);
    }
  }
  if (toCreate.length === 0) return;

  const payloads = toCreate.map((w) => w.built!.payload);
  const unitdp = toCreate.some((w) => w.built!.unitdp === 4) ? 4 : 2;
  const idemKey = idempotencyKey('creditnotes', toCreate.map((w) => w.item.id), stableJson(payloads));
  const elements = await sendMarked(b.session, ctx.db, toCreate.map((w) => w.item.id), 'credit_note',
    (beforeSend) => b.session.xero.createCreditNotes(payloads, { unitdp, idempotencyKey: idemKey, beforeSend }));
  // Refused elements were not created; created ones are recorded below (a retry resumes after them).
  await clearMarks(ctx.db, toCreate.filter((_, n) => !elements[n]!.ok).map((w) => w.item.id), 'credit_note');
  const lockRefused: { w: RefundWork; messages: readonly string[] }[] = [];
  for (const [n, w] of toCreate.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, unitdp, payload: w.built!.payload, expected: w.built!.expected, basis: w.built!.basis };
    if (!element.ok && element.messages.some((m) => LOCK_DATE_REFUSAL.test(m))) {
      lockRefused.push({ w, messages: element.messages });
      continue;
    }
    if (!element.ok) {
      b.recorder.fail(w.item, w.index, element.messages.join('; ') || 'Xero refused this credit note without a message', { request, response: element.summary },
        mappingToFix(element.messages, w.built!.coding));
      continue;
    }
    w.creditNoteId = element.value.creditNoteId;
    await saveRecord(ctx.db, b.keys.note, {
      entityId: w.refund.id, xeroId: w.creditNoteId, number: element.value.number ?? w.number, status: element.value.status ?? 'AUTHORISED', payloadHash: payloadHash(w.built!.payload),
    }, ctx.clock.now());
    const moved = w.moved?.at(-1);
    w.audit.push(b.recorder.audit(w.item, { action: 'created', outcome: 'ok', request, response: element.summary, ...(moved ? { message: moved } : {}) }));
    if (b.svc.historyNotes) {
      await enqueueHistoryNote(ctx, b.session.orgId, {
        recordType: 'credit_note', xeroId: w.creditNoteId, entityType: 'refund', entityId: w.refund.id,
        details: `Created by Ledgerbridge from refund ${w.refund.id} of ${saleName(w.sale.id)}${w.invoice.number ? ` (Xero invoice ${w.invoice.number})` : ''}${moved ? `. ${moved}` : ''}`,
      });
    }
  }
  if (lockRefused.length > 0) {
    // Xero refused notes for a lock date: read its lock dates once; the next attempt places them.
    const locked = await readLockDates(b.session, ctx.db, ctx.clock.now());
    for (const { w, messages } of lockRefused) {
      const next = afterLockRefusal(w.built!.payload.Date, locked, messages);
      if (next.retry) b.recorder.results[w.index] = retryLater(next.message, [...w.audit, b.recorder.audit(w.item, { action: 'retry', outcome: 'retry', message: next.audit })], 0);
      else b.recorder.fail(w.item, w.index, next.message);
    }
  }
}
