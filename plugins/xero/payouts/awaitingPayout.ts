// Which refunds the sync leaves for their payout to pay out. A Stripe or GoCardless refund on a sale in a
// foreign currency may leave the provider CONVERTED (a USD refund of a USD card charge on a GBP Stripe
// account comes out of the GBP balance at Stripe's rate). Paid out by the sync, it would come out of a
// clearing account in the sale's currency, which no payout ever touches, and that account would never
// return to zero. So, as with converted charges (fx.ts), such a refund's credit note is created at once and
// paid out when its payout is posted: from the payout's clearing account, at the provider's rate.
//
// The sync cannot ask the provider how a refund will settle, so it reads how the sale's charge did:
//   - the sale has a payment by that provider that the sync put into Xero itself (or is about to): the
//     provider settles this sale in its own currency, so the refund is paid out at once, as always;
//   - otherwise (no such payment yet, or only ones a payout paid at the provider's rate): it waits.
// Sales in the organisation's base currency never wait: a provider converting into another currency would
// pay out into a clearing account Xero cannot pay a base-currency note from anyway.
import type { Queryable } from '../../../server/db/knex';
import type { ResolvedMappings } from '../payloads';
import { isPayoutReference } from './plan';

/** xero_records status of a refund's pay-out step (record type refund_payment) that waits for its payout. */
export const AWAITING_PAYOUT = 'AWAITING_PAYOUT';

const PROVIDERS: readonly string[] = ['stripe', 'gocardless'];

export interface RefundToSettle { id: number; saleId: number; method: string | null; currency: string }

export async function refundsAwaitingPayout(
  db: Queryable, key: { orgId: number; tenantId: string }, baseCurrency: string, mappings: ResolvedMappings, refunds: readonly RefundToSettle[],
): Promise<Set<number>> {
  const candidates = refunds.filter((r) => r.method !== null && PROVIDERS.includes(r.method)
    && !mappings.methodAccountCodes[r.method as 'stripe'] && r.currency !== baseCurrency);
  const out = new Set<number>();
  if (candidates.length === 0) return out;
  const rows = (await db('payments as p')
    .leftJoin('xero_records as r', (j) => j.on('r.entity_id', '=', 'p.id').andOnVal('r.entity_type', '=', 'payment')
      .andOnVal('r.record_type', '=', 'payment').andOnVal('r.org_id', '=', key.orgId).andOnVal('r.tenant_id', '=', key.tenantId))
    .where('p.org_id', key.orgId)
    .whereIn('p.sale_id', [...new Set(candidates.map((r) => r.saleId))])
    .whereIn('p.method', [...new Set(candidates.map((r) => r.method!))])
    .select('p.sale_id', 'p.method', 'r.number')) as { sale_id: number; method: string; number: string | null }[];
  const settledInOwnCurrency = new Set(rows.filter((r) => !isPayoutReference(r.number)).map((r) => `${Number(r.sale_id)}:${r.method}`));
  for (const r of candidates) if (!settledInOwnCurrency.has(`${r.saleId}:${r.method}`)) out.add(r.id);
  return out;
}
