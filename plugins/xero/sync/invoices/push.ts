// Sale → ACCREC invoice, a batch at a time (up to 50 sales, one organisation):
//   guard      what we already know (xero_records): in Xero → done, removed there → never again
//   reconcile  items that may have landed before (a send was marked and never answered — engine/sendMarks.ts —
//              or a resend): ONE lookup by InvoiceNumber; adopt what exists, mark voided/deleted ones
//              deleted_upstream. A retry whose earlier attempt never sent (deferred by the rate budget,
//              failed on a contact call) goes straight to the send.
//   build      the customers' contacts (../contacts.ts), then the pure payload builders; a sale that cannot
//              be built fails alone
//   send       ONE PUT /Invoices?summarizeErrors=false with a deterministic Idempotency-Key; each element on
//              its own: created → xero_records + synced; refused → that item fails with Xero's messages (the
//              other 49 are unaffected), or retries when the number is taken or the contact went
// The decisions are pure (decisions.ts).
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext, SaleSnapshot } from '../../../../server/plugins/contract';
import { PermanentError } from '../../../../server/errors';
import type { XeroConfig } from '../../config';
import { batchRecorder, type BatchRecorder } from '../../engine/batchRecorder';
import { idempotencyKey, payloadHash, stableJson } from '../../engine/keys';
import { rememberOurContents } from '../../incoming/contentHashes';
import { afterCallFailure, done, finishBatch, retryLater, type ItemResult } from '../../engine/outcomes';
import { DELETED_UPSTREAM, findRecords, saveRecords, type RecordKey, type RecordWrite } from '../../engine/records';
import { saleNamesOf } from '../../engine/names';
import { salesById } from '../../engine/hostSales';
import { clearMarks, markedItems, sendMarked } from '../../engine/sendMarks';
import { openSession, type XeroSession } from '../../engine/session';
import { permanentMessage, type XeroServices } from '../../engine/services';
import type { ResolvedMappings } from '../../mappings/types';
import { MappingToFixError } from '../../mappings/resolve';
import { mappingToFix } from '../../mappings/toFix';
import { buildInvoice, invoiceNumberFor, type BuiltInvoice } from '../../payloads';
import { forgetContact, resolveContacts } from '../contacts';
import { enqueueHistoryNotes } from '../historyNotes';
import { enqueueReceiptAttaches } from '../receipts';
import { mappingsOrFinish } from '../mappingsOrFinish';
import { waitingNote, waitsUntil } from '../serviceDate';
import { afterLockRefusal as placeAfterLockRefusal, dayAfter, heldError, heldNote, LOCK_DATE_REFUSAL, lockedUpTo, movedNote, storedLockDates, storeLockDates } from '../lockDates';
import { dueDate } from '../../payloads/dates';
import type { InvoicePushPayload } from '../types';
import type { CreatedInvoice } from '../../gateway/gateway';
import { queueDepositAllocations } from '../deposits/enqueue';
import { knownInvoice, lookedUp, refusalOf } from './decisions';

type Item = OutboxItem<InvoicePushPayload>;

interface Batch {
  svc: XeroServices;
  session: XeroSession;
  mappings: ResolvedMappings;
  /** The organisation's time zone: an invoice is dated on the sale's day there. */
  timeZone: string;
  /** The last day locked in Xero, as last read (lockDates.ts); null: nothing known to be locked. */
  lockedUpTo: string | null;
  recorder: BatchRecorder<InvoicePushPayload>;
  key: RecordKey;
  sales: Map<number, SaleSnapshot>;
}

interface ToSend {
  item: Item; index: number; built: BuiltInvoice; customerId: number;
  /** Said on the Xero record and in the audit trail when the invoice was moved out of a locked period. */
  moved?: string;
}

/** The absolute link back to a sale, sent as the invoice's Url. */
const saleUrlOf = (ctx: Pick<PluginContext<XeroConfig>, 'publicUrl'>, saleId: number): string =>
  `${ctx.publicUrl.replace(/\/+$/, '')}/sales/${saleId}`;

export async function pushInvoices(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const recorder = batchRecorder(items, { orgId, entityType: 'sale', recordType: 'invoice', entityId: (p) => p.saleId });
  const loaded = await mappingsOrFinish(svc, orgId, items, recorder, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const sales = await loadSales(svc, orgId, items, recorder);
  skipCancelled(items, sales, recorder);
  deferUntilServiceDate(svc, items, sales, loaded, recorder);
  if (recorder.results.every((r) => r !== undefined)) return finishBatch(ctx, items, recorder.results as ItemResult[], hctx.workerId);
  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal, hctx.holdLease);
  const b: Batch = {
    svc, session, mappings: loaded.mappings, timeZone: loaded.timeZone, recorder, sales,
    lockedUpTo: lockedUpTo(await storedLockDates(ctx.db, orgId)),
    key: { orgId, tenantId: session.tenantId, entityType: 'sale', recordType: 'invoice' },
  };
  const verifying = await guard(b, items);
  try {
    await reconcile(b, items, verifying);
    const toSend = await build(b, items);
    if (toSend.length > 0) await send(b, toSend);
  } catch (err) {
    await queueAllocationsOfDone(b, items);
    return afterCallFailure(ctx, items, recorder.results, err, hctx.workerId);
  }
  await queueAllocationsOfDone(b, items);
  return finishBatch(ctx, items, recorder.results as ItemResult[], hctx.workerId);
}

/**
 * Invoices now in Xero (created, adopted or found there): their sales' deposits are allocated to them
 * (../deposits/). Queued before the items complete, once per sale, so a crash in between queues it again.
 */
async function queueAllocationsOfDone(b: Batch, items: readonly Item[]): Promise<void> {
  const saleIds = items.filter((_, index) => b.recorder.results[index]?.outcome.status === 'done').map((item) => item.payload.saleId);
  await queueDepositAllocations(b.svc.ctx, b.svc.ctx.db, b.session.orgId, saleIds);
}

async function loadSales(svc: XeroServices, orgId: number, items: readonly Item[], recorder: BatchRecorder<InvoicePushPayload>): Promise<Map<number, SaleSnapshot>> {
  const sales = await salesById(svc.ctx.records, svc.ctx.db, orgId, items.map((item) => item.payload.saleId));
  for (const [index, item] of items.entries()) {
    if (sales.has(item.payload.saleId)) continue;
    recorder.results[index] = { outcome: { status: 'failed', error: `Sale ${item.payload.saleId} no longer exists in this organisation` }, audit: [recorder.audit(item, { action: 'failed', outcome: 'failed', message: 'sale not found' })] };
  }
  return sales;
}

/** A booking cancelled with its deposit kept is never invoiced as sold: the deposit push invoices what was kept (../deposits/). */
function skipCancelled(items: readonly Item[], sales: ReadonlyMap<number, SaleSnapshot>, recorder: BatchRecorder<InvoicePushPayload>): void {
  for (const [index, item] of items.entries()) {
    if (recorder.results[index] || !sales.get(item.payload.saleId)?.cancellation) continue;
    recorder.results[index] = done(undefined, [recorder.audit(item, { action: 'skipped', outcome: 'skipped', message: 'booking cancelled, deposit kept: the kept money is invoiced instead (deposits)' })]);
  }
}

/**
 * An invoice dated on a service date still to come goes back to wait for that day (it was brought forward:
 * the schedule switched to real time, or someone asked to send it now), saying so on the sale.
 */
function deferUntilServiceDate(
  svc: XeroServices, items: readonly Item[], sales: ReadonlyMap<number, SaleSnapshot>, loaded: { mappings: ResolvedMappings; timeZone: string },
  recorder: BatchRecorder<InvoicePushPayload>,
): void {
  const now = svc.ctx.clock.now();
  for (const [index, item] of items.entries()) {
    const sale = sales.get(item.payload.saleId);
    if (recorder.results[index] || !sale) continue;
    const until = waitsUntil(sale, loaded.mappings, loaded.timeZone, now);
    if (until === null) continue;
    const note = waitingNote(sale.serviceDate!);
    recorder.results[index] = {
      ...retryLater(note, [recorder.audit(item, { action: 'deferred', outcome: 'skipped', message: note })], until - now),
      sync: { ...recorder.syncOf(sale.id), status: 'pending', note },
    };
  }
}

/** What xero_records already says: done, removed, or (a resend of one we hold) to verify. Returns the items to verify. */
async function guard(b: Batch, items: readonly Item[]): Promise<Set<number>> {
  const known = await findRecords(b.svc.ctx.db, b.key, items.map((i) => i.payload.saleId));
  const verifying = new Set<number>();
  const inXero: { item: Item; invoiceId: string }[] = [];
  for (const [index, item] of items.entries()) {
    if (b.recorder.results[index]) continue;
    const record = known.get(item.payload.saleId);
    const state = knownInvoice(record, item.payload.reconcile === true);
    if (state === 'removed') b.recorder.results[index] = skippedDeleted(b, item, record!.number);
    else if (state === 'verify') verifying.add(index);
    else if (state === 'in_xero') {
      inXero.push({ item, invoiceId: record!.xeroId! });
      b.recorder.results[index] = done({ ...b.recorder.syncOf(item.payload.saleId), externalId: record!.xeroId, externalRef: record!.number },
        [b.recorder.audit(item, { action: 'already_synced', outcome: 'ok', message: `already in Xero as ${record!.number}` })]);
    }
  }
  await receiptsFor(b, inXero);
  return verifying;
}

/**
 * With receipts on (Xero settings → Receipts), an invoice now in Xero gets its sale's receipt attached by an
 * item of its own (../receipts.ts). A resend asks again, under its own key: that item finds the receipt
 * already marked or already on the invoice and uploads nothing. One statement for the batch's invoices.
 */
async function receiptsFor(b: Batch, invoices: readonly { item: Item; invoiceId: string }[]): Promise<void> {
  const { ctx } = b.svc;
  if (!b.mappings.attachReceipts || !ctx.receipts || invoices.length === 0) return;
  await enqueueReceiptAttaches(ctx, b.session.orgId, invoices.map(({ item, invoiceId }) => ({
    payload: { saleId: item.payload.saleId, invoiceId, ...(item.payload.triggeredBy ? { triggeredBy: item.payload.triggeredBy } : {}) },
    ...(item.payload.reconcile === true ? { again: `resend:${item.id}` } : {}),
  })));
}

/** Look up by number, before (re-)sending, whatever may have landed or a person asked to resend. */
async function reconcile(b: Batch, items: readonly Item[], verifying: ReadonlySet<number>): Promise<void> {
  const { ctx } = b.svc;
  const marked = await markedItems(ctx.db, items.filter((item) => item.attempts > 1), 'invoice');
  const lookup = items.map((item, index) => ({ item, index }))
    .filter(({ item, index }) => !b.recorder.results[index] && (marked.has(item.id) || item.payload.reconcile === true));
  if (lookup.length === 0) return;
  const found = await b.session.xero.findInvoicesByNumber(lookup.map(({ item }) => invoiceNumberFor(item.payload.saleId, b.mappings)));
  const byNumber = new Map(found.map((inv) => [inv.number?.toLowerCase() ?? '', inv]));
  // What Xero holds, recorded for the whole batch in one statement before anything else happens.
  const records: RecordWrite[] = [];
  const adopted: { item: Item; invoiceId: string }[] = [];
  for (const { item, index } of lookup) {
    const number = invoiceNumberFor(item.payload.saleId, b.mappings);
    const existing = byNumber.get(number.toLowerCase());
    const entityId = item.payload.saleId;
    switch (lookedUp(existing, verifying.has(index))) {
      case 'send':
        break;
      case 'removed':
        if (!existing) {
          // A record we held but Xero no longer lists under its number: it was deleted there.
          records.push({ entityId, status: DELETED_UPSTREAM, note: `not found in Xero by number ${number}` });
          b.recorder.results[index] = skippedDeleted(b, item, number);
        } else {
          const status = existing.status ?? 'UNKNOWN';
          records.push({ entityId, xeroId: existing.invoiceId, number, status: DELETED_UPSTREAM, note: `${status} in Xero` });
          b.recorder.results[index] = skippedDeleted(b, item, number, status);
        }
        break;
      case 'adopt':
        records.push({ entityId, xeroId: existing!.invoiceId, number, status: existing!.status ?? 'UNKNOWN', totals: existing!.totals });
        adopted.push({ item, invoiceId: existing!.invoiceId });
        b.recorder.results[index] = done({ ...b.recorder.syncOf(entityId), externalId: existing!.invoiceId, externalRef: number }, [b.recorder.audit(item, {
          action: 'adopted', outcome: 'ok', response: existing!.summary, message: `found in Xero by number ${number} before re-sending; adopted, not created again`,
        })]);
    }
  }
  await saveRecords(ctx.db, b.key, records, ctx.clock.now());
  await receiptsFor(b, adopted);
}

/** The customers' contacts (up to three calls for the batch), then each invoice; a sale that cannot be built fails alone. */
async function build(b: Batch, items: readonly Item[]): Promise<ToSend[]> {
  const { ctx } = b.svc;
  const pending = items.map((item, index) => ({ item, index })).filter(({ index }) => !b.recorder.results[index]);
  if (pending.length === 0) return [];
  const contacts = await resolveContacts(b.session, ctx.db, pending.map(({ item }) => b.sales.get(item.payload.saleId)!.customer), pending.map(({ item }) => item.id));
  const toSend: ToSend[] = [];
  const saleName = await saleNamesOf(ctx.records, ctx.db, b.session.orgId, pending.map(({ item }) => item.payload.saleId));
  for (const { item, index } of pending) {
    const sale = b.sales.get(item.payload.saleId)!;
    const contact = contacts.get(sale.customer.id);
    if (!contact || !contact.ok) {
      b.recorder.fail(item, index, contact && !contact.ok ? contact.message : 'the customer could not be matched to a Xero contact');
      continue;
    }
    try {
      const built = buildInvoice(sale, b.mappings, { contact: { ContactID: contact.contactId }, saleUrl: saleUrlOf(ctx, sale.id), now: ctx.clock.now(), timeZone: b.timeZone, saleName });
      const date = built.payload.Date;
      const locked = b.lockedUpTo;
      if (locked && date <= locked) {
        if (b.mappings.lockedPeriod === 'hold') {
          b.recorder.fail(item, index, heldError(date, locked), {}, heldNote(date, locked));
          continue;
        }
        // Posted on the first open day, due as the rule says from that day.
        const to = dayAfter(locked);
        built.payload.Date = to;
        built.payload.DueDate = dueDate(to, b.mappings.dueDateRule);
        toSend.push({ item, index, built, customerId: sale.customer.id, moved: movedNote(date, to, locked) });
        continue;
      }
      toSend.push({ item, index, built, customerId: sale.customer.id });
    } catch (err) {
      if (!(err instanceof PermanentError)) throw err;
      b.recorder.fail(item, index, permanentMessage(err), {}, err instanceof MappingToFixError ? err.note : undefined);
    }
  }
  return toSend;
}

/** ONE call for the batch, then each element on its own. */
async function send(b: Batch, toSend: readonly ToSend[]): Promise<void> {
  const { ctx } = b.svc;
  const payloads = toSend.map((s) => s.built.payload);
  const unitdp = toSend.some((s) => s.built.unitdp === 4) ? 4 : 2;
  const idemKey = idempotencyKey('invoices', toSend.map((s) => s.item.id), stableJson(payloads));
  const elements = await sendMarked(b.session, ctx.db, toSend.map((s) => s.item.id), 'invoice',
    (beforeSend) => b.session.xero.createInvoices(payloads, { unitdp, idempotencyKey: idemKey, beforeSend }));
  // Xero answered each element: those it refused were not created (the created ones are cleared when
  // done), except a number taken: it exists, perhaps from an earlier attempt — looked up next time.
  await clearMarks(ctx.db, toSend.filter((_, n) => { const e = elements[n]!; return !e.ok && refusalOf(e.messages) !== 'number_taken'; }).map((s) => s.item.id), 'invoice');

  // What Xero created, recorded first and in one statement: a crash after this point must not forget it.
  const created = toSend.flatMap((sent, n) => {
    const element = elements[n]!;
    return element.ok ? [{ sent, created: element.value, number: element.value.number ?? sent.built.payload.InvoiceNumber }] : [];
  });
  await saveRecords(ctx.db, b.key, created.map(({ sent: { item, built }, created: value, number }) => ({
    entityId: item.payload.saleId, xeroId: value.invoiceId, number, status: value.status ?? built.payload.Status, payloadHash: payloadHash(built.payload), totals: value.totals,
  })), ctx.clock.now());
  await afterCreated(b, created);

  const lockRefused: { sent: ToSend; messages: readonly string[] }[] = [];
  for (const [n, sent] of toSend.entries()) {
    const { item, index, built, customerId, moved } = sent;
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, unitdp, payload: built.payload, expected: built.expected, coding: built.coding };
    const saleId = item.payload.saleId;
    if (element.ok) {
      const { invoiceId } = element.value;
      const number = element.value.number ?? built.payload.InvoiceNumber;
      b.recorder.results[index] = done({ ...b.recorder.syncOf(saleId), externalId: invoiceId, externalRef: number, ...(moved ? { note: moved } : {}) },
        [b.recorder.audit(item, { action: 'created', outcome: 'ok', request, response: element.summary, ...(moved ? { message: moved } : {}) })]);
      continue;
    }
    if (element.messages.some((m) => LOCK_DATE_REFUSAL.test(m))) {
      lockRefused.push({ sent, messages: element.messages });
      continue;
    }
    const message = element.messages.join('; ') || 'Xero refused this invoice without a message';
    const refusal = refusalOf(element.messages);
    if (refusal === 'invalid') {
      // A code Xero would not take that one of our mappings gave (it changed in Xero since it was mapped).
      b.recorder.fail(item, index, message, { request, response: element.summary }, mappingToFix(element.messages, built.coding));
      continue;
    }
    // The cached contact may have been archived or removed in Xero: resolved afresh next time.
    if (refusal === 'contact') await forgetContact(b.session, ctx.db, customerId);
    b.recorder.results[index] = retryLater(`Xero: ${message}`, [b.recorder.audit(item, { action: 'retry', outcome: 'retry', request, response: element.summary, message })]);
  }
  await afterLockRefusal(b, lockRefused);
}

/**
 * What follows the creation of the batch's invoices, a statement each for the batch: the history notes, the
 * receipts to attach, and what we wrote as Xero holds it (its echo is recognised by this, and a later edit
 * in Xero too).
 */
async function afterCreated(b: Batch, created: readonly { sent: ToSend; created: CreatedInvoice; number: string }[]): Promise<void> {
  if (created.length === 0) return;
  const { ctx } = b.svc;
  const orgId = b.session.orgId;
  if (b.svc.historyNotes) {
    const saleName = await saleNamesOf(ctx.records, ctx.db, orgId, created.map(({ sent }) => sent.item.payload.saleId));
    await enqueueHistoryNotes(ctx, orgId, created.map(({ sent: { item, moved }, created: { invoiceId } }) => {
      const saleId = item.payload.saleId;
      return { recordType: 'invoice', xeroId: invoiceId, entityType: 'sale', entityId: saleId,
        details: `Created by Ledgerbridge from ${saleName(saleId)}: ${saleUrlOf(ctx, saleId)}${moved ? `. ${moved}` : ''}` };
    }));
  }
  await receiptsFor(b, created.map(({ sent: { item }, created: { invoiceId } }) => ({ item, invoiceId })));
  await rememberOurContents(ctx.db, orgId, 'invoice', created.map(({ created: c }) => ({ xeroId: c.invoiceId, hash: c.contentHash, totalCents: c.totalCents })), ctx.clock.now());
}

/**
 * Xero refused invoices for a lock date: read its lock dates (one call) and keep them; an invoice now known
 * to be inside the locked period is retried at once (the next attempt dates it on the first open day, or
 * holds it), one Xero cannot be explained by them fails with Xero's message — never a retry loop.
 */
async function afterLockRefusal(b: Batch, refused: readonly { sent: ToSend; messages: readonly string[] }[]): Promise<void> {
  if (refused.length === 0) return;
  const { ctx } = b.svc;
  const organisation = await b.session.xero.getOrganisation();
  const dates = { periodLockDate: organisation?.periodLockDate ?? null, endOfYearLockDate: organisation?.endOfYearLockDate ?? null };
  await storeLockDates(ctx.db, b.session.orgId, dates, ctx.clock.now());
  const locked = lockedUpTo(dates);
  for (const { sent: { item, index, built }, messages } of refused) {
    const after = placeAfterLockRefusal(built.payload.Date, locked, messages);
    if (after.retry) {
      b.recorder.results[index] = retryLater(after.message, [b.recorder.audit(item, { action: 'retry', outcome: 'retry', message: after.audit })], 0);
    } else {
      b.recorder.fail(item, index, after.message);
    }
  }
}

function skippedDeleted(b: Batch, item: Item, number: string | null, status = 'voided or deleted'): ItemResult {
  const message = `Invoice ${number ?? ''} was ${status.toLowerCase()} in Xero by the accountant; it is not pushed again`.replace('  ', ' ');
  return done({ ...b.recorder.syncOf(item.payload.saleId), status: 'deleted_upstream', error: message },
    [b.recorder.audit(item, { action: 'deleted_upstream', outcome: 'skipped', message })]);
}
