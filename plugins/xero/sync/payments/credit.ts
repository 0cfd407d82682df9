// Customer credit in Xero, after the payment step of push.ts:
//   postOverpayments  a payment above what its sale owed: the invoice part went as a Payment (push.ts); the
//                     excess (PaymentSnapshot.creditMinor) goes as ONE RECEIVE-OVERPAYMENT bank transaction per
//                     payment, into the method's account, for the customer's contact. Recorded in xero_records
//                     ('overpayment') as soon as Xero answers; a send that may have landed (send mark
//                     'overpayment') or a resend looks it up by Reference first and adopts it.
//   allocateCredit    a payment from the customer's credit (PaymentSnapshot.fromCredit): each overpayment it
//                     draws on is allocated to the sale's invoice (PUT /Overpayments/{id}/Allocations), one
//                     row per draw in xero_credit_allocations as soon as Xero answers. An overpayment not yet
//                     in Xero makes the item wait (retry). A send that may have landed ('credit_allocation'
//                     mark) compares what Xero shows allocated from that overpayment to that invoice with what
//                     we recorded, and adopts the difference instead of allocating again.
// An item is done only when every step it needs is recorded; a call failing as a whole leaves it to retry
// from the step reached (push.ts resumes at "already in Xero"), wherever in the batch that call was
// (undecideOpenExcess).
import { PermanentError } from '../../../../server/errors';
import type { PaymentSnapshot } from '../../../../server/plugins/contract';
import { done, retryLater, undecided, type ItemResult } from '../../engine/outcomes';
import { findRecords, isRemovedInXero, saveRecord } from '../../engine/records';
import { idempotencyKey, payloadHash, stableJson } from '../../engine/keys';
import { clearMarks, markedItems, sendMarked } from '../../engine/sendMarks';
import { saleNameOf } from '../../engine/names';
import { permanentMessage } from '../../engine/services';
import type { XeroOverpaymentDraft } from '../../gateway/documents';
import { buildCreditAllocation, buildOverpayment, invoiceNumberFor, overpaymentReferenceFor, xeroCentsOf } from '../../payloads';
import { resolveContacts } from '../contacts';
import type { Batch, Loaded } from './batch';

export const isFromCredit = (p: PaymentSnapshot): boolean => (p.fromCredit?.length ?? 0) > 0;
const hasExcess = (p: PaymentSnapshot): boolean => (p.creditMinor ?? 0) > 0;

// ---------------------------------------------------------------- the excess, as an overpayment

/**
 * Payments of the batch decided done because their invoice part is in Xero as a Payment (sent, adopted or
 * found this batch or earlier), whose excess is still to post. Never one on a removed invoice (skipped, so
 * not 'synced'), and never a deposit (posted whole as a prepayment, deposits/).
 */
const withExcessToPost = (b: Batch, paid: readonly Loaded[]): Loaded[] =>
  paid.filter((l) => hasExcess(l.payment) && b.recorder.results[l.index]?.outcome.status === 'done' && b.recorder.results[l.index]?.sync?.status === 'synced');

/**
 * A call of the batch failed before postOverpayments recorded every excess (the payments of other sales,
 * a lookup, a clearing account): a payment already decided done whose excess is not in Xero is undecided
 * again, so it retries with the rest instead of being completed without its overpayment, which every later
 * payment from that credit would wait for forever. Its retry finds the Payment in Xero and posts the excess.
 */
export async function undecideOpenExcess(b: Batch, paid: readonly Loaded[]): Promise<void> {
  const decided = withExcessToPost(b, paid);
  if (decided.length === 0) return;
  const posted = await findRecords(b.svc.ctx.db, b.keys.overpayment, decided.map((l) => l.payment.id));
  for (const l of decided) if (!posted.get(l.payment.id)?.xeroId) b.recorder.results[l.index] = undecided(b.recorder.results[l.index]!.audit);
}

export async function postOverpayments(b: Batch, paid: readonly Loaded[]): Promise<void> {
  const { ctx } = b.svc;
  const results = b.recorder.results;
  // Only once the invoice part is in Xero as a Payment (done this batch or earlier).
  const settled = withExcessToPost(b, paid);
  const asPayment = await findRecords(ctx.db, b.keys.payment, settled.map((l) => l.payment.id));
  const ready = settled.filter((l) => asPayment.get(l.payment.id)?.xeroId);
  if (ready.length === 0) return;
  const known = await findRecords(ctx.db, b.keys.overpayment, ready.map((l) => l.payment.id));
  const open = ready.filter((l) => !known.get(l.payment.id)?.xeroId);
  if (open.length === 0) return;
  // Undecided until the overpayment is recorded: a call failing from here on retries them (afterCallFailure),
  // keeping the audit rows of their Payment.
  const prior = new Map<number, ItemResult>(open.map((l) => [l.index, results[l.index]!]));
  for (const l of open) results[l.index] = undecided(prior.get(l.index)!.audit);
  const finish = (l: Loaded, overpaymentId: string, reference: string, action: 'created' | 'adopted', extra: Record<string, unknown>) => {
    const before = prior.get(l.index)!;
    results[l.index] = done(before.sync, [...before.audit, b.recorder.audit(l.item, {
      action, outcome: 'ok', ...extra, message: `overpayment ${reference} (${overpaymentId}): the excess kept as the customer's credit`,
    })]);
  };

  const marked = await markedItems(ctx.db, open.filter((l) => l.item.attempts > 1).map((l) => l.item), 'overpayment');
  const lookup = open.filter((l) => marked.has(l.item.id) || l.item.payload.reconcile);
  const adopted = new Set<number>();
  if (lookup.length > 0) {
    const found = await b.session.xero.findOverpaymentsByReference(lookup.map((l) => overpaymentReferenceFor(l.payment.id, b.mappings)));
    for (const l of lookup) {
      const reference = overpaymentReferenceFor(l.payment.id, b.mappings);
      const match = found.find((o) => o.reference === reference);
      if (!match) continue;
      await saveRecord(ctx.db, b.keys.overpayment, { entityId: l.payment.id, xeroId: match.overpaymentId, number: reference, status: match.status ?? 'AUTHORISED', amountCents: xeroCentsOf(l.payment.creditMinor!, l.payment.currency) }, ctx.clock.now());
      finish(l, match.overpaymentId, reference, 'adopted', { response: match.summary });
      adopted.add(l.index);
    }
  }

  const toSend: { l: Loaded; draft: XeroOverpaymentDraft }[] = [];
  const rest = open.filter((l) => !adopted.has(l.index));
  const contacts = await contactsOf(b, rest);
  for (const l of rest) {
    const contact = contacts.get(l.payment.saleId);
    if (!contact?.ok) {
      const message = contact ? contact.message : `Sale ${l.payment.saleId} no longer exists in this organisation`;
      if (contact && !contact.permanent) results[l.index] = retryLater(message);
      else b.recorder.fail(l.item, l.index, message);
      continue;
    }
    try {
      toSend.push({ l, draft: buildOverpayment(l.payment, contact.contactId, invoiceNumberFor(l.payment.saleId, b.mappings), b.mappings, { timeZone: b.timeZone }) });
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      b.recorder.fail(l.item, l.index, permanentMessage(err));
    }
  }
  if (toSend.length === 0) return;

  const drafts = toSend.map((s) => s.draft);
  const idemKey = idempotencyKey('overpayments', toSend.map((s) => s.l.item.id), stableJson(drafts));
  const elements = await sendMarked(b.session, ctx.db, toSend.map((s) => s.l.item.id), 'overpayment',
    (beforeSend) => b.session.xero.createOverpayments(drafts, { idempotencyKey: idemKey, beforeSend }));
  await clearMarks(ctx.db, toSend.filter((_, n) => !elements[n]!.ok).map((s) => s.l.item.id), 'overpayment');
  for (const [n, { l, draft }] of toSend.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, payload: draft };
    if (element.ok && element.value.overpaymentId) {
      await saveRecord(ctx.db, b.keys.overpayment, {
        entityId: l.payment.id, xeroId: element.value.overpaymentId, number: draft.Reference, status: 'AUTHORISED',
        amountCents: xeroCentsOf(l.payment.creditMinor!, l.payment.currency), payloadHash: payloadHash(draft),
      }, ctx.clock.now());
      finish(l, element.value.overpaymentId, draft.Reference, 'created', { request, response: element.summary });
    } else {
      const messages = element.ok ? ['Xero answered without the overpayment id'] : element.messages;
      b.recorder.fail(l.item, l.index, `The payment is in Xero; its excess was refused as an overpayment: ${messages.join('; ') || 'no message'}`, { request, response: element.summary });
    }
  }
}

/** The customer's Xero contact for each sale (from the cache the invoice push filled; created if it is gone). */
async function contactsOf(b: Batch, loaded: readonly Loaded[]) {
  const { ctx } = b.svc;
  const customers = new Map<number, { id: number; name: string; email: string | null }>();
  for (const l of loaded) {
    const sale = await ctx.records.sale(ctx.db, b.session.orgId, l.payment.saleId);
    if (sale) customers.set(l.payment.saleId, sale.customer);
  }
  const resolved = await resolveContacts(b.session, ctx.db, [...customers.values()], loaded.map((l) => l.item.id));
  return new Map([...customers].map(([saleId, c]) => [saleId, resolved.get(c.id)]));
}

// ---------------------------------------------------------------- paying from credit: allocations

interface AllocationRow { source_payment_id: number | string; overpayment_id: string; invoice_id: string; amount_cents: number | string }

export async function allocateCredit(b: Batch, fromCredit: readonly Loaded[]): Promise<void> {
  if (fromCredit.length === 0) return;
  const { ctx } = b.svc;
  const invoices = await findRecords(ctx.db, b.keys.invoice, fromCredit.map((l) => l.payment.saleId));
  const sources = await findRecords(ctx.db, b.keys.overpayment, fromCredit.flatMap((l) => l.payment.fromCredit!.map((d) => d.paymentId)));
  const marked = await markedItems(ctx.db, fromCredit.filter((l) => l.item.attempts > 1).map((l) => l.item), 'credit_allocation');

  for (const l of fromCredit) {
    const invoice = invoices.get(l.payment.saleId);
    if (isRemovedInXero(invoice?.status)) {
      b.recorder.skip(l.item, l.index, `Skipped: the invoice ${invoice?.number ?? ''} was voided or deleted in Xero by the accountant, so this credit is not allocated there`);
      continue;
    }
    if (!invoice?.xeroId) {
      const sale = await saleNameOf(ctx.records, ctx.db, b.session.orgId, l.payment.saleId);
      b.recorder.fail(l.item, l.index, `Xero invoice ${invoiceNumberFor(l.payment.saleId, b.mappings)} of ${sale} is not in Xero; credit is allocated only to an invoice there. Send the sale first, then retry this payment.`);
      continue;
    }
    const recorded = (await ctx.db('xero_credit_allocations')
      .where({ org_id: b.session.orgId, tenant_id: b.session.tenantId, payment_id: l.payment.id })) as AllocationRow[];
    const recordedFrom = new Set(recorded.map((r) => Number(r.source_payment_id)));
    const todo = l.payment.fromCredit!.filter((d) => !recordedFrom.has(d.paymentId));
    const waiting = todo.filter((d) => !sources.get(d.paymentId)?.xeroId);
    const voided = waiting.find((d) => isRemovedInXero(sources.get(d.paymentId)?.status));
    if (voided) {
      b.recorder.fail(l.item, l.index, `The overpayment of payment ${voided.paymentId} was removed in Xero, so its credit cannot be allocated there`);
      continue;
    }
    if (waiting.length > 0) {
      b.recorder.results[l.index] = retryLater(`Waits for the overpayment of payment ${waiting.map((d) => d.paymentId).join(', ')} to be in Xero before allocating its credit`);
      continue;
    }
    const audits = [];
    let refused: string | null = null;
    for (const draw of todo) {
      const overpaymentId = sources.get(draw.paymentId)!.xeroId!;
      const cents = xeroCentsOf(draw.amountMinor, l.payment.currency);
      const record = (allocationId: string | null) => ctx.db('xero_credit_allocations').insert({
        org_id: b.session.orgId, tenant_id: b.session.tenantId, payment_id: l.payment.id, source_payment_id: draw.paymentId,
        overpayment_id: overpaymentId, invoice_id: invoice.xeroId!, allocation_id: allocationId, amount_cents: cents, created_at: ctx.clock.now(),
      }).onConflict(['org_id', 'tenant_id', 'payment_id', 'source_payment_id']).ignore();

      if (marked.has(l.item.id) || l.item.payload.reconcile) {
        // May have landed: what Xero shows allocated from this overpayment to this invoice, beyond what we recorded.
        const inXero = await b.session.xero.getOverpayment(overpaymentId);
        const shown = (inXero?.allocations ?? []).filter((a) => a.invoiceId === invoice.xeroId!.toLowerCase()).reduce((sum, a) => sum + a.amountCents, 0);
        const ours = (await ctx.db('xero_credit_allocations').where({ org_id: b.session.orgId, tenant_id: b.session.tenantId, overpayment_id: overpaymentId, invoice_id: invoice.xeroId! })
          .sum({ n: 'amount_cents' }).first()) as { n: number | string | null } | undefined;
        if (shown - Number(ours?.n ?? 0) >= cents) {
          await record(null);
          audits.push(b.recorder.audit(l.item, { action: 'adopted', outcome: 'ok', message: `found allocated in Xero before re-sending: ${cents / 100} of overpayment ${overpaymentId}` }));
          continue;
        }
      }
      const allocation = buildCreditAllocation(draw.amountMinor, l.payment.currency, invoice.xeroId!, l.payment.receivedAt, { timeZone: b.timeZone });
      const idemKey = idempotencyKey('credit-allocation', [l.item.id], stableJson({ overpaymentId, allocation }));
      const element = await sendMarked(b.session, ctx.db, [l.item.id], 'credit_allocation',
        (beforeSend) => b.session.xero.allocateOverpayment(overpaymentId, allocation, { idempotencyKey: idemKey, beforeSend }));
      await clearMarks(ctx.db, [l.item.id], 'credit_allocation');
      const request = { idempotencyKey: idemKey, payload: { overpaymentId, ...allocation } };
      if (!element.ok) {
        refused = `Xero refused allocating ${cents / 100} of the overpayment of payment ${draw.paymentId} to invoice ${invoice.number ?? ''}: ${element.messages.join('; ') || 'no message'}`;
        audits.push(b.recorder.audit(l.item, { action: 'failed', outcome: 'failed', request, response: element.summary, message: refused }));
        break;
      }
      await record(element.value.allocationId);
      audits.push(b.recorder.audit(l.item, { action: 'created', outcome: 'ok', request, response: element.summary, message: `allocated ${cents / 100} of overpayment ${overpaymentId}` }));
    }
    if (refused) {
      b.recorder.fail(l.item, l.index, refused);
      continue;
    }
    const refs = l.payment.fromCredit!.map((d) => overpaymentReferenceFor(d.paymentId, b.mappings)).join(', ');
    b.recorder.results[l.index] = done({ ...b.recorder.syncOf(l.payment.id), externalRef: `credit from ${refs}` },
      audits.length ? audits : [b.recorder.audit(l.item, { action: 'already_synced', outcome: 'ok', message: 'credit already allocated in Xero' })]);
  }
}
