// Sending payout steps to Xero, shared by the payout posting (post.ts) and a converted charge's payment
// (fx.ts): an earlier attempt's records are looked up by Reference and adopted first (reconcile), then
// Payments, BankTransactions and BankTransfers go in batches of 50 (summarizeErrors=false, one
// Idempotency-Key per batch from its content), each Xero id recorded in xero_payout_steps at once.
import { ObjectSerializer, type BankTransaction, type BankTransfer, type Payment } from 'xero-node';
import type { AuditEntry } from '../engine/audit';
import type { XeroSession } from '../engine/session';
import type { XeroServices } from '../engine/services';
import { idempotencyKey, list, splitElements, str, whereString } from '../engine/wire';
import type { PlanStep } from './plan';
import { saveStep } from './store';

const BATCH = 50;

export type PayoutAudit = (e: Omit<AuditEntry, 'orgId' | 'entityType' | 'entityId' | 'triggeredBy' | 'outboxItemId'>) => AuditEntry;

export async function sendSteps(
  svc: XeroServices, session: XeroSession, orgId: number, payoutId: number, steps: PlanStep[], reconcile: boolean, itemId: number,
  audits: AuditEntry[], audit: PayoutAudit,
): Promise<{ failures: string[] }> {
  const { ctx } = svc;
  const failures: string[] = [];
  const record = async (step: PlanStep, xeroId: string | null, status: 'posted' | 'failed', message: string | null) => {
    await saveStep(ctx.db, { orgId, tenantId: session.tenantId, payoutId, step, xeroId, status, message }, ctx.clock.now());
    if (status === 'failed') failures.push(`${step.key}: ${message}`);
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
      let elements: ReturnType<typeof splitElements>;
      if (type === 'payment') {
        const payments = batch.map((s) => ObjectSerializer.deserialize((s as Extract<PlanStep, { type: 'payment' }>).payment, 'Payment') as Payment);
        elements = splitElements(await session.call((api, tenant) => api.createPayments(tenant, { payments }, false, idemKey)), 'Payments', batch.length);
      } else if (type === 'bank_transaction') {
        const bankTransactions = batch.map((s) => ObjectSerializer.deserialize((s as Extract<PlanStep, { type: 'bank_transaction' }>).transaction, 'BankTransaction') as BankTransaction);
        elements = splitElements(await session.call((api, tenant) => api.createBankTransactions(tenant, { bankTransactions }, false, undefined, idemKey)), 'BankTransactions', batch.length);
      } else {
        const bankTransfers = batch.map((s) => ObjectSerializer.deserialize((s as Extract<PlanStep, { type: 'bank_transfer' }>).transfer, 'BankTransfer') as BankTransfer);
        elements = splitElements(await session.call((api, tenant) => api.createBankTransfer(tenant, { bankTransfers }, idemKey)), 'BankTransfers', batch.length);
      }
      for (const [n, step] of batch.entries()) {
        const element = elements[n]!;
        const idField = type === 'payment' ? 'PaymentID' : type === 'bank_transaction' ? 'BankTransactionID' : 'BankTransferID';
        if (element.ok) {
          const xeroId = str(element.element, idField) ?? null;
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

/** One lookup per kind (chunks of 25 references): which of these steps an earlier attempt already posted. */
async function lookUpByReference(session: XeroSession, steps: PlanStep[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const type of ['payment', 'bank_transaction', 'bank_transfer'] as const) {
    const refs = steps.filter((s) => s.type === type).map((s) => s.reference);
    for (let i = 0; i < refs.length; i += 25) {
      const where = refs.slice(i, i + 25).map((r) => `Reference==${whereString(r)}`).join(' OR ');
      let rows: unknown[];
      if (type === 'payment') rows = list(await session.call((api, tenant) => api.getPayments(tenant, undefined, where)), 'Payments').filter((p) => str(p, 'Status') !== 'DELETED');
      else if (type === 'bank_transaction') rows = list(await session.call((api, tenant) => api.getBankTransactions(tenant, undefined, where)), 'BankTransactions').filter((p) => str(p, 'Status') !== 'DELETED');
      else rows = list(await session.call((api, tenant) => api.getBankTransfers(tenant, undefined, where)), 'BankTransfers');
      const idField = type === 'payment' ? 'PaymentID' : type === 'bank_transaction' ? 'BankTransactionID' : 'BankTransferID';
      for (const row of rows) {
        const ref = str(row, 'Reference');
        const id = str(row, idField);
        if (ref && id) found.set(ref, id);
      }
    }
  }
  return found;
}
