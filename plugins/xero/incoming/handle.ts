// The handler of incoming events (xero.incoming.sync): read the resource from Xero (through the session's
// rate budget) and bring the host in line, through the contract only.
//  - INVOICE of one of our sales: payments recorded in Xero appear on the sale (method `xero`, with their
//    source), payments deleted there leave it; voided or deleted, the sale's invoice is flagged deleted
//    upstream at once (xero_records status, so nothing is pushed for it again) with what to do.
//  - CREDITNOTE of one of our refunds: its state in Xero (allocated, paid out, voided) is kept on the
//    refund's record and sync state.
//  - anything not ours is marked handled, ignored.
import { AppError } from '../../../server/errors';
import type { OutboxHandler, OutboxHandlerContext, OutboxItem, OutboxOutcome, PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { toWorkerError } from '../gateway/client';
import type { InvoiceAnswer } from '../gateway/answers';
import { openSession, type XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { withRetryPolicy } from '../engine/retryPolicy';
import { DELETED_UPSTREAM, isRemovedInXero, rememberTotals, saveRecord } from '../engine/records';
import { saleNameOf } from '../engine/names';
import { paidInXeroNote, planPayments, XERO_METHOD, xeroCentsToMinor } from './reconcile';
import { INCOMING_POLL, INCOMING_SYNC, markHandled, type IncomingSyncPayload } from './store';
import { runPoll, type PollPayload } from './poll';
import { compareContent } from './contentHashes';
import { refundStateInXero, type OurSettlement } from './refundState';

type Ctx = PluginContext<XeroConfig>;

const XERO_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface OurRecord { id: number; entityId: number; tenantId: string; status: string; number: string | null }

async function ourRecord(ctx: Ctx, orgId: number, recordType: 'invoice' | 'credit_note', xeroId: string): Promise<OurRecord | undefined> {
  const row = (await ctx.db('xero_records')
    .where({ org_id: orgId, record_type: recordType })
    .whereRaw('lower(xero_id) = ?', [xeroId.toLowerCase()])
    .first()) as Record<string, unknown> | undefined;
  return row ? { id: Number(row.id), entityId: Number(row.entity_id), tenantId: String(row.tenant_id), status: String(row.status), number: (row.number as string | null) ?? null } : undefined;
}

/**
 * Payments we made in Xero: our sales' payments (xero_records) and payout postings (xero_payout_steps: a
 * matched line's payment is recorded on the sale by the posting itself, incoming/signoff.ts; a converted
 * charge's goes with the provider's own payment on the sale). Their events are our own writes echoing back.
 */
async function ourPaymentIds(ctx: Ctx, orgId: number, paymentIds: readonly string[]): Promise<Set<string>> {
  if (paymentIds.length === 0) return new Set();
  const ids = paymentIds.flatMap((id) => [id, id.toLowerCase()]);
  const pushed = (await ctx.db('xero_records').where({ org_id: orgId, record_type: 'payment' }).whereIn('xero_id', ids).select('xero_id')) as { xero_id: string }[];
  const posted = (await ctx.db('xero_payout_steps').where({ org_id: orgId, xero_type: 'payment' }).whereIn('xero_id', ids).select('xero_id')) as { xero_id: string }[];
  return new Set([...pushed, ...posted].map((r) => r.xero_id.toLowerCase()));
}

const when = (ctx: Ctx, ms: number, timeZone: string): string => ctx.pages.formatDateTime(ms, timeZone);

type ReadInvoice = InvoiceAnswer & { contentHash: string };
type InvoiceReader = (invoiceId: string) => Promise<ReadInvoice | undefined>;

/**
 * Reads the batch's invoices that are ours in ONE call (Xero takes a list of IDs), the first time any is
 * asked for: a burst of events costs a call per batch, not per invoice.
 */
function batchInvoiceReader(ctx: Ctx, session: () => Promise<XeroSession>, orgId: number, items: readonly OutboxItem<IncomingSyncPayload>[]): InvoiceReader {
  let loaded: Promise<Map<string, ReadInvoice>> | undefined;
  const load = async (): Promise<Map<string, ReadInvoice>> => {
    const ids: string[] = [];
    for (const item of items) {
      if (item.payload.category === 'INVOICE' && (await ourRecord(ctx, orgId, 'invoice', item.payload.resourceId))) ids.push(item.payload.resourceId);
    }
    const answers = ids.length ? await (await session()).xero.readInvoices([...new Set(ids)]) : [];
    return new Map(answers.map((a) => [a.invoiceId.toLowerCase(), a]));
  };
  return async (invoiceId) => (await (loaded ??= load())).get(invoiceId.toLowerCase());
}

async function handleInvoice(ctx: Ctx, read: InvoiceReader, orgId: number, invoiceId: string): Promise<string> {
  const record = await ourRecord(ctx, orgId, 'invoice', invoiceId);
  if (!record) return 'Not the invoice of one of our sales: ignored';
  const saleId = record.entityId;
  const invoice = await read(invoiceId);
  if (!invoice) return `Invoice ${invoiceId} was not found in Xero`;
  const sale = await ctx.records.sale(ctx.db, orgId, saleId);
  if (!sale) return `Sale ${saleId} no longer exists`;
  const recorded = (await ctx.records.paymentsOfSale(ctx.db, orgId, saleId))
    // Only what came from Xero (a PaymentID): someone may have picked "Paid in Xero" by hand with their own note.
    .filter((p) => p.method === XERO_METHOD && p.providerRef && XERO_ID.test(p.providerRef))
    .map((p) => ({ providerRef: p.providerRef!, amountMinor: p.amountMinor }));
  const now = ctx.clock.now();
  const key = { orgId, tenantId: record.tenantId, entityType: 'sale' as const, recordType: 'invoice' as const };
  const done: string[] = [];

  if (isRemovedInXero(invoice.status)) {
    const how = invoice.status === 'VOIDED' ? 'voided' : 'deleted';
    for (const p of recorded) await removePayment(ctx, orgId, p.providerRef, done);
    if (!isRemovedInXero(record.status)) {
      const org = await ctx.organisations.get(ctx.db, orgId);
      await saveRecord(ctx.db, key, { entityId: saleId, xeroId: invoice.invoiceId, number: invoice.number, status: DELETED_UPSTREAM, note: `${invoice.status} in Xero` }, now);
      await ctx.sync.upsert(ctx.db, {
        orgId, entityType: 'sale', entityId: saleId, recordType: 'invoice', status: 'deleted_upstream', externalId: invoice.invoiceId, externalRef: invoice.number,
        error: `Invoice ${invoice.number ?? invoiceId} was ${how} in Xero (noticed ${when(ctx, now, org.timeZone)}). Nothing more is sent to Xero for this sale. ` +
          'If the sale stands, ask the accountant to raise a new invoice in Xero; if it does not, refund or cancel it here.',
      });
      done.push(`invoice flagged ${how} in Xero`);
    }
    return done.length ? done.join('; ') : `Invoice already known as ${how} in Xero: nothing changed`;
  }

  // What Xero computes now (the accountant may have edited the invoice): the sale page shows these.
  if (invoice.totals) await rememberTotals(ctx.db, record.id, invoice.totals);
  const ours = await ourPaymentIds(ctx, orgId, invoice.payments.map((p) => p.paymentId));
  const plan = planPayments({ live: invoice.payments, ours, recorded });
  for (const p of plan.remove) await removePayment(ctx, orgId, p.providerRef, done);
  for (const p of plan.add) {
    if (invoice.currency && invoice.currency !== sale.currency) {
      done.push(`payment ${p.paymentId} is in ${invoice.currency}, the sale in ${sale.currency}: not recorded`);
      continue;
    }
    const amountMinor = xeroCentsToMinor(p.amountCents, sale.currency);
    if (amountMinor === null || amountMinor <= 0) {
      done.push(`payment ${p.paymentId} of ${p.amountCents / 100} cannot be an amount of ${sale.currency}: not recorded`);
      continue;
    }
    try {
      const org = await ctx.organisations.get(ctx.db, orgId);
      const { created } = await ctx.payments.record(orgId, saleId, {
        method: XERO_METHOD, amountMinor, currency: sale.currency, providerRef: p.paymentId,
        receivedAt: Math.min(p.date || now, now), sourceNote: paidInXeroNote(p, org.timeZone),
      });
      if (created) done.push(`payment ${p.paymentId} (${ctx.pages.formatMoney(amountMinor, sale.currency)} ${sale.currency}) recorded on ${await saleNameOf(ctx.records, ctx.db, orgId, saleId)}`);
    } catch (err) {
      // The host refused it (more than is outstanding, say): say why, change nothing, do not retry forever.
      if (err instanceof AppError && err.statusCode < 500) done.push(`payment ${p.paymentId} not recorded: ${err.message}`);
      else throw err;
    }
  }
  // Beside our IDs, the content: as we wrote it (or as last seen) is an echo; otherwise someone edited our
  // invoice in Xero, which the sale's invoice record must say rather than pass it off as our own write.
  const content = await compareContent(ctx.db, orgId, 'invoice', invoice.invoiceId, invoice.contentHash, invoice.totalCents, now);
  if (content.kind === 'changed') done.push(await flagChangedInXero(ctx, orgId, saleId, invoice, content.totalCentsBefore));
  if (done.length) return done.join('; ');
  return content.kind === 'same' ? 'Nothing to change: our own write echoing back, or already up to date' : 'Nothing to change (first read of an invoice written before content was compared)';
}

/** The sale's invoice record says the invoice was edited in Xero after we sent it, and what to do. */
async function flagChangedInXero(ctx: Ctx, orgId: number, saleId: number, invoice: ReadInvoice, totalCentsBefore: number | null): Promise<string> {
  const org = await ctx.organisations.get(ctx.db, orgId);
  const total = totalCentsBefore !== null && totalCentsBefore !== invoice.totalCents
    ? `: its total is now ${(invoice.totalCents / 100).toFixed(2)}, it was ${(totalCentsBefore / 100).toFixed(2)}` : '';
  const what = `Invoice ${invoice.number ?? invoice.invoiceId} was changed in Xero after Ledgerbridge sent it (noticed ${when(ctx, ctx.clock.now(), org.timeZone)})${total}.`;
  await ctx.sync.upsert(ctx.db, {
    orgId, entityType: 'sale', entityId: saleId, recordType: 'invoice', status: 'synced', externalId: invoice.invoiceId, externalRef: invoice.number,
    note: `${what} The sale here is unchanged: if Xero is right, correct the sale; if not, ask the accountant to undo the edit in Xero.`,
  });
  return `${what.slice(0, -1)}: not an echo of our own write; the sale's invoice record says so`;
}

async function removePayment(ctx: Ctx, orgId: number, providerRef: string, done: string[]): Promise<void> {
  if (!ctx.payments.remove) {
    done.push(`payment ${providerRef} was deleted in Xero, but this host cannot take payments back: remove it by hand`);
    return;
  }
  const { removed, saleId } = await ctx.payments.remove(orgId, { method: XERO_METHOD, providerRef });
  if (removed) done.push(`payment ${providerRef} deleted in Xero: removed from ${saleId === null || saleId === undefined ? 'its sale' : await saleNameOf(ctx.records, ctx.db, orgId, saleId)}`);
}

async function handleCreditNote(ctx: Ctx, session: () => Promise<XeroSession>, orgId: number, creditNoteId: string): Promise<string> {
  const record = await ourRecord(ctx, orgId, 'credit_note', creditNoteId);
  if (!record) return 'Not the credit note of one of our refunds: ignored';
  const note = await (await session()).xero.getCreditNote(creditNoteId);
  if (!note) return `Credit note ${creditNoteId} was not found in Xero`;
  const allocated = note.allocations.filter((a) => !a.isDeleted).reduce((s, a) => s + a.amountCents, 0);
  const paidOut = note.payments.reduce((s, p) => s + p.amountCents, 0);
  const state = `${note.status ?? 'unknown'} in Xero: ${(allocated / 100).toFixed(2)} allocated, ${(paidOut / 100).toFixed(2)} paid out of ${(note.totalCents / 100).toFixed(2)}`;
  // The refund on the sale says how its note stands when someone changed it in Xero; as we left it, nothing.
  const refundState = refundStateInXero({ number: note.number, status: note.status, totalCents: note.totalCents, allocatedCents: allocated, paidOutCents: paidOut }, await ourSettlement(ctx, orgId, record.entityId));
  const told = await tellRefund(ctx, orgId, record.entityId, refundState);
  if (record.status === note.status && !isRemovedInXero(note.status)) {
    const before = (await ctx.db('xero_records').where({ org_id: orgId, record_type: 'credit_note', entity_id: record.entityId }).first('note')) as { note: string | null } | undefined;
    if (before?.note === state) return told ?? 'Nothing to change (our own write, or already up to date)';
  }
  const now = ctx.clock.now();
  await saveRecord(ctx.db, { orgId, tenantId: record.tenantId, entityType: 'refund', recordType: 'credit_note' }, { entityId: record.entityId, status: note.status ?? record.status, note: state }, now);
  if (isRemovedInXero(note.status)) {
    await ctx.sync.upsert(ctx.db, {
      orgId, entityType: 'refund', entityId: record.entityId, recordType: 'credit_note', status: 'deleted_upstream', externalId: note.creditNoteId, externalRef: note.number,
      error: `Credit note ${note.number ?? creditNoteId} was ${note.status === 'VOIDED' ? 'voided' : 'deleted'} in Xero; nothing more is sent for this refund`,
    });
  }
  return `Refund ${record.entityId}: credit note ${state}${told ? `; ${told}` : ''}`;
}

/** What our own credit-note push did to the refund's note: its allocation and its pay-out (xero_records). */
async function ourSettlement(ctx: Ctx, orgId: number, refundId: number): Promise<OurSettlement> {
  const rows = (await ctx.db('xero_records').where({ org_id: orgId, entity_type: 'refund', entity_id: refundId })
    .whereIn('record_type', ['allocation', 'refund_payment']).select('record_type', 'status', 'amount_cents')) as { record_type: string; status: string; amount_cents: number | string | null }[];
  const sum = (type: string, status: string) => rows.filter((r) => r.record_type === type && r.status === status).reduce((s, r) => s + Number(r.amount_cents ?? 0), 0);
  return { allocatedCents: sum('allocation', 'ALLOCATED'), paidOutCents: sum('refund_payment', 'PAID') };
}

/** Set the refund's state on the host (through the contract); what changed, in words, or null. */
async function tellRefund(ctx: Ctx, orgId: number, refundId: number, state: string | null): Promise<string | null> {
  if (!ctx.payments.noteRefundState) return state ? `this host cannot show a refund's state: "${state}" is not on the sale` : null;
  const { changed } = await ctx.payments.noteRefundState(orgId, refundId, state);
  if (!changed) return null;
  return state ? `refund ${refundId} now says "${state}"` : `refund ${refundId}'s note is as we left it again: its state is cleared`;
}

async function handleIncoming(svc: XeroServices, items: OutboxItem<IncomingSyncPayload>[], h: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  let opened: XeroSession | undefined;
  const session = async (): Promise<XeroSession> => (opened ??= await openSession(svc.connection, svc.budget, orgId, h.signal));
  const readInvoice = batchInvoiceReader(ctx, session, orgId, items);
  const outcomes: OutboxOutcome[] = [];
  for (const item of items) {
    try {
      const { category, resourceId } = item.payload;
      const outcome = category === 'INVOICE' ? await handleInvoice(ctx, readInvoice, orgId, resourceId) : await handleCreditNote(ctx, session, orgId, resourceId);
      await markHandled(ctx.db, orgId, resourceId, outcome, ctx.clock.now());
      outcomes.push({ status: 'done' });
    } catch (err) {
      const e = toWorkerError(err);
      if (e.name === 'AuthRevokedError') outcomes.push({ status: 'paused', error: e.message });
      else if (e.name === 'PermanentError') {
        await markHandled(ctx.db, orgId, item.payload.resourceId, `Could not read it from Xero: ${e.message}`, ctx.clock.now());
        outcomes.push({ status: 'failed', error: e.message });
      } else outcomes.push({ status: 'retry', error: e.message, ...((e as { retryAfterMs?: number }).retryAfterMs !== undefined ? { retryAfterMs: (e as { retryAfterMs?: number }).retryAfterMs } : {}) });
    }
  }
  return outcomes;
}

export function incomingHandlers(svc: XeroServices): Record<string, OutboxHandler> {
  const sync: OutboxHandler<IncomingSyncPayload> = { batchSize: 20, maxAttempts: 50, handle: withRetryPolicy((items, h) => handleIncoming(svc, items, h)) };
  const poll: OutboxHandler<PollPayload> = { batchSize: 1, maxAttempts: 20, handle: withRetryPolicy((items, h) => runPoll(svc, items, h)) };
  return { [INCOMING_SYNC]: sync as OutboxHandler, [INCOMING_POLL]: poll as OutboxHandler };
}
