// Sending payout steps to Xero, shared by the payout posting (post.ts) and a converted charge's payment
// (fx.ts): an earlier attempt's records are looked up by Reference and adopted first (reconcile), then
// Payments, BankTransactions and BankTransfers go in batches of 50 (summarizeErrors=false, one
// Idempotency-Key per batch from its content), each Xero id recorded in xero_payout_steps at once.
import type { AuditEntry } from '../engine/audit';
import type { XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { idempotencyKey } from '../engine/keys';
import type { Element } from '../gateway/answers';
import type { PlanStep } from './plan';
import { saveStep } from './store';
import { recordPayoutPaymentOnSale } from '../incoming/signoff';

const BATCH = 50;

export type PayoutAudit = (e: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>) => AuditEntry;

export async function sendSteps(
  svc: XeroServices, session: XeroSession, orgId: number, payoutId: number, steps: PlanStep[], reconcile: boolean, itemId: number,
  audits: AuditEntry[], audit: PayoutAudit,
  /** Matched lines' payments (post.ts): record each on its sale too, as paid in Xero by this provider's payout. */
  opts: { recordOnSale?: { provider: string } } = {},
): Promise<{ failures: string[] }> {
  const { ctx } = svc;
  const failures: string[] = [];
  const record = async (step: PlanStep, xeroId: string | null, status: 'posted' | 'failed', message: string | null) => {
    await saveStep(ctx.db, { orgId, tenantId: session.tenantId, payoutId, step, xeroId, status, message }, ctx.clock.now());
    if (status === 'failed') failures.push(`${step.key}: ${message}`);
    // A line paid onto one of our invoices: the sale records it now, not when Xero's webhook comes (incoming/signoff.ts).
    if (opts.recordOnSale && status === 'posted' && xeroId && step.type === 'payment') {
      await recordPayoutPaymentOnSale(ctx, orgId, step.payment, xeroId, opts.recordOnSale.provider);
    }
  };
  let remaining = steps;
  if (reconcile && remaining.length > 0) {
    const found = await lookUpByReference(session, remaining);
    for (const step of remaining) {
      const xeroId = found.get(step.reference);
      if (!xeroId) continue;
      await record(step, xeroId, 'posted', 'found in Xero by its reference before re-sending; adopted');
      audits.push(audit({ recordType: 'payout', action: 'adopted', outcome: 'ok', message: `${step.key} ${step.reference} → ${xeroId}` }));
    }
    remaining = remaining.filter((s) => !found.has(s.reference));
  }

  for (const type of ['payment', 'bank_transaction', 'bank_transfer'] as const) {
    const ofType = remaining.filter((s) => s.type === type);
    for (let i = 0; i < ofType.length; i += type === 'bank_transfer' ? 1 : BATCH) {
      const batch = ofType.slice(i, i + (type === 'bank_transfer' ? 1 : BATCH));
      const idemKey = idempotencyKey(`payout-${type}`, [itemId], JSON.stringify(batch.map((s) => [s.key, s.reference, s.amountMinor])));
      const elements = await sendBatch(session, type, batch, idemKey);
      for (const [n, step] of batch.entries()) {
        const element = elements[n]!;
        if (element.ok) {
          const { xeroId } = element.value;
          await record(step, xeroId, 'posted', null);
          audits.push(audit({ recordType: 'payout', action: 'created', outcome: 'ok', request: { idempotencyKey: idemKey, step: step.key, reference: step.reference }, message: `${step.key} → ${type} ${xeroId}` }));
        } else {
          const message = element.messages.join('; ') || `Xero refused this ${type} without a message`;
          await record(step, null, 'failed', message);
          audits.push(audit({ recordType: 'payout', action: 'failed', outcome: 'failed', request: { step: step.key, reference: step.reference }, message }));
        }
      }
    }
  }
  return { failures };
}

type StepOf<T extends PlanStep['type']> = Extract<PlanStep, { type: T }>;

/** One call for a batch of steps of one kind: each element's Xero id, or Xero's messages. */
async function sendBatch(session: XeroSession, type: PlanStep['type'], batch: PlanStep[], idemKey: string): Promise<Element<{ xeroId: string | null }>[]> {
  const opts = { idempotencyKey: idemKey };
  const ids = <T>(elements: Element<T>[], idOf: (value: T) => string | null): Element<{ xeroId: string | null }>[] =>
    elements.map((e) => (e.ok ? { ...e, value: { xeroId: idOf(e.value) } } : e));
  if (type === 'payment') return ids(await session.xero.createPayments(batch.map((s) => (s as StepOf<'payment'>).payment), opts), (v) => v.paymentId);
  if (type === 'bank_transaction') return ids(await session.xero.createBankTransactions(batch.map((s) => (s as StepOf<'bank_transaction'>).transaction), opts), (v) => v.bankTransactionId);
  return ids(await session.xero.createBankTransfers(batch.map((s) => (s as StepOf<'bank_transfer'>).transfer), opts), (v) => v.bankTransferId);
}

/** One lookup per kind (chunks of 25 references): which of these steps an earlier attempt already posted. */
async function lookUpByReference(session: XeroSession, steps: PlanStep[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const type of ['payment', 'bank_transaction', 'bank_transfer'] as const) {
    const refs = steps.filter((s) => s.type === type).map((s) => s.reference);
    for (let i = 0; i < refs.length; i += 25) {
      const chunk = refs.slice(i, i + 25);
      const rows = type === 'payment'
        ? (await session.xero.findPaymentsByReference(chunk)).map((p) => ({ id: p.paymentId, reference: p.reference }))
        : type === 'bank_transaction'
          ? await session.xero.findBankTransactionsByReference(chunk)
          : await session.xero.findBankTransfersByReference(chunk);
      for (const row of rows) if (row.reference && row.id) found.set(row.reference, row.id);
    }
  }
  return found;
}
