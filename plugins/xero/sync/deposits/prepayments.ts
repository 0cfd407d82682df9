// The prepayments of a whole batch of sales' deposits, posted the way invoices are (../invoices/push.ts):
//   reconcile  the items whose send may have landed (a mark left by a send never answered, or a resend):
//              ONE lookup by Reference for all their deposits (per 50), adopting what Xero already holds
//   contacts   every customer still missing a prepayment, resolved together (../contacts.ts: at most three calls)
//   build      each sale's receipts; a sale that cannot be built is refused alone
//   send       ONE PUT /BankTransactions?summarizeErrors=false per 50 deposits (a sale's deposits kept in one
//              call), a deterministic Idempotency-Key, the items marked right before it goes out; each
//              element on its own: created → xero_records at once; refused → only its sale's item fails,
//              with Xero's reason (the prepayments its other deposits got are kept)
// What a sale's item does next (refunds, allocations) is push.ts's, run by run.
import type { PaymentSnapshot } from '../../../../server/plugins/contract';
import { PermanentError } from '../../../../server/errors';
import { withClearingAccounts } from '../../clearing/paymentAccounts';
import { idempotencyKey, stableJson } from '../../engine/keys';
import { findRecords, saveRecord } from '../../engine/records';
import { clearMarks, markedItems, sendMarked } from '../../engine/sendMarks';
import type { XeroSession } from '../../engine/session';
import { permanentMessage, type XeroServices } from '../../engine/services';
import type { XeroPrepaymentReceipt } from '../../gateway/documents';
import { buildPrepaymentReceipt, prepaymentReferenceFor } from '../../payloads';
import { resolveContacts } from '../contacts';
import { packInCalls } from './decisions';
import { auditBase, now, syncDeposit, xeroCents, type Run } from './run';

/** Xero takes up to 50 elements a call (its advice for every batch endpoint). */
export const PREPAYMENTS_PER_CALL = 50;

interface Open { run: Run; missing: PaymentSnapshot[] }
interface Built { run: Run; deposit: PaymentSnapshot; receipt: XeroPrepaymentReceipt }

/**
 * Every deposit of these runs without its prepayment in Xero: adopted if an earlier attempt landed, else
 * created. Returns, by item id, why a run's prepayments were refused (the item fails with it); a call that
 * fails as a whole throws (the items without a result retry).
 */
export async function postPrepayments(svc: XeroServices, session: XeroSession, runs: readonly Run[]): Promise<Map<number, string>> {
  const refused = new Map<number, string>();
  let open = await missingPrepayments(svc, runs);
  if (open.length === 0) return refused;
  open = await adoptLanded(svc, session, open);
  if (open.length === 0) return refused;

  const contacts = await resolveContacts(session, svc.ctx.db, open.map((o) => o.run.sale.customer), open.map((o) => o.run.item.id));
  let mappings = open[0]!.run.mappings;
  try {
    // Stripe/GoCardless without a mapped account: into the provider's clearing account (found or created), as payments are.
    mappings = await withClearingAccounts(svc.ctx, session, mappings, open.flatMap((o) => o.missing));
  } catch (err) {
    if (!(err instanceof PermanentError)) throw err;
    for (const { run } of open) refused.set(run.item.id, permanentMessage(err));
    return refused;
  }
  const built: Built[][] = [];
  for (const { run, missing } of open) {
    const contact = contacts.get(run.sale.customer.id);
    if (!contact || !contact.ok) {
      refused.set(run.item.id, contact && !contact.ok ? contact.message : 'the customer could not be matched to a Xero contact');
      continue;
    }
    try {
      built.push(missing.map((deposit) => ({ run, deposit, receipt: buildPrepaymentReceipt(deposit, run.sale, mappings, { contactId: contact.contactId, timeZone: run.timeZone }) })));
    } catch (err) {
      // A sale that cannot be built (a mapping missing) is refused alone.
      if (!(err instanceof PermanentError)) throw err;
      refused.set(run.item.id, permanentMessage(err));
    }
  }
  for (const call of packInCalls(built, PREPAYMENTS_PER_CALL)) {
    for (const [itemId, message] of await send(svc, session, call)) refused.set(itemId, message);
  }
  return refused;
}

/** The runs with deposits whose prepayment is not in Xero yet (by our records). */
async function missingPrepayments(svc: XeroServices, runs: readonly Run[]): Promise<Open[]> {
  if (runs.length === 0) return [];
  const known = await findRecords(svc.ctx.db, runs[0]!.keys.prepayment, runs.flatMap((r) => r.deposits.map((d) => d.id)));
  return runs.map((run) => ({ run, missing: run.deposits.filter((d) => !known.get(d.id)?.xeroId) })).filter((o) => o.missing.length > 0);
}

/** The runs whose send may have landed look their deposits up by Reference (one call per 50) and adopt what is there. */
async function adoptLanded(svc: XeroServices, session: XeroSession, open: Open[]): Promise<Open[]> {
  const { ctx } = svc;
  const marked = await markedItems(ctx.db, open.map((o) => o.run.item).filter((item) => item.attempts > 1), 'prepayment');
  const lookup = open.filter((o) => o.run.item.payload.reconcile === true || marked.has(o.run.item.id));
  if (lookup.length === 0) return open;
  const referenceOf = (o: Open, d: PaymentSnapshot) => prepaymentReferenceFor(d, o.run.mappings);
  const references = lookup.flatMap((o) => o.missing.map((d) => referenceOf(o, d)));
  const found = new Map<string, { prepaymentId: string; status: string | null }>();
  for (let i = 0; i < references.length; i += PREPAYMENTS_PER_CALL) {
    for (const f of await session.xero.findPrepaymentsByReference(references.slice(i, i + PREPAYMENTS_PER_CALL))) {
      if (f.prepaymentId && f.reference) found.set(f.reference, { prepaymentId: f.prepaymentId, status: f.status });
    }
  }
  const still: Open[] = [];
  for (const o of open) {
    const adopted = lookup.includes(o) ? o.missing.filter((d) => found.has(referenceOf(o, d))) : [];
    for (const d of adopted) {
      const reference = referenceOf(o, d);
      const match = found.get(reference)!;
      await saveRecord(ctx.db, o.run.keys.prepayment, { entityId: d.id, xeroId: match.prepaymentId, number: reference, status: match.status ?? 'AUTHORISED', amountCents: xeroCents(d.amountMinor, d.currency) }, now(o.run));
      o.run.audit.push({ ...auditBase(o.run, 'payment', 'prepayment', d.id), action: 'adopted', outcome: 'ok', message: `found in Xero by reference ${reference} before re-sending; adopted` });
    }
    const missing = o.missing.filter((d) => !adopted.includes(d));
    if (missing.length > 0) still.push({ run: o.run, missing });
    else for (const d of o.run.deposits) await syncDeposit(o.run, d);
  }
  return still;
}

/** ONE call for up to 50 deposits, then each element on its own. Returns the refusals by item id. */
async function send(svc: XeroServices, session: XeroSession, call: readonly Built[]): Promise<Map<number, string>> {
  const { ctx } = svc;
  const receipts = call.map((b) => b.receipt);
  const itemIds = [...new Set(call.map((b) => b.run.item.id))];
  const idemKey = idempotencyKey('prepayments', itemIds, stableJson(receipts));
  const elements = await sendMarked(session, ctx.db, itemIds, 'prepayment', (beforeSend) => session.xero.createPrepayments(receipts, { idempotencyKey: idemKey, beforeSend }));
  const refusals = new Map<number, string[]>();
  for (const [n, { run, deposit, receipt }] of call.entries()) {
    const element = elements[n]!;
    const request = { idempotencyKey: idemKey, payload: receipt };
    if (element.ok && element.value.prepaymentId) {
      await saveRecord(ctx.db, run.keys.prepayment, { entityId: deposit.id, xeroId: element.value.prepaymentId, number: receipt.Reference, status: element.value.status ?? 'AUTHORISED', amountCents: xeroCents(deposit.amountMinor, deposit.currency) }, now(run));
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment', deposit.id), action: 'created', outcome: 'ok', request, response: element.summary, message: `prepayment ${element.value.prepaymentId}` });
    } else {
      const message = element.ok ? 'Xero created the bank transaction without a prepayment' : element.messages.join('; ') || 'Xero refused this prepayment without a message';
      run.audit.push({ ...auditBase(run, 'payment', 'prepayment', deposit.id), action: 'failed', outcome: 'failed', request, response: element.summary, message });
      refusals.set(run.item.id, [...(refusals.get(run.item.id) ?? []), `deposit ${deposit.id}: ${message}`]);
    }
  }
  // Xero answered every element: what it created is recorded, what it refused was not created.
  await clearMarks(ctx.db, itemIds, 'prepayment');
  const runs = [...new Set(call.map((b) => b.run))];
  for (const run of runs) for (const d of run.deposits) await syncDeposit(run, d);
  return new Map([...refusals].map(([itemId, messages]) => [itemId, `Xero refused the prepayment of ${messages.join('; ')}`]));
}
