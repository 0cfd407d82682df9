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
import type { PaymentSnapshot, PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { ResolvedMappings } from '../mappings/types';
import { findRecords } from '../engine/records';
import { isPayoutReference } from './payoutReferences';
import { isSettledByPayouts } from './providers';

/** xero_records status of a refund's pay-out step (record type refund_payment) that waits for its payout. */
export const AWAITING_PAYOUT = 'AWAITING_PAYOUT';

export interface RefundToSettle { id: number; saleId: number; method: string | null; currency: string }

export async function refundsAwaitingPayout(
  ctx: Pick<PluginContext<XeroConfig>, 'db' | 'records' | 'paymentMethods'>, key: { orgId: number; tenantId: string }, baseCurrency: string,
  mappings: ResolvedMappings, refunds: readonly RefundToSettle[],
): Promise<Set<number>> {
  const candidates = refunds.filter((r) => isSettledByPayouts(ctx, r.method) && !mappings.methodAccountCodes[r.method] && r.currency !== baseCurrency);
  const out = new Set<number>();
  if (candidates.length === 0) return out;
  const methods = new Set(candidates.map((r) => r.method));
  const payments: PaymentSnapshot[] = [];
  for (const saleId of new Set(candidates.map((r) => r.saleId))) {
    payments.push(...(await ctx.records.paymentsOfSale(ctx.db, key.orgId, saleId)).filter((p) => methods.has(p.method)));
  }
  // How the sync recorded each of those payments in Xero: a payout's own reference means the provider converted it.
  const inXero = await findRecords(ctx.db, { ...key, entityType: 'payment', recordType: 'payment' }, payments.map((p) => p.id));
  const settledInOwnCurrency = new Set(payments.filter((p) => !isPayoutReference(inXero.get(p.id)?.number)).map((p) => `${p.saleId}:${p.method}`));
  for (const r of candidates) if (!settledInOwnCurrency.has(`${r.saleId}:${r.method}`)) out.add(r.id);
  return out;
}
