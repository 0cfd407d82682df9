// A sale's deposits → Xero, one sale per item (subject xero:deposits:<saleId>, so a sale's deposit work runs
// in order and never waits behind its invoice). Each run brings the sale's deposits to where they should be,
// step by step, each step recorded in xero_records as soon as Xero answers so that a retry resumes where it
// stopped and nothing is sent twice (send marks: a request that may have landed is looked up first):
//   prepayments  each deposit without one: ONE PUT /BankTransactions (RECEIVE-PREPAYMENT, into the method's
//                account, the customer's contact); after a send that may have landed, ONE lookup by Reference
//   refunds      each refund given back out of a deposit before the invoice: ONE PUT /Payments out of its
//                prepayment (a lookup by Reference first when it may have landed)
//   allocations  once the invoice is in Xero: each prepayment's credit (what it still holds) to the invoice,
//                capped by the invoice's AmountDue (ONE GET), one PUT per prepayment (Xero's endpoint is per
//                prepayment); after one that may have landed, the prepayment is read back first
// Each deposit's sync state says where it is (the sale's page). The decisions are pure (decisions.ts).
import type { OutboxHandlerContext, OutboxItem, OutboxOutcome, PaymentSnapshot, RefundSnapshot, SaleSnapshot } from '../../../../server/plugins/contract';
import { minorUnitDigits } from '../../../../server/plugins/contract';
import { PermanentError } from '../../../../server/errors';
import { withClearingAccounts } from '../../clearing/paymentAccounts';
import { writeAudit, type AuditEntry } from '../../engine/audit';
import { idempotencyKey, stableJson } from '../../engine/keys';
import { afterCallFailure, done, failed, finishBatch, type ItemResult } from '../../engine/outcomes';
import { findRecords, isRemovedInXero, saveRecord, type RecordKey, type XeroRecord } from '../../engine/records';
import { clearMarks, markedItems, sendMarked, type SendStep } from '../../engine/sendMarks';
import { openSession, type XeroSession } from '../../engine/session';
import { permanentMessage, type XeroServices } from '../../engine/services';
import type { ResolvedMappings } from '../../mappings/types';
import { minorToXeroCents } from '../../payloads/arithmetic';
import type { XeroInvoice } from '../../gateway/documents';
import { buildAllocation, buildPrepaymentReceipt, buildPrepaymentRefund, creditNoteNumberFor, invoiceNumberFor, prepaymentReferenceFor, xeroDate } from '../../payloads';
import { resolveContacts } from '../contacts';
import { mappingsOrFinish } from '../mappingsOrFinish';
import type { DepositPushPayload } from '../types';
import { allocationAmounts, depositNote, type HeldDeposit } from './decisions';
import { depositRowsOfSales } from './store';
import { batchRecorder } from '../../engine/batchRecorder';

type Item = OutboxItem<DepositPushPayload>;

/** Refused by Xero, or impossible to build: the item fails with this message (the admin fixes it, then retries). */
class StepRefused extends Error {}

interface Run {
  svc: XeroServices;
  session: XeroSession;
  mappings: ResolvedMappings;
  timeZone: string;
  item: Item;
  sale: SaleSnapshot;
  deposits: PaymentSnapshot[];
  /** Refunds given back out of a deposit, with the deposit each comes out of. */
  refunds: { refund: RefundSnapshot; fromPaymentId: number }[];
  keys: Record<'invoice' | 'prepayment' | 'allocation' | 'refund', RecordKey>;
  audit: AuditEntry[];
}

export async function pushDeposits(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const recorder = batchRecorder(items, { orgId, entityType: 'sale', recordType: 'prepayment', entityId: (p) => p.saleId });
  const loaded = await mappingsOrFinish(svc, orgId, items, recorder, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal);
  const tenantId = session.tenantId;
  const keys: Run['keys'] = {
    invoice: { orgId, tenantId, entityType: 'sale', recordType: 'invoice' },
    prepayment: { orgId, tenantId, entityType: 'payment', recordType: 'prepayment' },
    allocation: { orgId, tenantId, entityType: 'payment', recordType: 'prepayment_allocation' },
    refund: { orgId, tenantId, entityType: 'refund', recordType: 'prepayment_refund' },
  };
  const results = recorder.results;
  try {
    for (const [index, item] of items.entries()) {
      const sale = await ctx.records.sale(ctx.db, orgId, item.payload.saleId);
      if (!sale) {
        results[index] = failed(`Sale ${item.payload.saleId} no longer exists in this organisation`, undefined);
        continue;
      }
      const run = await loadRun(svc, session, loaded, item, sale, keys);
      try {
        await prepayments(run);
        await refundsOutOfDeposits(run);
        await cancellationInvoice(run);
        await allocations(run);
        results[index] = done(undefined, run.audit);
      } catch (err) {
        if (!(err instanceof StepRefused) && !(err instanceof PermanentError)) {
          await writeAudit(ctx.db, run.audit, ctx.clock.now());
          throw err;
        }
        const message = err instanceof PermanentError ? permanentMessage(err) : err.message;
        await showFailure(run, message);
        results[index] = failed(message, undefined, [...run.audit, { ...auditBase(run, 'payment', 'prepayment', sale.id), action: 'failed', outcome: 'failed', message }]);
      }
    }
  } catch (err) {
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
}

async function loadRun(
  svc: XeroServices, session: XeroSession, loaded: { mappings: ResolvedMappings; timeZone: string }, item: Item, sale: SaleSnapshot, keys: Run['keys'],
): Promise<Run> {
  const { ctx } = svc;
  const rows = await depositRowsOfSales(ctx.db, session.orgId, [sale.id]);
  const paymentIds = new Set(rows.filter((r) => r.kind === 'payment').map((r) => r.entityId));
  const refundFrom = new Map(rows.filter((r) => r.kind === 'refund' && r.fromPaymentId !== null).map((r) => [r.entityId, r.fromPaymentId!]));
  const deposits = (await ctx.records.paymentsOfSale(ctx.db, session.orgId, sale.id)).filter((p) => paymentIds.has(p.id)).sort((a, b) => a.id - b.id);
  const refunds = (await ctx.records.refundsOfSale(ctx.db, session.orgId, sale.id))
    .filter((r) => refundFrom.has(r.id)).sort((a, b) => a.id - b.id).map((refund) => ({ refund, fromPaymentId: refundFrom.get(refund.id)! }));
  return { svc, session, mappings: loaded.mappings, timeZone: loaded.timeZone, item, sale, deposits, refunds, keys, audit: [] };
}

const auditBase = (run: Run, entityType: 'payment' | 'refund', recordType: 'prepayment' | 'prepayment_allocation' | 'prepayment_refund', entityId: number) => ({
  orgId: run.session.orgId, entityType, entityId, recordType, triggeredBy: run.item.payload.triggeredBy ?? 'system', outboxItemId: run.item.id,
});

const xeroCents = (minor: number, currency: string): number => Number(minorToXeroCents(BigInt(minor), minorUnitDigits(currency)));
const now = (run: Run): number => run.svc.ctx.clock.now();

/** Was a request of this step sent for this item and never answered (it may have landed)? */
async function mayHaveLanded(run: Run, step: SendStep): Promise<boolean> {
  if (run.item.payload.reconcile) return true;
  if (run.item.attempts <= 1) return false;
  return (await markedItems(run.svc.ctx.db, [run.item], step)).has(run.item.id);
}

/** Each deposit without its prepayment in Xero: adopted if an earlier attempt landed, else created. */
async function prepayments(run: Run): Promise<void> {
  const { ctx } = run.svc;
  const known = await findRecords(ctx.db, run.keys.prepayment, run.deposits.map((d) => d.id));
  let missing = run.deposits.filter((d) => !known.get(d.id)?.xeroId);
  if (missing.length === 0) return;

  if (await mayHaveLanded(run, 'prepayment')) {
    const found = await run.session.xero.findPrepaymentsByReference(missing.map((d) => prepaymentReferenceFor(d, run.mappings)));
    for (const d of missing) {
      const match = found.find((f) => f.reference === prepaymentReferenceFor(d, run.mappings) && f.prepaymentId);
      if (!match) continue;
      await saveRecord(ctx.db, run.keys.prepayment, { entityId: d.id, xeroId: match.prepaymentId, number: match.reference, status: match.status ?? 'AUTHORISED', amountCents: xeroCents(d.amountMinor, d.currency) }, now(run));
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment', d.id), action: 'adopted', outcome: 'ok', message: `found in Xero by reference ${match.reference} before re-sending; adopted` });
    }
    missing = missing.filter((d) => !found.some((f) => f.reference === prepaymentReferenceFor(d, run.mappings) && f.prepaymentId));
    if (missing.length === 0) {
      for (const d of run.deposits) await syncDeposit(run, d);
      return;
    }
  }

  const contact = (await resolveContacts(run.session, ctx.db, [run.sale.customer], [run.item.id])).get(run.sale.customer.id);
  if (!contact || !contact.ok) throw new StepRefused(contact && !contact.ok ? contact.message : 'the customer could not be matched to a Xero contact');
  // Stripe/GoCardless without a mapped account: into the provider's clearing account (found or created), as payments are.
  const mappings = await withClearingAccounts(ctx, run.session, run.mappings, missing);
  const receipts = missing.map((d) => buildPrepaymentReceipt(d, run.sale, mappings, { contactId: contact.contactId, timeZone: run.timeZone }));
  const idemKey = idempotencyKey('prepayments', [run.item.id], stableJson(receipts));
  const elements = await sendMarked(run.session, ctx.db, [run.item.id], 'prepayment', (beforeSend) => run.session.xero.createPrepayments(receipts, { idempotencyKey: idemKey, beforeSend }));
  const refused: string[] = [];
  for (const [n, d] of missing.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, payload: receipts[n] };
    if (element.ok && element.value.prepaymentId) {
      await saveRecord(ctx.db, run.keys.prepayment, { entityId: d.id, xeroId: element.value.prepaymentId, number: receipts[n]!.Reference, status: element.value.status ?? 'AUTHORISED', amountCents: xeroCents(d.amountMinor, d.currency) }, now(run));
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment', d.id), action: 'created', outcome: 'ok', request, response: element.summary, message: `prepayment ${element.value.prepaymentId}` });
    } else {
      const message = element.ok ? 'Xero created the bank transaction without a prepayment' : element.messages.join('; ') || 'Xero refused this prepayment without a message';
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment', d.id), action: 'failed', outcome: 'failed', request, response: element.summary, message });
      refused.push(`deposit ${d.id}: ${message}`);
    }
  }
  await clearMarks(ctx.db, [run.item.id], 'prepayment');
  for (const d of run.deposits) await syncDeposit(run, d);
  if (refused.length > 0) throw new StepRefused(`Xero refused the prepayment of ${refused.join('; ')}`);
}

/** Refunds given back out of a deposit before the invoice: a payment out of its prepayment, from the refund method's account. */
async function refundsOutOfDeposits(run: Run): Promise<void> {
  const { ctx } = run.svc;
  if (run.refunds.length === 0) return;
  const done = await findRecords(ctx.db, run.keys.refund, run.refunds.map((r) => r.refund.id));
  const prepaymentOf = await findRecords(ctx.db, run.keys.prepayment, run.refunds.map((r) => r.fromPaymentId));
  let open = run.refunds.filter((r) => !done.get(r.refund.id)?.xeroId);
  if (open.length === 0) return;
  const key = (r: RefundSnapshot) => creditNoteNumberFor(r.id, run.mappings);

  if (await mayHaveLanded(run, 'prepayment_refund')) {
    const found = await run.session.xero.findPaymentsByKey(open.map((r) => key(r.refund)));
    for (const r of open) {
      const match = found.find((p) => p.reference === key(r.refund) || p.reference?.startsWith(`${key(r.refund)} `));
      if (!match?.paymentId) continue;
      await saveRecord(ctx.db, run.keys.refund, { entityId: r.refund.id, xeroId: match.paymentId, number: key(r.refund), status: match.status ?? 'AUTHORISED', amountCents: xeroCents(r.refund.amountMinor, r.refund.currency) }, now(run));
      run.audit.push({ ...auditBase(run, 'refund', 'prepayment_refund', r.refund.id), action: 'adopted', outcome: 'ok', message: `found in Xero by reference ${key(r.refund)} before re-sending; adopted` });
    }
    const adopted = await findRecords(ctx.db, run.keys.refund, open.map((r) => r.refund.id));
    open = open.filter((r) => !adopted.get(r.refund.id)?.xeroId);
    if (open.length === 0) return;
  }

  const mappings = await withClearingAccounts(ctx, run.session, run.mappings, open.map((r) => r.refund));
  const payments = open.map((r) => {
    const prepaymentId = prepaymentOf.get(r.fromPaymentId)?.xeroId;
    if (!prepaymentId) throw new StepRefused(`Refund ${r.refund.id} is paid out of deposit ${r.fromPaymentId}, whose prepayment is not in Xero`);
    return buildPrepaymentRefund(r.refund, prepaymentId, r.refund.amountMinor, mappings, { timeZone: run.timeZone });
  });
  const idemKey = idempotencyKey('prepayment-refunds', [run.item.id], stableJson(payments));
  const elements = await sendMarked(run.session, ctx.db, [run.item.id], 'prepayment_refund', (beforeSend) => run.session.xero.createPayments(payments, { idempotencyKey: idemKey, beforeSend }));
  const refused: string[] = [];
  for (const [n, r] of open.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, payload: payments[n] };
    if (element.ok && element.value.paymentId) {
      await saveRecord(ctx.db, run.keys.refund, { entityId: r.refund.id, xeroId: element.value.paymentId, number: key(r.refund), status: element.value.status ?? 'AUTHORISED', amountCents: xeroCents(r.refund.amountMinor, r.refund.currency) }, now(run));
      run.audit.push({ ...auditBase(run, 'refund', 'prepayment_refund', r.refund.id), action: 'refund_paid', outcome: 'ok', request, response: element.summary, message: 'paid back out of the deposit\'s prepayment' });
      await ctx.sync.upsert(ctx.db, {
        orgId: run.session.orgId, entityType: 'refund', entityId: r.refund.id, recordType: 'prepayment_refund', status: 'synced', externalId: element.value.paymentId, externalRef: key(r.refund),
        error: null, note: `Paid back out of the deposit's prepayment in Xero (deposit ${r.fromPaymentId}); its credit note is allocated to the invoice when it is posted`,
      });
    } else {
      const message = element.ok ? 'Xero answered without a payment id' : element.messages.join('; ') || 'Xero refused this refund without a message';
      run.audit.push({ ...auditBase(run, 'refund', 'prepayment_refund', r.refund.id), action: 'failed', outcome: 'failed', request, response: element.summary, message });
      refused.push(`refund ${r.refund.id}: ${message}`);
    }
  }
  await clearMarks(ctx.db, [run.item.id], 'prepayment_refund');
  if (refused.length > 0) throw new StepRefused(`Xero refused paying back out of the deposit: ${refused.join('; ')}`);
}

/**
 * A booking cancelled with its deposit kept, before its invoice was posted: instead of the sale's invoice, one
 * for the money kept (its number, so the sale's own can never be posted too) to the cancellation income
 * account, outside the scope of VAT; the deposits' prepayments are then allocated to it (allocations below).
 */
async function cancellationInvoice(run: Run): Promise<void> {
  const { ctx } = run.svc;
  const cancellation = run.sale.cancellation;
  if (!cancellation) return;
  const number = invoiceNumberFor(run.sale.id, run.mappings);
  const known = (await findRecords(ctx.db, run.keys.invoice, [run.sale.id])).get(run.sale.id);
  if (known?.xeroId || isRemovedInXero(known?.status)) {
    if (known?.note === CANCELLATION_MARK) return;
    throw new StepRefused(`Booking cancelled after its invoice ${known?.number ?? number} was posted: credit what is no longer owed in Xero (or record a refund without a method for it)`);
  }
  // What the invoice is for: the kept money, and money given back before the cancellation other than out of a
  // deposit (its credit note is paid out on this invoice, ../creditNotes/guard.ts), so the deposits and the
  // other payments of the booking pay it exactly (what was paid, less what came back out of deposits).
  const outOfDeposits = new Set(run.refunds.map((r) => r.refund.id));
  const givenBackOnTheirOwn = (await ctx.records.refundsOfSale(ctx.db, run.session.orgId, run.sale.id))
    .filter((r) => r.method !== null && !outOfDeposits.has(r.id) && r.createdAt <= cancellation.at)
    .reduce((sum, r) => sum + r.amountMinor, 0);
  const invoicedMinor = cancellation.keptMinor + givenBackOnTheirOwn;
  if (invoicedMinor <= 0) return;
  const account = run.mappings.cancellationAccountCode;
  if (!account) throw new StepRefused('Mapping to fix: cancellation income account (none) (Xero settings, Deposits)');

  let invoiceId: string | null = null;
  if (await mayHaveLanded(run, 'invoice')) {
    const [found] = await run.session.xero.findInvoicesByNumber([number]);
    if (found && !isRemovedInXero(found.status)) invoiceId = found.invoiceId;
  }
  if (!invoiceId) {
    const contact = (await resolveContacts(run.session, ctx.db, [run.sale.customer], [run.item.id])).get(run.sale.customer.id);
    if (!contact || !contact.ok) throw new StepRefused(contact && !contact.ok ? contact.message : 'the customer could not be matched to a Xero contact');
    const amount = Number(xeroCents(invoicedMinor, run.sale.currency)) / 100;
    const date = xeroDate(cancellation.at, run.timeZone);
    const payload: XeroInvoice = {
      Type: 'ACCREC', Contact: { ContactID: contact.contactId }, InvoiceNumber: number, Reference: `Cancelled: ${run.sale.reference ?? `Sale ${run.sale.id}`}`,
      CurrencyCode: run.sale.currency, Date: date, DueDate: date, Status: 'AUTHORISED', LineAmountTypes: 'NoTax',
      LineItems: [{ Description: `Deposit kept: booking ${run.sale.reference ?? `#${run.sale.id}`} cancelled`, Quantity: 1, UnitAmount: amount, LineAmount: amount, AccountCode: account, TaxType: 'NONE' }],
    };
    const idemKey = idempotencyKey('cancellation-invoice', [run.item.id], stableJson(payload));
    const [element] = await sendMarked(run.session, ctx.db, [run.item.id], 'invoice', (beforeSend) => run.session.xero.createInvoices([payload], { unitdp: 2, idempotencyKey: idemKey, beforeSend }));
    await clearMarks(ctx.db, [run.item.id], 'invoice');
    if (!element!.ok) throw new StepRefused(`Xero refused the invoice for the kept deposit: ${element!.messages.join('; ')}`);
    invoiceId = element!.value.invoiceId;
    run.audit.push({ orgId: run.session.orgId, entityType: 'sale', entityId: run.sale.id, recordType: 'invoice', triggeredBy: run.item.payload.triggeredBy ?? 'system', outboxItemId: run.item.id,
      action: 'created', outcome: 'ok', request: { idempotencyKey: idemKey, payload }, response: element!.summary, message: 'booking cancelled: the kept deposit invoiced' });
  }
  await saveRecord(ctx.db, run.keys.invoice, { entityId: run.sale.id, xeroId: invoiceId, number, status: 'AUTHORISED', note: CANCELLATION_MARK }, now(run));
  await ctx.sync.upsert(ctx.db, {
    orgId: run.session.orgId, entityType: 'sale', entityId: run.sale.id, recordType: 'invoice', status: 'synced', externalId: invoiceId, externalRef: number, error: null,
    note: `Booking cancelled, deposit kept: ${(xeroCents(invoicedMinor, run.sale.currency) / 100).toFixed(2)} ${run.sale.currency} invoiced to account ${account}, paid by its deposits` +
      (givenBackOnTheirOwn > 0 ? ` (with ${(xeroCents(givenBackOnTheirOwn, run.sale.currency) / 100).toFixed(2)} given back, credited on it)` : ''),
  });
}

/** On the invoice record of a cancelled booking's invoice: the kept deposit's, posted by this push. */
const CANCELLATION_MARK = 'cancellation: deposit kept';

/** Once the invoice is in Xero: what each prepayment still holds goes to it (capped by its AmountDue). */
async function allocations(run: Run): Promise<void> {
  const { ctx } = run.svc;
  const invoice = (await findRecords(ctx.db, run.keys.invoice, [run.sale.id])).get(run.sale.id);
  if (!invoice?.xeroId || isRemovedInXero(invoice.status) || run.deposits.length === 0) return;
  const recorded = await findRecords(ctx.db, run.keys.allocation, run.deposits.map((d) => d.id));
  const prepaymentOf = await findRecords(ctx.db, run.keys.prepayment, run.deposits.map((d) => d.id));
  const open = run.deposits.filter((d) => !recorded.has(d.id) && prepaymentOf.get(d.id)?.xeroId);
  if (open.length === 0) return;

  const held: HeldDeposit[] = open.map((d) => ({
    paymentId: d.id,
    amountMinor: xeroCents(d.amountMinor, d.currency),
    refundedMinor: run.refunds.filter((r) => r.fromPaymentId === d.id).reduce((sum, r) => sum + xeroCents(r.refund.amountMinor, r.refund.currency), 0),
  }));
  const landed = await mayHaveLanded(run, 'prepayment_allocation');
  const [state] = await run.session.xero.getInvoices([invoice.xeroId]);
  if (!state) throw new StepRefused(`The invoice ${invoice.number ?? ''} is not in Xero any more`);
  const date = xeroDate(now(run), run.timeZone);
  for (const plan of allocationAmounts(held, state.amountDueCents)) {
    const d = open.find((o) => o.id === plan.paymentId)!;
    const prepaymentId = prepaymentOf.get(d.id)!.xeroId!;
    if (landed) {
      const existing = (await run.session.xero.getPrepayment(prepaymentId))?.allocations.find((a) => a.invoiceId?.toLowerCase() === invoice.xeroId!.toLowerCase());
      if (existing) {
        await saveRecord(ctx.db, run.keys.allocation, { entityId: d.id, xeroId: invoice.xeroId, number: invoice.number, status: 'ALLOCATED', amountCents: existing.amountCents, note: date }, now(run));
        run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'adopted', outcome: 'ok', message: `allocation to ${invoice.number ?? invoice.xeroId} found on the prepayment; adopted` });
        await syncDeposit(run, d);
        continue;
      }
    }
    if (plan.amountMinor === 0) {
      await saveRecord(ctx.db, run.keys.allocation, { entityId: d.id, xeroId: invoice.xeroId, number: invoice.number, status: 'NONE', amountCents: 0, note: date }, now(run));
      await syncDeposit(run, d);
      continue;
    }
    const allocation = buildAllocation((plan.amountMinor / 100).toFixed(2), { InvoiceID: invoice.xeroId }, date);
    const idemKey = idempotencyKey('prepayment-allocation', [run.item.id, d.id], stableJson({ prepaymentId, allocation }));
    const element = await sendMarked(run.session, ctx.db, [run.item.id], 'prepayment_allocation',
      (beforeSend) => run.session.xero.allocatePrepayment(prepaymentId, allocation, { idempotencyKey: idemKey, beforeSend }));
    const request = { idempotencyKey: idemKey, payload: allocation };
    if (!element.ok) {
      await clearMarks(ctx.db, [run.item.id], 'prepayment_allocation');
      const message = element.messages.join('; ') || 'Xero refused this allocation without a message';
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'failed', outcome: 'failed', request, response: element.summary, message });
      throw new StepRefused(`Xero refused allocating deposit ${d.id} to the invoice ${invoice.number ?? ''}: ${message}`);
    }
    await saveRecord(ctx.db, run.keys.allocation, { entityId: d.id, xeroId: invoice.xeroId, number: invoice.number, status: 'ALLOCATED', amountCents: plan.amountMinor, note: date }, now(run));
    await clearMarks(ctx.db, [run.item.id], 'prepayment_allocation');
    run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'allocated', outcome: 'ok', request, response: element.summary, message: `${allocation.Amount.toFixed(2)} allocated to ${invoice.number ?? invoice.xeroId}` });
    await syncDeposit(run, d);
  }
}

/**
 * A step Xero refused (or a setting missing): said on the sale, never silent — on each deposit, and for a
 * cancelled booking on its invoice, with the setting to fix when that is what it is. Retry after the fix.
 */
async function showFailure(run: Run, message: string): Promise<void> {
  const { ctx } = run.svc;
  const note = /^Mapping to fix:/.test(message) ? message : undefined;
  for (const d of run.deposits) {
    await ctx.sync.upsert(ctx.db, { orgId: run.session.orgId, entityType: 'payment', entityId: d.id, recordType: 'prepayment', status: 'failed', error: message });
  }
  if (run.sale.cancellation) {
    await ctx.sync.upsert(ctx.db, { orgId: run.session.orgId, entityType: 'sale', entityId: run.sale.id, recordType: 'invoice', status: 'failed', error: message, ...(note ? { note } : {}) });
  }
}

/** The deposit's sync state: its prepayment, and when (and how much of it) was allocated to the invoice. */
async function syncDeposit(run: Run, d: PaymentSnapshot): Promise<void> {
  const { ctx } = run.svc;
  const prepayment = (await findRecords(ctx.db, run.keys.prepayment, [d.id])).get(d.id);
  if (!prepayment?.xeroId) return;
  const allocation: XeroRecord | undefined = (await findRecords(ctx.db, run.keys.allocation, [d.id])).get(d.id);
  const note = depositNote({
    invoiceNumber: invoiceNumberFor(run.sale.id, run.mappings), allocatedOn: allocation?.note ?? null, allocatedMinor: allocation?.amountCents ?? null,
    currency: d.currency, format: (cents) => (cents / 100).toFixed(2),
  });
  await ctx.sync.upsert(ctx.db, {
    orgId: run.session.orgId, entityType: 'payment', entityId: d.id, recordType: 'prepayment', status: 'synced',
    externalId: prepayment.xeroId, externalRef: prepayment.number, error: null, note,
  });
}
