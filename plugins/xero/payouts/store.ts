// The plugin's payout tables: posting state, steps and matches (the payouts themselves are the host's,
// read through ctx.payouts).
import type { Queryable } from '../../../server/plugins/contract';
import type { TriggeredBy } from '../engine/types';
import type { PlanStep } from './plan';

export const PAYOUT_POST = 'xero.payout.post';
export const payoutSubject = (payoutId: number): string => `xero:payout:${payoutId}`;

export interface PayoutPostPayload {
  payoutId: number;
  reconcile?: boolean;
  triggeredBy?: TriggeredBy;
  /** Not the payout itself: one converted charge of a known sale, or the pay-out of one of our refunds (refundId), queued on the sale's subject (fx.ts). */
  fx?: { lineId: number; refundId?: number };
}

export type XeroPayoutStatus = 'pending' | 'waiting' | 'needs_signoff' | 'posted' | 'discrepancy' | 'failed';

export interface PayoutState {
  orgId: number;
  payoutId: number;
  status: XeroPayoutStatus;
  message: string | null;
  clearingAccountId?: string;
  postedAt?: number;
}

/** What the plugin says about each of the organisation's payouts it has seen (xero_payouts), by payout id. */
export async function payoutStates(db: Queryable, orgId: number): Promise<Map<number, { status: XeroPayoutStatus; message: string | null }>> {
  const rows = (await db('xero_payouts').where({ org_id: orgId }).select('payout_id', 'status', 'message')) as { payout_id: number; status: XeroPayoutStatus; message: string | null }[];
  return new Map(rows.map((r) => [Number(r.payout_id), { status: r.status, message: r.message ?? null }]));
}

export async function setPayoutState(db: Queryable, state: PayoutState, now: number): Promise<void> {
  const { orgId, payoutId, status, message, clearingAccountId, postedAt } = state;
  const changed: Record<string, unknown> = { status, message, updated_at: now };
  if (clearingAccountId !== undefined) changed.clearing_account_id = clearingAccountId;
  if (postedAt !== undefined) changed.posted_at = postedAt;
  await db('xero_payouts')
    .insert({ org_id: orgId, payout_id: payoutId, clearing_account_id: clearingAccountId ?? null, posted_at: postedAt ?? null, ...changed })
    .onConflict(['org_id', 'payout_id'])
    .merge(Object.keys(changed));
}

export interface StepRow {
  step_key: string;
  line_id: number | null;
  xero_type: string;
  reference: string;
  xero_id: string | null;
  amount_minor: number;
  status: 'posted' | 'failed';
  message: string | null;
}

export async function stepsOf(db: Queryable, orgId: number, tenantId: string | null, payoutId: number): Promise<StepRow[]> {
  const q = db('xero_payout_steps').where({ org_id: orgId, payout_id: payoutId }).orderBy('id');
  if (tenantId !== null) q.where({ tenant_id: tenantId });
  return ((await q) as StepRow[]).map((r) => ({ ...r, amount_minor: Number(r.amount_minor), line_id: r.line_id === null ? null : Number(r.line_id) }));
}

export async function saveStep(db: Queryable, s: { orgId: number; tenantId: string; payoutId: number; step: PlanStep; xeroId: string | null; status: 'posted' | 'failed'; message: string | null }, now: number): Promise<void> {
  const changed = { xero_id: s.xeroId, status: s.status, message: s.message, updated_at: now, amount_minor: s.step.amountMinor, reference: s.step.reference };
  await db('xero_payout_steps')
    .insert({ org_id: s.orgId, tenant_id: s.tenantId, payout_id: s.payoutId, step_key: s.step.key, line_id: s.step.lineId, xero_type: s.step.type, ...changed })
    .onConflict(['org_id', 'tenant_id', 'payout_id', 'step_key'])
    .merge(Object.keys(changed));
}

export interface MatchRow {
  line_id: number;
  payout_id: number;
  /** account: a person posted it to an account of the chart; rule: a payout rule did. */
  status: 'auto' | 'queued' | 'confirmed' | 'suspense' | 'account' | 'rule';
  invoice_id: string | null;
  invoice_number: string | null;
  score: number | null;
  candidates: string;
  decided_by: string | null;
  decided_at: number | null;
  account_code: string | null;
  tax_type: string | null;
  rule_id: number | null;
  rule_name: string | null;
}

export async function matchesOf(db: Queryable, orgId: number, payoutId: number): Promise<Map<number, MatchRow>> {
  const rows = (await db('xero_payout_matches').where({ org_id: orgId, payout_id: payoutId })) as MatchRow[];
  return new Map(rows.map((r) => [Number(r.line_id), { ...r, line_id: Number(r.line_id), score: r.score === null ? null : Number(r.score) }]));
}
