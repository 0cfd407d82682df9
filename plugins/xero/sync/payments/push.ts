// Payment → Xero Payment on its invoice, into the account mapped for the payment method. A batch at a time:
//   guard      the invoice comes from xero_records, else ONE lookup by InvoiceNumber (a late payment for an
//              old invoice): a payment NEVER creates an invoice. Removed in Xero → skipped with the reason.
//   reconcile  a send that may have landed (engine/sendMarks.ts) or a resend: ONE lookup of payments by our
//              Reference key; adopt those on the invoice
//   send       ONE PUT /Payments?summarizeErrors=false; per-element results. "Only AUTHORISED documents"
//              → ONE look at those invoices: voided/deleted there → deleted_upstream, else Xero's message.
// The decisions are pure (decisions.ts).
import type { OutboxHandlerContext, OutboxOutcome } from '../../../../server/plugins/contract';
import { PermanentError } from '../../../../server/errors';
import { withClearingAccounts } from '../../clearing/paymentAccounts';
import { batchRecorder } from '../../engine/batchRecorder';
import { idempotencyKey, payloadHash, stableJson } from '../../engine/keys';
import { afterCallFailure, done, finishBatch, retryLater, type ItemResult } from '../../engine/outcomes';
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord, type XeroRecord } from '../../engine/records';
import { clearMarks, markedItems, sendMarked } from '../../engine/sendMarks';
import { saleNameOf } from '../../engine/names';
import { openSession } from '../../engine/session';
import { permanentMessage, type XeroServices } from '../../engine/services';
import type { XeroPayment } from '../../gateway/documents';
import { buildPayment, invoiceNumberFor, paymentKeyFor } from '../../payloads';
import { mappingsOrFinish } from '../mappingsOrFinish';
import { enqueueHistoryNote } from '../historyNotes';
import { afterLockRefusal, knownLockedUpTo, LOCK_DATE_REFUSAL, placeInOpenPeriod, readLockDates } from '../lockDates';
import type { Batch, Item, Loaded } from './batch';
import { allocateCredit, isFromCredit, postOverpayments, undecideOpenExcess } from './credit';
import { depositIds } from '../deposits/store';
import { invoiceNotAuthorised, notAuthorisedBecause, ourPayment, paymentGuard } from './decisions';

interface Pending extends Loaded { invoice: XeroRecord; key: string }
interface ToSend {
  p: Pending; payment: XeroPayment;
  /** Said on the sale, the Xero record and in the audit trail when the payment was moved out of a locked period. */
  moved?: string;
}

export async function pushPayments(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const recorder = batchRecorder(items, { orgId, entityType: 'payment', recordType: 'payment', entityId: (p) => p.paymentId });
  const loaded = await mappingsOrFinish(svc, orgId, items, recorder, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal, hctx.holdLease);
  const b: Batch = {
    svc, session, mappings: loaded.mappings, timeZone: loaded.timeZone, recorder, lockedUpTo: await knownLockedUpTo(ctx.db, orgId),
    keys: {
      invoice: { orgId, tenantId: session.tenantId, entityType: 'sale', recordType: 'invoice' },
      payment: { orgId, tenantId: session.tenantId, entityType: 'payment', recordType: 'payment' },
      overpayment: { orgId, tenantId: session.tenantId, entityType: 'payment', recordType: 'overpayment' },
    },
  };
  let paid: Loaded[] = [];
  try {
    const loadedAll = await loadPayments(b, items);
    // A payment from the customer's credit moved no money: it allocates their overpayments (credit.ts).
    paid = loadedAll.filter((l) => !isFromCredit(l.payment));
    const pending = await guard(b, paid);
    await reconcile(b, pending);
    const toSend = await build(b, pending);
    if (toSend.length > 0) await send(b, toSend);
    // Then the excess of those that paid more than their sale owed, once their invoice part is in Xero.
    await postOverpayments(b, paid);
    await allocateCredit(b, loadedAll.filter((l) => isFromCredit(l.payment)));
  } catch (err) {
    // Found in Xero (or sent) is not done for a payment whose excess is still to post.
    await undecideOpenExcess(b, paid);
    return afterCallFailure(ctx, items, recorder.results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, recorder.results as ItemResult[], hctx.workerId);
}

async function loadPayments(b: Batch, items: readonly Item[]): Promise<Loaded[]> {
  const { ctx } = b.svc;
  const loaded: Loaded[] = [];
  for (const [index, item] of items.entries()) {
    const payment = await ctx.records.payment(ctx.db, b.session.orgId, item.payload.paymentId);
    if (payment) loaded.push({ item, index, payment });
    else b.recorder.fail(item, index, `Payment ${item.payload.paymentId} no longer exists in this organisation`);
  }
  return loaded;
}

/** Our payment record, and the invoice (looked up by number if we never recorded it). */
async function guard(b: Batch, loaded: readonly Loaded[]): Promise<Pending[]> {
  const { ctx } = b.svc;
  const known = await findRecords(ctx.db, b.keys.payment, loaded.map((l) => l.payment.id));
  let invoices = await findRecords(ctx.db, b.keys.invoice, loaded.map((l) => l.payment.saleId));
  const unknown = loaded.filter((l) => !known.get(l.payment.id)?.xeroId && !invoices.has(l.payment.saleId));
  if (unknown.length > 0) {
    const found = await b.session.xero.findInvoicesByNumber(unknown.map((l) => invoiceNumberFor(l.payment.saleId, b.mappings)));
    for (const inv of found) {
      const l = unknown.find((u) => invoiceNumberFor(u.payment.saleId, b.mappings).toLowerCase() === inv.number?.toLowerCase());
      const status = inv.status ?? 'UNKNOWN';
      if (l) await saveRecord(ctx.db, b.keys.invoice, { entityId: l.payment.saleId, xeroId: inv.invoiceId, number: inv.number, status: isRemovedInXero(status) ? DELETED_UPSTREAM : status }, ctx.clock.now());
    }
    invoices = await findRecords(ctx.db, b.keys.invoice, loaded.map((l) => l.payment.saleId));
  }

  const deposits = await depositIds(ctx.db, b.session.orgId, 'payment', loaded.map((l) => l.payment.id));
  const pending: Pending[] = [];
  for (const l of loaded) {
    if (deposits.has(l.payment.id)) {
      // A deposit is in Xero as a prepayment (../deposits/), allocated to the invoice: never paid on it as well.
      b.recorder.results[l.index] = done({ ...b.recorder.syncOf(l.payment.id), note: 'A deposit: in Xero as a prepayment, allocated to the invoice (see its prepayment record)' },
        [b.recorder.audit(l.item, { action: 'skipped', outcome: 'skipped', message: 'a deposit: posted as a prepayment, not as a payment on the invoice' })]);
      continue;
    }
    const record = known.get(l.payment.id);
    const invoice = invoices.get(l.payment.saleId);
    switch (paymentGuard(record, invoice)) {
      case 'payment_removed':
        b.recorder.skip(l.item, l.index, 'This payment was deleted in Xero by the accountant; it is not pushed again');
        break;
      case 'in_xero':
        b.recorder.results[l.index] = done({ ...b.recorder.syncOf(l.payment.id), externalId: record!.xeroId, externalRef: record!.number },
          [b.recorder.audit(l.item, { action: 'already_synced', outcome: 'ok', message: 'already in Xero' })]);
        break;
      case 'no_invoice':
        // A booking cancelled with its deposit kept: its invoice (of the kept money) is on its way from the deposit push.
        if ((await ctx.records.sale(ctx.db, l.payment.orgId, l.payment.saleId))?.cancellation) {
          b.recorder.results[l.index] = retryLater(`Waits for the invoice of the kept deposit (${invoiceNumberFor(l.payment.saleId, b.mappings)}): the booking was cancelled`);
          break;
        }
        b.recorder.fail(l.item, l.index, `The Xero invoice ${invoiceNumberFor(l.payment.saleId, b.mappings)} for ${await saleNameOf(ctx.records, ctx.db, l.payment.orgId, l.payment.saleId)} is not in Xero; a payment never creates one. Send the sale first, then retry this payment.`);
        break;
      case 'invoice_removed':
        b.recorder.skip(l.item, l.index, `Skipped: the invoice ${invoice?.number ?? ''} was voided or deleted in Xero by the accountant, so this payment is not recorded there`);
        break;
      case 'proceed':
        pending.push({ ...l, invoice: invoice!, key: paymentKeyFor(l.payment.id, b.mappings) });
    }
  }
  return pending;
}

/** Payments that may have landed: ONE lookup by our Reference key, adopted when on the same invoice. */
async function reconcile(b: Batch, pending: readonly Pending[]): Promise<void> {
  const { ctx } = b.svc;
  const marked = await markedItems(ctx.db, pending.filter((p) => p.item.attempts > 1).map((p) => p.item), 'payment');
  const lookup = pending.filter((p) => marked.has(p.item.id) || p.item.payload.reconcile);
  if (lookup.length === 0) return;
  const found = await b.session.xero.findPaymentsByKey(lookup.map((p) => p.key));
  for (const p of lookup) {
    const match = ourPayment(found, p.key, p.invoice.xeroId!);
    if (!match) continue;
    await saveRecord(ctx.db, b.keys.payment, { entityId: p.payment.id, xeroId: match.paymentId, number: p.key, status: match.status ?? 'AUTHORISED' }, ctx.clock.now());
    b.recorder.results[p.index] = done({ ...b.recorder.syncOf(p.payment.id), externalId: match.paymentId, externalRef: p.key }, [b.recorder.audit(p.item, {
      action: 'adopted', outcome: 'ok', response: match.summary, message: `found in Xero by reference ${p.key} before re-sending; adopted`,
    })]);
  }
}

async function build(b: Batch, pending: readonly Pending[]): Promise<ToSend[]> {
  const open = pending.filter((p) => !b.recorder.results[p.index]);
  // Stripe/GoCardless without a mapped account: into the provider's clearing account (found or created).
  const mappings = await withClearingAccounts(b.svc.ctx, b.session, b.mappings, open.map((p) => p.payment));
  const toSend: ToSend[] = [];
  for (const p of open) {
    try {
      const payment = buildPayment(p.payment, p.invoice.xeroId!, mappings, { timeZone: b.timeZone });
      // Dated inside a period locked in Xero: on the first open day, or held for the admin (the setting).
      const placed = placeInOpenPeriod(payment.Date, b.lockedUpTo, b.mappings.lockedPeriod);
      if (placed.kind === 'held') {
        b.recorder.fail(p.item, p.index, placed.error, {}, placed.note);
        continue;
      }
      if (placed.kind === 'moved') payment.Date = placed.date;
      toSend.push({ p, payment, ...(placed.kind === 'moved' ? { moved: placed.note } : {}) });
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      b.recorder.fail(p.item, p.index, permanentMessage(err));
    }
  }
  return toSend;
}

/** ONE call for the batch; each element on its own. */
async function send(b: Batch, toSend: readonly ToSend[]): Promise<void> {
  const { ctx } = b.svc;
  const payloads = toSend.map((s) => s.payment);
  const idemKey = idempotencyKey('payments', toSend.map((s) => s.p.item.id), stableJson(payloads));
  const elements = await sendMarked(b.session, ctx.db, toSend.map((s) => s.p.item.id), 'payment',
    (beforeSend) => b.session.xero.createPayments(payloads, { idempotencyKey: idemKey, beforeSend }));
  await clearMarks(ctx.db, toSend.filter((_, n) => !elements[n]!.ok).map((s) => s.p.item.id), 'payment');
  const notAuthorised: ToSend[] = [];
  const lockRefused: { s: ToSend; messages: readonly string[] }[] = [];
  for (const [n, s] of toSend.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, payload: s.payment };
    if (element.ok) {
      const { paymentId } = element.value;
      await saveRecord(ctx.db, b.keys.payment, { entityId: s.p.payment.id, xeroId: paymentId, number: s.p.key, status: element.value.status ?? 'AUTHORISED', payloadHash: payloadHash(s.payment) }, ctx.clock.now());
      if (s.moved && paymentId && b.svc.historyNotes) {
        await enqueueHistoryNote(ctx, b.session.orgId, { recordType: 'payment', xeroId: paymentId, entityType: 'payment', entityId: s.p.payment.id, details: `Ledgerbridge payment ${s.p.payment.id} of ${await saleNameOf(ctx.records, ctx.db, b.session.orgId, s.p.payment.saleId)}: ${s.moved}` });
      }
      b.recorder.results[s.p.index] = done({ ...b.recorder.syncOf(s.p.payment.id), externalId: paymentId, externalRef: s.p.key, ...(s.moved ? { note: s.moved } : {}) },
        [b.recorder.audit(s.p.item, { action: 'created', outcome: 'ok', request, response: element.summary, ...(s.moved ? { message: s.moved } : {}) })]);
    } else if (element.messages.some((m) => LOCK_DATE_REFUSAL.test(m))) {
      lockRefused.push({ s, messages: element.messages });
    } else if (invoiceNotAuthorised(element.messages)) {
      notAuthorised.push(s);
    } else {
      b.recorder.fail(s.p.item, s.p.index, element.messages.join('; ') || 'Xero refused this payment without a message', { request, response: element.summary });
    }
  }
  if (notAuthorised.length > 0) await explainNotAuthorised(b, notAuthorised);
  if (lockRefused.length > 0) {
    const locked = await readLockDates(b.session, ctx.db, ctx.clock.now());
    for (const { s, messages } of lockRefused) {
      const next = afterLockRefusal(s.payment.Date, locked, messages);
      if (next.retry) b.recorder.results[s.p.index] = retryLater(next.message, [b.recorder.audit(s.p.item, { action: 'retry', outcome: 'retry', message: next.audit })], 0);
      else b.recorder.fail(s.p.item, s.p.index, next.message);
    }
  }
}

/** Voided by the accountant since (deleted upstream), or still a draft (the admin's decision): ONE look at those invoices. */
async function explainNotAuthorised(b: Batch, refused: readonly ToSend[]): Promise<void> {
  const { ctx } = b.svc;
  const states = await b.session.xero.getInvoices([...new Set(refused.map((s) => s.p.invoice.xeroId!))]);
  for (const { p } of refused) {
    const state = states.find((i) => i.invoiceId.toLowerCase() === p.invoice.xeroId!.toLowerCase());
    const status = state?.status ?? undefined;
    if (notAuthorisedBecause(state) === 'not_approved') {
      b.recorder.fail(p.item, p.index, `Payments can only be made against AUTHORISED documents (invoice ${p.invoice.number ?? ''} is ${status}). Approve it in Xero, then retry.`);
      continue;
    }
    const how = (status ?? 'deleted').toLowerCase();
    await saveRecord(ctx.db, b.keys.invoice, { entityId: p.payment.saleId, status: DELETED_UPSTREAM, note: `${status ?? 'not found'} in Xero` }, ctx.clock.now());
    await ctx.sync.upsert(ctx.db, { orgId: b.session.orgId, entityType: 'sale', entityId: p.payment.saleId, recordType: 'invoice', status: 'deleted_upstream', error: `Invoice ${p.invoice.number ?? ''} was ${how} in Xero` });
    b.recorder.skip(p.item, p.index, `Skipped: the invoice ${p.invoice.number ?? ''} was ${how} in Xero by the accountant, so this payment is not recorded there`);
  }
}
