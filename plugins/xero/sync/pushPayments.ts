// Payment → Xero Payment on its invoice, into the account mapped for the payment method. A batch at a time:
//   guard      the invoice comes from xero_records, else ONE lookup by InvoiceNumber (a late payment for an
//              old invoice): a payment NEVER creates an invoice. Removed in Xero → skipped with the reason.
//   reconcile  a send that may have landed (engine/sendMarks.ts) or a resend: ONE lookup of payments by our Reference
//              key; adopt those on the invoice
//   send       ONE PUT /Payments?summarizeErrors=false; per-element results. "Only AUTHORISED documents"
//              → ONE look at those invoices: voided/deleted there → deleted_upstream, else Xero's message.
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PaymentSnapshot } from '../../../server/plugins/contract';
import { PermanentError } from '../../../server/errors';
import { buildPayment, invoiceNumberFor, paymentKeyFor } from '../payloads';
import type { XeroPayment } from '../gateway/documents';
import { afterCallFailure, done, finishBatch, type ItemResult } from '../engine/outcomes';
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord, type RecordKey, type XeroRecord } from '../engine/records';
import { idempotencyKey, payloadHash, stableJson } from '../engine/keys';
import { openSession } from '../engine/session';
import { clearMarks, markedItems, sendMarked } from '../engine/sendMarks';
import { batchRecorder } from '../engine/batchRecorder';
import { mappingsOrFinish } from './mappingsOrFinish';
import { permanentMessage, type XeroServices } from '../engine/services';
import type { PaymentPushPayload } from './types';
import { withClearingAccounts } from '../clearing/paymentAccounts';

type Item = OutboxItem<PaymentPushPayload>;
const NOT_AUTHORISED = /only be made against AUTHORISED/i;

export async function pushPayments(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const batch = batchRecorder(items, { orgId, entityType: 'payment', recordType: 'payment', entityId: (p) => p.paymentId });
  const { results, syncOf, audit, fail, skip } = batch;
  const loaded = await mappingsOrFinish(svc, orgId, items, batch, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const { mappings } = loaded;

  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  const invoiceKey: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'sale', recordType: 'invoice' };
  const paymentKey: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'payment', recordType: 'payment' };

  try {
    const loaded: { item: Item; index: number; payment: PaymentSnapshot }[] = [];
    for (const [index, item] of items.entries()) {
      const payment = await ctx.records.payment(ctx.db, orgId, item.payload.paymentId);
      if (payment) loaded.push({ item, index, payment });
      else fail(item, index, `Payment ${item.payload.paymentId} no longer exists in this organisation`);
    }

    // ---- guard: our payment record, and the invoice (looked up by number if we never recorded it) ----
    const known = await findRecords(ctx.db, paymentKey, loaded.map((l) => l.payment.id));
    let invoices = await findRecords(ctx.db, invoiceKey, loaded.map((l) => l.payment.saleId));
    const unknown = loaded.filter((l) => !known.get(l.payment.id)?.xeroId && !invoices.has(l.payment.saleId));
    if (unknown.length > 0) {
      const numbers = unknown.map((l) => invoiceNumberFor(l.payment.saleId, mappings));
      const found = await session.xero.findInvoicesByNumber(numbers);
      for (const inv of found) {
        const l = unknown.find((u) => invoiceNumberFor(u.payment.saleId, mappings).toLowerCase() === inv.number?.toLowerCase());
        const status = inv.status ?? 'UNKNOWN';
        if (l) await saveRecord(ctx.db, invoiceKey, { entityId: l.payment.saleId, xeroId: inv.invoiceId, number: inv.number, status: isRemovedInXero(status) ? DELETED_UPSTREAM : status }, ctx.clock.now());
      }
      invoices = await findRecords(ctx.db, invoiceKey, loaded.map((l) => l.payment.saleId));
    }

    const pending: { item: Item; index: number; payment: PaymentSnapshot; invoice: XeroRecord; key: string }[] = [];
    for (const l of loaded) {
      const record = known.get(l.payment.id);
      const invoice = invoices.get(l.payment.saleId);
      if (record && isRemovedInXero(record.status)) {
        skip(l.item, l.index, 'This payment was deleted in Xero by the accountant; it is not pushed again');
      } else if (record?.xeroId) {
        results[l.index] = done({ ...syncOf(l.payment.id), externalId: record.xeroId, externalRef: record.number }, [audit(l.item, { action: 'already_synced', outcome: 'ok', message: 'already in Xero' })]);
      } else if (!invoice?.xeroId && !isRemovedInXero(invoice?.status)) {
        fail(l.item, l.index, `The invoice ${invoiceNumberFor(l.payment.saleId, mappings)} for sale ${l.payment.saleId} is not in Xero; a payment never creates one. Send the sale first, then retry this payment.`);
      } else if (isRemovedInXero(invoice?.status)) {
        skip(l.item, l.index, `Skipped: the invoice ${invoice?.number ?? ''} was voided or deleted in Xero by the accountant, so this payment is not recorded there`);
      } else {
        pending.push({ ...l, invoice: invoice!, key: paymentKeyFor(l.payment.id, mappings) });
      }
    }

    // ---- reconcile: payments that may have landed, by our Reference key on the same invoice ----
    const marked = await markedItems(ctx.db, pending.filter((p) => p.item.attempts > 1).map((p) => p.item), 'payment');
    const reconcile = pending.filter((p) => marked.has(p.item.id) || p.item.payload.reconcile);
    if (reconcile.length > 0) {
      const found = await session.xero.findPaymentsByKey(reconcile.map((p) => p.key));
      for (const p of reconcile) {
        const match = found.find((f) => {
          const ref = f.reference ?? '';
          return (ref === p.key || ref.startsWith(`${p.key} `)) && f.invoiceId?.toLowerCase() === p.invoice.xeroId!.toLowerCase();
        });
        if (!match) continue;
        const { paymentId } = match;
        await saveRecord(ctx.db, paymentKey, { entityId: p.payment.id, xeroId: paymentId, number: p.key, status: match.status ?? 'AUTHORISED' }, ctx.clock.now());
        results[p.index] = done({ ...syncOf(p.payment.id), externalId: paymentId, externalRef: p.key }, [audit(p.item, {
          action: 'adopted', outcome: 'ok', response: match.summary, message: `found in Xero by reference ${p.key} before re-sending; adopted`,
        })]);
      }
    }

    // ---- build and send (one call) ----
    const toSend: { p: (typeof pending)[number]; payment: XeroPayment }[] = [];
    // Stripe/GoCardless without a mapped account: into the provider's clearing account (found or created).
    const accountMappings = await withClearingAccounts(ctx, session, mappings, pending.filter((p) => !results[p.index]).map((p) => p.payment));
    for (const p of pending) {
      if (results[p.index]) continue;
      try {
        toSend.push({ p, payment: buildPayment(p.payment, p.invoice.xeroId!, accountMappings) });
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        fail(p.item, p.index, permanentMessage(err));
      }
    }
    if (toSend.length > 0) {
      const payloads = toSend.map((s) => s.payment);
      const idemKey = idempotencyKey('payments', toSend.map((s) => s.p.item.id), stableJson(payloads));
      const elements = await sendMarked(session, ctx.db, toSend.map((s) => s.p.item.id), 'payment',
        (beforeSend) => session.xero.createPayments(payloads, { idempotencyKey: idemKey, beforeSend }));
      await clearMarks(ctx.db, toSend.filter((_, n) => !elements[n]!.ok).map((s) => s.p.item.id), 'payment');
      const notAuthorised: (typeof toSend)[number][] = [];
      for (const [n, s] of toSend.entries()) {
        const element = elements[n]!;
        const request = { idempotencyKey: idemKey, payload: s.payment };
        if (element.ok) {
          const { paymentId } = element.value;
          await saveRecord(ctx.db, paymentKey, { entityId: s.p.payment.id, xeroId: paymentId, number: s.p.key, status: element.value.status ?? 'AUTHORISED', payloadHash: payloadHash(s.payment) }, ctx.clock.now());
          results[s.p.index] = done({ ...syncOf(s.p.payment.id), externalId: paymentId, externalRef: s.p.key }, [audit(s.p.item, { action: 'created', outcome: 'ok', request, response: element.summary })]);
        } else if (element.messages.some((m) => NOT_AUTHORISED.test(m))) {
          notAuthorised.push(s);
        } else {
          fail(s.p.item, s.p.index, element.messages.join('; ') || 'Xero refused this payment without a message', { request, response: element.summary });
        }
      }
      if (notAuthorised.length > 0) {
        // Voided by the accountant since (deleted upstream), or still a draft (the admin's decision).
        const ids = [...new Set(notAuthorised.map((s) => s.p.invoice.xeroId!))];
        const states = await session.xero.getInvoices(ids);
        for (const s of notAuthorised) {
          const state = states.find((i) => i.invoiceId.toLowerCase() === s.p.invoice.xeroId!.toLowerCase());
          const status = state?.status ?? undefined;
          if (!state || isRemovedInXero(status)) {
            await saveRecord(ctx.db, invoiceKey, { entityId: s.p.payment.saleId, status: DELETED_UPSTREAM, note: `${status ?? 'not found'} in Xero` }, ctx.clock.now());
            await ctx.sync.upsert(ctx.db, { orgId, entityType: 'sale', entityId: s.p.payment.saleId, recordType: 'invoice', status: 'deleted_upstream', error: `Invoice ${s.p.invoice.number ?? ''} was ${(status ?? 'deleted').toLowerCase()} in Xero` });
            skip(s.p.item, s.p.index, `Skipped: the invoice ${s.p.invoice.number ?? ''} was ${(status ?? 'deleted').toLowerCase()} in Xero by the accountant, so this payment is not recorded there`);
          } else {
            fail(s.p.item, s.p.index, `Payments can only be made against AUTHORISED documents (invoice ${s.p.invoice.number ?? ''} is ${status}). Approve it in Xero, then retry.`);
          }
        }
      }
    }
  } catch (err) {
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}
