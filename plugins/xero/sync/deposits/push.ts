// Sales' deposits → Xero, one sale per item (subject xero:deposits:<saleId>, so a sale's deposit work runs
// in order and never waits behind its invoice), up to 50 items a batch. Each run brings the sale's deposits
// to where they should be, step by step, each step recorded in xero_records as soon as Xero answers so that
// a retry resumes where it stopped and nothing is sent twice (send marks: a request that may have landed is
// looked up first):
//   prepayments  the whole batch's deposits without one, together (prepayments.ts): ONE PUT /BankTransactions
//                (RECEIVE-PREPAYMENT, into the method's account, the customer's contact) per 50, contacts
//                resolved for the batch; after a send that may have landed, ONE lookup by Reference per 50
//   refunds      each refund given back out of a deposit before the invoice: ONE PUT /Payments out of its
//                prepayment (a lookup by Reference first when it may have landed)
//   allocations  once the invoice is in Xero: each prepayment's credit (what it still holds) to the invoice,
//                one PUT per prepayment (Xero's endpoint is per prepayment), capped by what the invoice owes
//                by our own records; Xero's AmountDue is read (ONE GET) only when that figure would cap a
//                deposit or Xero refuses an allocation; after one that may have landed, the prepayment is
//                read back first
// Each deposit's sync state says where it is (the sale's page). The decisions are pure (decisions.ts).
import type { OutboxHandlerContext, OutboxOutcome, PaymentSnapshot, RefundSnapshot } from '../../../../server/plugins/contract';
import { PermanentError } from '../../../../server/errors';
import { withClearingAccounts } from '../../clearing/paymentAccounts';
import { batchRecorder } from '../../engine/batchRecorder';
import { writeAudit } from '../../engine/audit';
import { saleNameOf } from '../../engine/names';
import { idempotencyKey, stableJson } from '../../engine/keys';
import { afterCallFailure, done, failed, finishBatch, type ItemResult } from '../../engine/outcomes';
import { findRecords, isRemovedInXero, saveRecord, type XeroRecord } from '../../engine/records';
import { clearMarks, sendMarked } from '../../engine/sendMarks';
import { openSession } from '../../engine/session';
import { permanentMessage, type XeroServices } from '../../engine/services';
import type { XeroInvoice } from '../../gateway/documents';
import { buildAllocation, buildPrepaymentRefund, creditNoteNumberFor, invoiceNumberFor, xeroDate } from '../../payloads';
import { resolveContacts } from '../contacts';
import { mappingsOrFinish } from '../mappingsOrFinish';
import { allocationAmount, dueByOurRecords, mustReadInvoiceFirst, type HeldDeposit } from './decisions';
import { postPrepayments } from './prepayments';
import { auditBase, loadRun, mayHaveLanded, now, StepRefused, syncDeposit, xeroCents, type Item, type Run } from './run';

export async function pushDeposits(svc: XeroServices, items: Item[], hctx: OutboxHandlerContext): Promise<OutboxOutcome[]> {
  const { ctx } = svc;
  const orgId = items[0]!.orgId!;
  const recorder = batchRecorder(items, { orgId, entityType: 'sale', recordType: 'prepayment', entityId: (p) => p.saleId });
  const loaded = await mappingsOrFinish(svc, orgId, items, recorder, hctx.workerId);
  if ('finished' in loaded) return loaded.finished;
  const session = await openSession(svc.connection, svc.budget, orgId, hctx.signal, hctx.holdLease);
  const tenantId = session.tenantId;
  const keys: Run['keys'] = {
    invoice: { orgId, tenantId, entityType: 'sale', recordType: 'invoice' },
    prepayment: { orgId, tenantId, entityType: 'payment', recordType: 'prepayment' },
    allocation: { orgId, tenantId, entityType: 'payment', recordType: 'prepayment_allocation' },
    refund: { orgId, tenantId, entityType: 'refund', recordType: 'prepayment_refund' },
  };
  const results = recorder.results;
  const runs: { index: number; run: Run }[] = [];
  for (const [index, item] of items.entries()) {
    const sale = await ctx.records.sale(ctx.db, orgId, item.payload.saleId);
    if (sale) runs.push({ index, run: await loadRun(svc, session, loaded, item, sale, keys) });
    else results[index] = failed(`Sale ${item.payload.saleId} no longer exists in this organisation`, undefined);
  }
  try {
    // The batch's prepayments first, together (prepayments.ts); then each sale's own steps, in order.
    let refused: Map<number, string>;
    try {
      refused = await postPrepayments(svc, session, runs.map((r) => r.run));
    } catch (err) {
      // What Xero answered before the call that failed is recorded; its audit rows are kept too.
      await writeAudit(ctx.db, runs.flatMap((r) => r.run.audit), ctx.clock.now());
      throw err;
    }
    for (const { index, run } of runs) {
      try {
        const prepaymentRefused = refused.get(run.item.id);
        if (prepaymentRefused !== undefined) throw new StepRefused(prepaymentRefused);
        await refundsOutOfDeposits(run);
        await cancellationInvoice(run);
        await allocations(run);
        results[index] = done(undefined, run.audit);
      } catch (err) {
        if (!(err instanceof StepRefused) && !(err instanceof PermanentError)) {
          // This run's rows, and those of the runs after it whose prepayments were posted above.
          await writeAudit(ctx.db, runs.filter((r) => results[r.index] === undefined).flatMap((r) => r.run.audit), ctx.clock.now());
          throw err;
        }
        const message = err instanceof PermanentError ? permanentMessage(err) : err.message;
        await showFailure(run, message);
        results[index] = failed(message, undefined, [...run.audit, { ...auditBase(run, 'payment', 'prepayment', run.sale.id), action: 'failed', outcome: 'failed', message }]);
      }
    }
  } catch (err) {
    return afterCallFailure(ctx, items, results, err, hctx.workerId);
  }
  return finishBatch(ctx, items, results as ItemResult[], hctx.workerId);
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
    const saleName = await saleNameOf(ctx.records, ctx.db, run.session.orgId, run.sale.id);
    const payload: XeroInvoice = {
      Type: 'ACCREC', Contact: { ContactID: contact.contactId }, InvoiceNumber: number, Reference: `Cancelled: ${run.sale.reference ?? saleName}`,
      CurrencyCode: run.sale.currency, Date: date, DueDate: date, Status: 'AUTHORISED', LineAmountTypes: 'NoTax',
      LineItems: [{ Description: `Deposit kept: ${saleName} cancelled`, Quantity: 1, UnitAmount: amount, LineAmount: amount, AccountCode: account, TaxType: 'NONE' }],
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

/**
 * Once the invoice is in Xero: what each prepayment still holds goes to it, capped by what the invoice owes.
 * What it owes is our own figure (its total as posted, less our allocations: decisions.ts) unless that
 * would cap a deposit or is unknown; then, or when Xero refuses an allocation, the invoice is read (ONE GET)
 * and Xero's AmountDue caps what is left.
 */
async function allocations(run: Run): Promise<void> {
  const { ctx } = run.svc;
  const invoice = (await findRecords(ctx.db, run.keys.invoice, [run.sale.id])).get(run.sale.id);
  if (!invoice?.xeroId || isRemovedInXero(invoice.status) || run.deposits.length === 0) return;
  const invoiceId = invoice.xeroId;
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
  /** Xero's own AmountDue has been read in this run (it then already counts the allocations made before). */
  let readFromXero = false;
  const readDue = async (): Promise<number> => {
    readFromXero = true;
    const [state] = await run.session.xero.getInvoices([invoiceId]);
    if (!state) throw new StepRefused(`The invoice ${invoice.number ?? ''} is not in Xero any more`);
    // Voided or deleted there: it owes nothing, yet the deposit must not quietly stay unallocated.
    if (isRemovedInXero(state.status)) throw new StepRefused(`The invoice ${invoice.number ?? ''} is ${String(state.status).toLowerCase()} in Xero: its deposits stay prepayments`);
    return state.amountDueCents;
  };
  const ours = dueByOurRecords(invoiceTotalOf(run, invoice), [...recorded.values()].map((r) => r.amountCents ?? 0));
  let due = mustReadInvoiceFirst(held, ours) ? await readDue() : ours!;
  const date = xeroDate(now(run), run.timeZone);
  const record = async (d: PaymentSnapshot, amountCents: number, status: 'ALLOCATED' | 'NONE') => {
    await saveRecord(ctx.db, run.keys.allocation, { entityId: d.id, xeroId: invoiceId, number: invoice.number, status, amountCents, note: date }, now(run));
    await syncDeposit(run, d);
  };
  for (const h of held) {
    const d = open.find((o) => o.id === h.paymentId)!;
    const prepaymentId = prepaymentOf.get(d.id)!.xeroId!;
    if (landed) {
      const existing = (await run.session.xero.getPrepayment(prepaymentId))?.allocations.find((a) => a.invoiceId?.toLowerCase() === invoiceId.toLowerCase());
      if (existing) {
        run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'adopted', outcome: 'ok', message: `allocation to ${invoice.number ?? invoiceId} found on the prepayment; adopted` });
        await record(d, existing.amountCents, 'ALLOCATED');
        if (!readFromXero) due -= existing.amountCents;
        continue;
      }
    }
    let amount = allocationAmount(h, due);
    let sent = amount === 0 ? null : await allocate(run, prepaymentId, d, invoiceId, amount, date);
    if (sent && !sent.element.ok && !readFromXero) {
      // Xero refuses an allocation above what the invoice owes (nothing was allocated): it changed in Xero
      // since it was posted (the accountant credited, paid or edited it). Read what it owes now, and
      // allocate that when it is less; a refusal for any other reason stands.
      due = await readDue();
      const capped = allocationAmount(h, due);
      if (capped < amount) {
        amount = capped;
        sent = amount === 0 ? null : await allocate(run, prepaymentId, d, invoiceId, amount, date);
      }
    }
    if (sent === null) {
      await record(d, 0, 'NONE');
      continue;
    }
    const { element, request, allocation } = sent;
    if (!element.ok) {
      const message = element.messages.join('; ') || 'Xero refused this allocation without a message';
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'failed', outcome: 'failed', request, response: element.summary, message });
      throw new StepRefused(`Xero refused allocating deposit ${d.id} to the invoice ${invoice.number ?? ''}: ${message}`);
    }
    run.audit.push({ ...auditBase(run, 'payment', 'prepayment_allocation', d.id), action: 'allocated', outcome: 'ok', request, response: element.summary, message: `${allocation.Amount.toFixed(2)} allocated to ${invoice.number ?? invoiceId}` });
    await record(d, amount, 'ALLOCATED');
    await clearMarks(ctx.db, [run.item.id], 'prepayment_allocation');
    due -= amount;
  }
}

/** The invoice's total as we know it: a kept deposit's invoice is the kept amount; the sale's, Xero's total when posted or last read. */
function invoiceTotalOf(run: Run, invoice: XeroRecord): number | null {
  if (invoice.note === CANCELLATION_MARK) return run.sale.cancellation ? xeroCents(run.sale.cancellation.keptMinor, run.sale.currency) : null;
  return invoice.totals?.totalCents ?? null;
}

/** ONE allocation of part of a prepayment to the invoice, marked before it goes out; the mark is cleared once Xero answered. */
async function allocate(run: Run, prepaymentId: string, d: PaymentSnapshot, invoiceId: string, amountCents: number, date: string) {
  const { ctx } = run.svc;
  const allocation = buildAllocation((amountCents / 100).toFixed(2), { InvoiceID: invoiceId }, date);
  const idemKey = idempotencyKey('prepayment-allocation', [run.item.id, d.id], stableJson({ prepaymentId, allocation }));
  const element = await sendMarked(run.session, ctx.db, [run.item.id], 'prepayment_allocation',
    (beforeSend) => run.session.xero.allocatePrepayment(prepaymentId, allocation, { idempotencyKey: idemKey, beforeSend }));
  // Answered, created or refused: nothing of it is left to look up (what was created is recorded next).
  if (!element.ok) await clearMarks(ctx.db, [run.item.id], 'prepayment_allocation');
  return { element, allocation, request: { idempotencyKey: idemKey, payload: allocation } };
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

