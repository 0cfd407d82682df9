// Sale → ACCREC invoice, a batch at a time (up to 50 sales, one organisation):
//   guard      what we already know (xero_records): synced → done, removed in Xero → never again
//   reconcile  items that may have landed before (a send was marked and never answered — engine/sendMarks.ts —
//              or a resend): ONE lookup by InvoiceNumber; adopt what exists, mark voided/deleted ones
//              deleted_upstream. A retry whose earlier attempt never sent (deferred by the rate budget,
//              failed on a contact call) goes straight to the send.
//   contacts   resolve the customers (contacts.ts)
//   build      the pure payload builders; a sale that cannot be built fails alone
//   send       ONE PUT /Invoices?summarizeErrors=false with a deterministic Idempotency-Key
//   record     each element on its own: success → xero_records + synced; Xero's validation messages →
//              that item fails with them (the other 49 are unaffected)
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext, SaleSnapshot, SyncRecordUpdate } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { PermanentError } from '../../../server/errors';
import { buildInvoice, invoiceNumberFor, type BuiltInvoice } from '../payloads';
import type { ResolvedMappings } from '../mappings/types';
import type { AuditEntry } from '../engine/audit';
import { forgetContact, resolveContacts } from './contacts';
import { enqueueHistoryNote } from './historyNotes';
import { afterCallFailure, done, failed, finishBatch, retryLater, type ItemResult } from '../engine/outcomes';
import { DELETED_UPSTREAM, findRecords, isRemovedInXero, saveRecord, type RecordKey } from '../engine/records';
import { idempotencyKey, payloadHash, stableJson } from '../engine/keys';
import { openSession } from '../engine/session';
import { clearMarks, markedItems, sendMarked } from '../engine/sendMarks';
import { permanentMessage, type XeroServices } from '../engine/services';
import type { InvoicePushPayload } from './types';
import { loadResolvedMappings } from '../mappings/load';

const UNIQUE_NUMBER = /must be unique/i;
const CONTACT_PROBLEM = /contact/i;

/** The absolute link back to a sale, sent as the invoice's Url. */
const saleUrlOf = (ctx: Pick<PluginContext<XeroConfig>, 'publicUrl'>, saleId: number): string =>
  `${ctx.publicUrl.replace(/\/+$/, '')}/sales/${saleId}`;

export async function pushInvoices(svc: XeroServices, items: OutboxItem<InvoicePushPayload>[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const results: (ItemResult | undefined)[] = items.map(() => undefined);
  const syncOf = (saleId: number): SyncRecordUpdate => ({ orgId, entityType: 'sale', entityId: saleId, recordType: 'invoice', status: 'synced' });
  const audit = (item: OutboxItem<InvoicePushPayload>, e: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'recordType'>): AuditEntry => ({
    orgId, entityType: 'sale', entityId: item.payload.saleId, recordType: 'invoice', triggeredBy: item.payload.triggeredBy ?? 'system', outboxItemId: item.id, ...e,
  });

  let mappings: ResolvedMappings;
  try {
    mappings = await loadResolvedMappings(ctx.db, orgId);
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    const message = permanentMessage(err);
    return finishBatch(ctx, items, items.map((item) => failed(message, syncOf(item.payload.saleId), [audit(item, { action: 'failed', outcome: 'failed', message })])), hctx.workerId);
  }

  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  const key: RecordKey = { orgId, tenantId: session.tenantId, entityType: 'sale', recordType: 'invoice' };
  const sales = new Map<number, SaleSnapshot>();
  for (const [index, item] of items.entries()) {
    const sale = await ctx.records.sale(ctx.db, orgId, item.payload.saleId);
    if (sale) sales.set(item.payload.saleId, sale);
    else results[index] = failed(`Sale ${item.payload.saleId} no longer exists in this organisation`, undefined, [audit(item, { action: 'failed', outcome: 'failed', message: 'sale not found' })]);
  }

  // ---- guard: what we already know ----
  const known = await findRecords(ctx.db, key, items.map((i) => i.payload.saleId));
  const toVerify: number[] = []; // resends of records we hold: is the invoice still alive in Xero?
  for (const [index, item] of items.entries()) {
    if (results[index]) continue;
    const record = known.get(item.payload.saleId);
    if (!record) continue;
    if (isRemovedInXero(record.status)) {
      results[index] = skippedDeleted(item, record.number, audit, syncOf);
    } else if (record.xeroId && item.payload.reconcile) {
      toVerify.push(index);
    } else if (record.xeroId) {
      results[index] = done({ ...syncOf(item.payload.saleId), externalId: record.xeroId, externalRef: record.number },
        [audit(item, { action: 'already_synced', outcome: 'ok', message: `already in Xero as ${record.number}` })]);
    }
  }

  try {
    // ---- reconcile: look up by natural key before (re-)sending anything that may have landed ----
    const marked = await markedItems(ctx.db, items.filter((item) => item.attempts > 1), 'invoice');
    const lookup = items
      .map((item, index) => ({ item, index }))
      .filter(({ item, index }) => !results[index] && (toVerify.includes(index) || marked.has(item.id) || item.payload.reconcile));
    if (lookup.length > 0) {
      const numbers = lookup.map(({ item }) => invoiceNumberFor(item.payload.saleId, mappings));
      const found = await session.xero.findInvoicesByNumber(numbers);
      const byNumber = new Map(found.map((inv) => [inv.number?.toLowerCase() ?? '', inv]));
      for (const { item, index } of lookup) {
        const number = invoiceNumberFor(item.payload.saleId, mappings);
        const existing = byNumber.get(number.toLowerCase());
        if (!existing) {
          // A record we held but Xero no longer lists under its number: it was deleted there.
          if (toVerify.includes(index)) {
            await saveRecord(ctx.db, key, { entityId: item.payload.saleId, status: DELETED_UPSTREAM, note: `not found in Xero by number ${number}` }, ctx.clock.now());
            results[index] = skippedDeleted(item, number, audit, syncOf);
          }
          continue;
        }
        const status = existing.status ?? 'UNKNOWN';
        const { invoiceId } = existing;
        if (isRemovedInXero(status)) {
          await saveRecord(ctx.db, key, { entityId: item.payload.saleId, xeroId: invoiceId, number, status: DELETED_UPSTREAM, note: `${status} in Xero` }, ctx.clock.now());
          results[index] = skippedDeleted(item, number, audit, syncOf, status);
        } else {
          await saveRecord(ctx.db, key, { entityId: item.payload.saleId, xeroId: invoiceId, number, status }, ctx.clock.now());
          results[index] = done({ ...syncOf(item.payload.saleId), externalId: invoiceId, externalRef: number }, [audit(item, {
            action: 'adopted', outcome: 'ok', response: existing.summary,
            message: `found in Xero by number ${number} before re-sending; adopted, not created again`,
          })]);
        }
      }
    }

    // ---- contacts ----
    const pending = items.map((item, index) => ({ item, index })).filter(({ index }) => !results[index]);
    if (pending.length === 0) return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
    const contacts = await resolveContacts(session, ctx.db, pending.map(({ item }) => sales.get(item.payload.saleId)!.customer), pending.map(({ item }) => item.id));

    // ---- build ----
    const toSend: { item: OutboxItem<InvoicePushPayload>; index: number; built: BuiltInvoice; customerId: number }[] = [];
    for (const { item, index } of pending) {
      const sale = sales.get(item.payload.saleId)!;
      const contact = contacts.get(sale.customer.id);
      if (!contact || !contact.ok) {
        const message = contact && !contact.ok ? contact.message : 'the customer could not be matched to a Xero contact';
        results[index] = failed(message, syncOf(sale.id), [audit(item, { action: 'failed', outcome: 'failed', message })]);
        continue;
      }
      try {
        const built = buildInvoice(sale, mappings, { contact: { ContactID: contact.contactId }, saleUrl: saleUrlOf(ctx, sale.id), now: ctx.clock.now() });
        toSend.push({ item, index, built, customerId: sale.customer.id });
      } catch (err) {
        if (!(err instanceof PermanentError)) throw err;
        const message = permanentMessage(err);
        results[index] = failed(message, syncOf(sale.id), [audit(item, { action: 'failed', outcome: 'failed', message })]);
      }
    }

    // ---- send: one call for the batch ----
    if (toSend.length > 0) {
      const payloads = toSend.map((s) => s.built.payload);
      const unitdp = toSend.some((s) => s.built.unitdp === 4) ? 4 : 2;
      const idemKey = idempotencyKey('invoices', toSend.map((s) => s.item.id), stableJson(payloads));
      const elements = await sendMarked(session, ctx.db, toSend.map((s) => s.item.id), 'invoice',
        (beforeSend) => session.xero.createInvoices(payloads, { unitdp, idempotencyKey: idemKey, beforeSend }));
      // Xero answered each element: those it refused were not created (the created ones are cleared when
      // done), except "must be unique": that number exists, perhaps from an earlier attempt — look it up next time.
      await clearMarks(ctx.db, toSend.filter((_, n) => !elements[n]!.ok && !elements[n]!.messages.some((m) => UNIQUE_NUMBER.test(m))).map((s) => s.item.id), 'invoice');

      // ---- record each element on its own ----
      for (const [n, { item, index, built, customerId }] of toSend.entries()) {
        const element = elements[n]!;
        const request = { idempotencyKey: idemKey, unitdp, payload: built.payload, expected: built.expected, coding: built.coding };
        if (element.ok) {
          const { invoiceId } = element.value;
          const number = element.value.number ?? built.payload.InvoiceNumber;
          const status = element.value.status ?? built.payload.Status;
          await saveRecord(ctx.db, key, { entityId: item.payload.saleId, xeroId: invoiceId, number, status, payloadHash: payloadHash(built.payload) }, ctx.clock.now());
          if (svc.historyNotes) {
            await enqueueHistoryNote(ctx, orgId, { recordType: 'invoice', xeroId: invoiceId, entityType: 'sale', entityId: item.payload.saleId,
              details: `Created by Ledgerbridge from sale #${item.payload.saleId}${built.payload.Reference ? ` (${built.payload.Reference})` : ''}: ${saleUrlOf(ctx, item.payload.saleId)}` });
          }
          results[index] = done({ ...syncOf(item.payload.saleId), externalId: invoiceId, externalRef: number },
            [audit(item, { action: 'created', outcome: 'ok', request, response: element.summary })]);
        } else {
          const message = element.messages.join('; ') || 'Xero refused this invoice without a message';
          if (element.messages.some((m) => UNIQUE_NUMBER.test(m))) {
            // The number exists: an earlier attempt may have landed. The next attempt (> 1) looks it up first.
            results[index] = retryLater(`Xero: ${message}`, [audit(item, { action: 'retry', outcome: 'retry', request, response: element.summary, message })]);
          } else if (element.messages.some((m) => CONTACT_PROBLEM.test(m))) {
            // The cached contact may have been archived/removed in Xero: resolve it afresh next time.
            await forgetContact(session, ctx.db, customerId);
            results[index] = retryLater(`Xero: ${message}`, [audit(item, { action: 'retry', outcome: 'retry', request, response: element.summary, message })]);
          } else {
            results[index] = failed(message, syncOf(item.payload.saleId), [audit(item, { action: 'failed', outcome: 'failed', request, response: element.summary, message })]);
          }
        }
      }
    }
  } catch (err) {
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}

function skippedDeleted(
  item: OutboxItem<InvoicePushPayload>, number: string | null,
  audit: (item: OutboxItem<InvoicePushPayload>, e: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'recordType'>) => AuditEntry,
  syncOf: (saleId: number) => SyncRecordUpdate, status = 'voided or deleted',
): ItemResult {
  const message = `Invoice ${number ?? ''} was ${status.toLowerCase()} in Xero by the accountant; it is not pushed again`.replace('  ', ' ');
  return done({ ...syncOf(item.payload.saleId), status: 'deleted_upstream', error: message }, [audit(item, { action: 'deleted_upstream', outcome: 'skipped', message })]);
}
