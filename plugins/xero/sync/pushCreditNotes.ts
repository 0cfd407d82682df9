// Refund → ACCRECCREDIT credit note. A refund WITH a method gave money back: the note is paid out in full as a
// refund payment from the method's account (never allocated: the customer's payment, even one recorded
// later, still settles the invoice). A refund WITHOUT a method is a credit: allocated to its invoice up to
// what it has outstanding, the rest staying on the note as the customer's credit (the rule:
// plugins/xero/README.md, "Refunds"; the host's side: server/domain/balance.ts). A batch at a time, three
// steps per refund — note, allocation, refund payment — each recorded in xero_records as it completes, so
// a retry RESUMES at the step it reached instead of starting over:
//   guard      the invoice must be in Xero (its item ran first: same outbox subject). Not recorded → ONE
//              lookup by InvoiceNumber (a sale from before the plugin): never creates an invoice here.
//              Voided/deleted there → the refund is skipped with the reason, nothing created.
//   reconcile  only for a step whose request may have landed unanswered (engine/sendMarks.ts: a timeout, a 5xx, a
//              crash) or a resend: ONE lookup by CreditNoteNumber, adopting the note with its allocations and
//              payments, so no step is done twice. A retry after a definite refusal or a rate-budget deferral
//              looks nothing up.
//   invoices   ONE GET of the invoices by id (status and AmountDue now: paid, credited, voided since?), only
//              for refunds that still have a note to create or an allocation to make
//   send       ONE PUT /CreditNotes?summarizeErrors=false; per-element results
//   allocate   per credit note without a method (Xero's endpoint is per note): min(AmountDue, credit)
//   pay out    ONE PUT /Payments for every note with a method, from the refund method's account — except a
//              Stripe/GoCardless refund the provider may convert (clearing/awaitingPayout.ts): recorded as
//              AWAITING_PAYOUT and paid out by its payout, from the payout's clearing account at its rate
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, RefundSnapshot, SaleSnapshot } from '../../../server/plugins/contract';
import { PermanentError } from '../../../server/errors';
import {
  buildAllocation, buildCreditNote, buildCreditNoteRefundPayment, creditNoteNumberFor, invoiceNumberFor, xeroDate, type BuiltCreditNote,
} from '../payloads';
import type { CreditNoteAnswer, InvoiceAnswer } from '../gateway/answers';
import type { XeroPayment } from '../gateway/documents';
import type { AuditEntry } from '../engine/audit';
import { enqueueHistoryNote } from './historyNotes';
import { afterCallFailure, done, finishBatch, type ItemResult } from '../engine/outcomes';
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord, type RecordKey, type XeroRecord } from '../engine/records';
import { idempotencyKey, payloadHash, stableJson } from '../engine/keys';
import { openSession } from '../engine/session';
import { clearMarks, markedItems, sendMarked } from '../engine/sendMarks';
import { AWAITING_PAYOUT, refundsAwaitingPayout } from '../clearing/awaitingPayout';
import { withClearingAccounts } from '../clearing/paymentAccounts';
import { batchRecorder } from '../engine/batchRecorder';
import { mappingsOrFinish } from './mappingsOrFinish';
import { permanentMessage, type XeroServices } from '../engine/services';
import type { CreditNotePushPayload } from './types';

type Item = OutboxItem<CreditNotePushPayload>;

interface Work {
  item: Item;
  index: number;
  refund: RefundSnapshot;
  sale: SaleSnapshot;
  invoice: XeroRecord;
  number: string;
  creditNoteId?: string;
  built?: BuiltCreditNote;
  /** Credit (cents) still to allocate or pay out. */
  remainingCents?: number;
  allocatedCents: number;
  paidOutCents: number;
  notes: string[];
  audit: AuditEntry[];
}

const cents = (amount: number | string | undefined): number => Math.round(Number(amount ?? 0) * 100);
const money = (c: number): string => (c / 100).toFixed(2);

export async function pushCreditNotes(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const batch = batchRecorder(items, { orgId, entityType: 'refund', recordType: 'credit_note', entityId: (p) => p.refundId });
  const { results, syncOf, audit, fail, skip } = batch;
  const loaded = await mappingsOrFinish(svc, orgId, items, batch, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const { mappings } = loaded;

  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  const invoiceKey: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'sale', recordType: 'invoice' };
  const noteKey: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'refund', recordType: 'credit_note' };
  const allocationKey: RecordKey = { ...noteKey, recordType: 'allocation' };
  const payoutKey: RecordKey = { ...noteKey, recordType: 'refund_payment' };
  const work: Work[] = [];

  try {
    // ---- the host records ----
    const loaded: { item: Item; index: number; refund: RefundSnapshot; sale: SaleSnapshot }[] = [];
    for (const [index, item] of items.entries()) {
      const refund = await ctx.records.refund(ctx.db, orgId, item.payload.refundId);
      const sale = refund && (await ctx.records.sale(ctx.db, orgId, refund.saleId));
      if (!refund || !sale) fail(item, index, `Refund ${item.payload.refundId} no longer exists in this organisation`);
      else loaded.push({ item, index, refund, sale });
    }

    // ---- guard: the invoice ----
    const invoices = await findRecords(ctx.db, invoiceKey, loaded.map((l) => l.sale.id));
    const unknownInvoices = loaded.filter((l) => !invoices.get(l.sale.id)?.xeroId && !isRemovedInXero(invoices.get(l.sale.id)?.status));
    if (unknownInvoices.length > 0) {
      // Never create an invoice from here: find one that exists (a sale from before the plugin), else stop.
      const numbers = unknownInvoices.map((l) => invoiceNumberFor(l.sale.id, mappings));
      const found = await session.xero.findInvoicesByNumber(numbers);
      for (const inv of found) {
        const l = unknownInvoices.find((u) => invoiceNumberFor(u.sale.id, mappings).toLowerCase() === inv.number?.toLowerCase());
        if (!l) continue;
        const status = inv.status ?? 'UNKNOWN';
        await saveRecord(ctx.db, invoiceKey, { entityId: l.sale.id, xeroId: inv.invoiceId, number: inv.number, status: isRemovedInXero(status) ? DELETED_UPSTREAM : status }, ctx.clock.now());
      }
    }
    const invoicesNow = await findRecords(ctx.db, invoiceKey, loaded.map((l) => l.sale.id));
    const notes = await findRecords(ctx.db, noteKey, loaded.map((l) => l.refund.id));
    for (const l of loaded) {
      const invoice = invoicesNow.get(l.sale.id);
      const number = creditNoteNumberFor(l.refund.id, mappings);
      const note = notes.get(l.refund.id);
      if (isRemovedInXero(note?.status)) {
        skip(l.item, l.index, `Credit note ${number} was voided or deleted in Xero; it is not pushed again`);
      } else if (!invoice) {
        fail(l.item, l.index, `The invoice ${invoiceNumberFor(l.sale.id, mappings)} for sale ${l.sale.id} is not in Xero, so this refund has nothing to credit. Send the sale first, then retry this refund.`);
      } else if (isRemovedInXero(invoice.status)) {
        skip(l.item, l.index, `Skipped: the invoice ${invoice.number ?? ''} was voided or deleted in Xero by the accountant, so no credit note is created for this refund`);
      } else {
        work.push({ ...l, invoice, number, creditNoteId: note?.xeroId ?? undefined, allocatedCents: 0, paidOutCents: 0, notes: [], audit: [] });
      }
    }

    // ---- where each refund stands: the steps recorded so far, and the requests that may have landed ----
    const allocations = await findRecords(ctx.db, allocationKey, work.map((w) => w.refund.id));
    const payouts = await findRecords(ctx.db, payoutKey, work.map((w) => w.refund.id));
    const retried = work.filter((w) => w.item.attempts > 1).map((w) => w.item);
    const marked = {
      note: await markedItems(ctx.db, retried, 'credit_note'),
      allocation: await markedItems(ctx.db, retried, 'allocation'),
      payout: await markedItems(ctx.db, retried, 'refund_payment'),
    };
    const mayHaveLanded = (w: Work) => w.item.payload.reconcile === true
      || (!w.creditNoteId && marked.note.has(w.item.id))
      || (!allocations.has(w.refund.id) && marked.allocation.has(w.item.id))
      || (!payouts.has(w.refund.id) && marked.payout.has(w.item.id));

    // ---- reconcile: only what may have landed (and the note's allocations / payments with it) ----
    const adoptedNotes = new Map<number, CreditNoteAnswer>();
    const lookup = work.filter(mayHaveLanded);
    if (lookup.length > 0) {
      const found = await session.xero.findCreditNotesByNumber(lookup.map((w) => w.number));
      for (const note of found) {
        const w = lookup.find((x) => x.number.toLowerCase() === note.number?.toLowerCase());
        if (!w) continue;
        const status = note.status ?? 'UNKNOWN';
        const id = note.creditNoteId;
        if (isRemovedInXero(status)) {
          await saveRecord(ctx.db, noteKey, { entityId: w.refund.id, xeroId: id, number: w.number, status: DELETED_UPSTREAM, note: `${status} in Xero` }, ctx.clock.now());
          continue;
        }
        if (!w.creditNoteId) w.audit.push(audit(w.item, { action: 'adopted', outcome: 'ok', response: note.summary, message: `found in Xero by number ${w.number} before re-sending; adopted` }));
        w.creditNoteId = id;
        adoptedNotes.set(w.refund.id, note);
        await saveRecord(ctx.db, noteKey, { entityId: w.refund.id, xeroId: id, number: w.number, status }, ctx.clock.now());
      }
      for (const w of [...lookup]) {
        const record = (await findRecords(ctx.db, noteKey, [w.refund.id])).get(w.refund.id);
        if (record?.status === DELETED_UPSTREAM) {
          skip(w.item, w.index, `Credit note ${w.number} was voided or deleted in Xero; it is not pushed again`);
          work.splice(work.indexOf(w), 1);
        }
      }
    }

    // ---- invoices now: status and amount due (one call), for refunds with a note or an allocation to go ----
    const allocationDone = (w: Work) => w.refund.method !== null || allocations.has(w.refund.id) || payouts.has(w.refund.id)
      || (adoptedNotes.get(w.refund.id)?.allocations ?? []).some((x) => !x.isDeleted)
      || (adoptedNotes.get(w.refund.id)?.payments ?? []).length > 0;
    const needInvoice = work.filter((w) => !w.creditNoteId || !allocationDone(w));
    const invoiceIds = [...new Set(needInvoice.map((w) => w.invoice.xeroId!))];
    const invoiceState = new Map<string, InvoiceAnswer>();
    if (invoiceIds.length > 0) {
      const found = await session.xero.getInvoices(invoiceIds);
      for (const inv of found) invoiceState.set(inv.invoiceId.toLowerCase(), inv);
    }
    for (const w of needInvoice) {
      const state = invoiceState.get(w.invoice.xeroId!.toLowerCase());
      const status = state?.status ?? undefined;
      if (!state || isRemovedInXero(status)) {
        await saveRecord(ctx.db, invoiceKey, { entityId: w.sale.id, status: DELETED_UPSTREAM, note: state ? `${status} in Xero` : 'not found in Xero' }, ctx.clock.now());
        await ctx.sync.upsert(ctx.db, { orgId, entityType: 'sale', entityId: w.sale.id, recordType: 'invoice', status: 'deleted_upstream', error: `Invoice ${w.invoice.number ?? ''} was ${state ? status!.toLowerCase() : 'deleted'} in Xero` });
        if (!w.creditNoteId) {
          skip(w.item, w.index, `Skipped: the invoice ${w.invoice.number ?? ''} was ${state ? status!.toLowerCase() : 'deleted'} in Xero by the accountant, so no credit note is created for this refund`);
          work.splice(work.indexOf(w), 1);
        }
      }
    }

    // ---- build and send the missing credit notes (one call) ----
    const toCreate: Work[] = [];
    for (const w of work) {
      try {
        const contactId = invoiceState.get(w.invoice.xeroId!.toLowerCase())?.contact?.contactId;
        w.built = buildCreditNote(w.refund, w.sale, mappings, {
          contact: contactId ? { ContactID: contactId } : { Name: w.sale.customer.name, ContactNumber: `LB-C-${w.sale.customer.id}` },
          now: ctx.clock.now(),
        });
        if (!w.creditNoteId) toCreate.push(w);
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        fail(w.item, w.index, permanentMessage(err));
      }
    }
    if (toCreate.length > 0) {
      const payloads = toCreate.map((w) => w.built!.payload);
      const unitdp = toCreate.some((w) => w.built!.unitdp === 4) ? 4 : 2;
      const idemKey = idempotencyKey('creditnotes', toCreate.map((w) => w.item.id), stableJson(payloads));
      const elements = await sendMarked(session, ctx.db, toCreate.map((w) => w.item.id), 'credit_note',
        (beforeSend) => session.xero.createCreditNotes(payloads, { unitdp, idempotencyKey: idemKey, beforeSend }));
      // Refused elements were not created; created ones are recorded below (a retry resumes after them).
      await clearMarks(ctx.db, toCreate.filter((_, n) => !elements[n]!.ok).map((w) => w.item.id), 'credit_note');
      for (const [n, w] of toCreate.entries()) {
        const element = elements[n]!;
        const request = { idempotencyKey: idemKey, unitdp, payload: w.built!.payload, expected: w.built!.expected, basis: w.built!.basis };
        if (element.ok) {
          w.creditNoteId = element.value.creditNoteId;
          await saveRecord(ctx.db, noteKey, { entityId: w.refund.id, xeroId: w.creditNoteId, number: element.value.number ?? w.number, status: element.value.status ?? 'AUTHORISED', payloadHash: payloadHash(w.built!.payload) }, ctx.clock.now());
          w.audit.push(audit(w.item, { action: 'created', outcome: 'ok', request, response: element.summary }));
          if (svc.historyNotes) {
            await enqueueHistoryNote(ctx, orgId, { recordType: 'credit_note', xeroId: w.creditNoteId, entityType: 'refund', entityId: w.refund.id,
              details: `Created by Ledgerbridge from refund #${w.refund.id} of sale #${w.sale.id} (invoice ${w.invoice.number ?? ''})` });
          }
        } else {
          const message = element.messages.join('; ') || 'Xero refused this credit note without a message';
          fail(w.item, w.index, message, { request, response: element.summary });
        }
      }
    }

    // ---- allocate (per note) ----
    const settle = work.filter((w) => w.creditNoteId && !results[w.index]);
    for (const w of settle) {
      const adopted = adoptedNotes.get(w.refund.id);
      const creditCents = w.built ? cents(w.built.allocationAmount) : adopted?.totalCents ?? 0;
      // What earlier attempts already did, as Xero shows it on the adopted note.
      const adoptedAllocated = (adopted?.allocations ?? []).filter((a) => !a.isDeleted).reduce((s, a) => s + a.amountCents, 0);
      const adoptedPaid = (adopted?.payments ?? []).reduce((s, p) => s + p.amountCents, 0);
      if (adopted && adoptedAllocated > 0 && !allocations.has(w.refund.id)) {
        await saveRecord(ctx.db, allocationKey, { entityId: w.refund.id, status: 'ALLOCATED', note: `${money(adoptedAllocated)} (found on the credit note)` }, ctx.clock.now());
      }
      if (adopted && adoptedPaid > 0 && !payouts.has(w.refund.id)) {
        await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, status: 'PAID', note: `${money(adoptedPaid)} (found on the credit note)` }, ctx.clock.now());
      }
      const allocationRecord = allocations.get(w.refund.id);
      w.allocatedCents = adoptedAllocated || (allocationRecord?.status === 'ALLOCATED' ? cents(Number.parseFloat(allocationRecord.note ?? '0')) : 0);
      w.paidOutCents = adoptedPaid;
      const alreadyAllocated = allocations.has(w.refund.id) || adoptedAllocated > 0;
      if (!alreadyAllocated && !payouts.has(w.refund.id) && adoptedPaid === 0 && w.refund.method !== null) {
        await saveRecord(ctx.db, allocationKey, { entityId: w.refund.id, status: 'NONE', note: `not allocated: money went back (${w.refund.method}), so the note is paid out in full` }, ctx.clock.now());
      } else if (!alreadyAllocated && !payouts.has(w.refund.id) && adoptedPaid === 0) {
        const due = invoiceState.get(w.invoice.xeroId!.toLowerCase())?.amountDueCents ?? 0;
        const amount = Math.min(due, creditCents);
        if (amount > 0) {
          const allocation = buildAllocation(money(amount), { InvoiceID: w.invoice.xeroId! }, xeroDate(w.refund.createdAt));
          const idemKey = idempotencyKey('allocation', [w.item.id], `${w.creditNoteId}|${stableJson(allocation)}`);
          const element = await sendMarked(session, ctx.db, [w.item.id], 'allocation',
            (beforeSend) => session.xero.allocateCreditNote(w.creditNoteId!, allocation, { idempotencyKey: idemKey, beforeSend }));
          if (!element.ok) await clearMarks(ctx.db, [w.item.id], 'allocation');
          if (element.ok) {
            w.allocatedCents = amount;
            await saveRecord(ctx.db, allocationKey, { entityId: w.refund.id, xeroId: element.value.allocationId, status: 'ALLOCATED', note: money(amount) }, ctx.clock.now());
            w.audit.push(audit(w.item, { action: 'allocated', outcome: 'ok', request: allocation, response: element.summary, message: `${money(amount)} allocated to ${w.invoice.number ?? ''}` }));
            // Keep the invoice's amount due current for another refund of the same sale in this batch.
            const state = invoiceState.get(w.invoice.xeroId!.toLowerCase());
            if (state) state.amountDueCents = due - amount;
          } else {
            w.notes.push(`not allocated: Xero said ${element.messages.join('; ')}`);
            w.audit.push(audit(w.item, { action: 'unallocated', outcome: 'skipped', request: allocation, response: element.summary, message: element.messages.join('; ') }));
          }
        } else {
          w.notes.push(`not allocated: invoice ${w.invoice.number ?? ''} had nothing left to pay (already paid or credited)`);
        }
        await saveRecord(ctx.db, allocationKey, { entityId: w.refund.id, status: w.allocatedCents > 0 ? 'ALLOCATED' : 'NONE', note: w.allocatedCents > 0 ? money(w.allocatedCents) : w.notes.at(-1) ?? null }, ctx.clock.now());
      }
      w.remainingCents = Math.max(0, creditCents - w.allocatedCents - w.paidOutCents);
    }

    // ---- pay out what was not allocated (one call) ----
    const payOut: { w: Work; payment: XeroPayment }[] = [];
    const toPayOut = settle.filter((w) => !payouts.has(w.refund.id) && (w.remainingCents ?? 0) > 0);
    // A provider refund the provider may convert is paid out by its payout, at the provider's rate.
    const awaiting = toPayOut.some((w) => w.refund.method !== null)
      ? await refundsAwaitingPayout(ctx, { orgId, tenantId: session.tenantId }, (await ctx.organisations.get(ctx.db, orgId)).baseCurrency, mappings, toPayOut.map((w) => w.refund))
      : new Set<number>();
    // Stripe/GoCardless refunds without a mapped account: out of the provider's clearing account.
    const refundMappings = await withClearingAccounts(ctx, session, mappings, toPayOut.filter((w) => !awaiting.has(w.refund.id)).map((w) => w.refund));
    for (const w of toPayOut) {
      if (awaiting.has(w.refund.id)) {
        w.notes.push(`${money(w.remainingCents!)} to be paid out when ${w.refund.method}'s payout is posted (from its clearing account, at ${w.refund.method}'s rate if it converted the refund)`);
        await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, status: AWAITING_PAYOUT, note: w.notes.at(-1)! }, ctx.clock.now());
        w.audit.push(audit(w.item, { action: 'awaiting_payout', outcome: 'skipped', message: w.notes.at(-1)! }));
        continue;
      }
      if (!w.refund.method) {
        // No method: no money moved that we know of, so nothing is paid out. The credit stays on the note,
        // where the accountant sees it as the customer's credit (to allocate to a later invoice or refund).
        w.notes.push(`${money(w.remainingCents!)} left on the credit note as the customer's credit: the refund has no payment method, so no money out is recorded`);
        await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, status: 'NONE', note: w.notes.at(-1)! }, ctx.clock.now());
        w.audit.push(audit(w.item, { action: 'unallocated', outcome: 'skipped', message: w.notes.at(-1)! }));
        continue;
      }
      try {
        payOut.push({ w, payment: buildCreditNoteRefundPayment(w.refund, w.creditNoteId!, refundMappings, { amount: money(w.remainingCents!) }) });
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        // The credit note stands; the money out is left to the accountant, and we say why.
        w.notes.push(`${money(w.remainingCents!)} left unallocated on the credit note: ${permanentMessage(err)}`);
        await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, status: 'NONE', note: w.notes.at(-1)! }, ctx.clock.now());
        w.audit.push(audit(w.item, { action: 'unallocated', outcome: 'skipped', message: w.notes.at(-1)! }));
      }
    }
    if (payOut.length > 0) {
      const payloads = payOut.map((p) => p.payment);
      const idemKey = idempotencyKey('refundpayments', payOut.map((p) => p.w.item.id), stableJson(payloads));
      const elements = await sendMarked(session, ctx.db, payOut.map((p) => p.w.item.id), 'refund_payment',
        (beforeSend) => session.xero.createPayments(payloads, { idempotencyKey: idemKey, beforeSend }));
      await clearMarks(ctx.db, payOut.filter((_, n) => !elements[n]!.ok).map((p) => p.w.item.id), 'refund_payment');
      for (const [n, { w, payment }] of payOut.entries()) {
        const element = elements[n]!;
        if (element.ok) {
          await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, xeroId: element.value.paymentId, status: 'PAID', note: payment.Amount.toFixed(2) }, ctx.clock.now());
          w.audit.push(audit(w.item, { action: 'refund_paid', outcome: 'ok', request: payment, response: element.summary, message: `${payment.Amount.toFixed(2)} paid out from ${'Code' in payment.Account ? payment.Account.Code : 'the clearing account'}` }));
        } else {
          const message = `refund payment refused by Xero: ${element.messages.join('; ')}`;
          w.notes.push(message);
          await saveRecord(ctx.db, payoutKey, { entityId: w.refund.id, status: 'NONE', note: message }, ctx.clock.now());
          w.audit.push(audit(w.item, { action: 'unallocated', outcome: 'skipped', request: payment, response: element.summary, message }));
        }
      }
    }

    for (const w of work) {
      if (results[w.index] || !w.creditNoteId) continue;
      const note = (await findRecords(ctx.db, noteKey, [w.refund.id])).get(w.refund.id);
      if (w.audit.length === 0) w.audit.push(audit(w.item, { action: 'already_synced', outcome: 'ok', message: `already in Xero as ${note?.number ?? w.number}` }));
      results[w.index] = done({ ...syncOf(w.refund.id), externalId: w.creditNoteId, externalRef: note?.number ?? w.number, error: w.notes.length ? w.notes.join('; ') : null }, w.audit);
    }
  } catch (err) {
    // Keep what each item already did in its audit; undecided items retry (the next attempt reconciles).
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}
