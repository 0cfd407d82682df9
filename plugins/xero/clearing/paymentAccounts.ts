// Money taken by a payout provider's method (Stripe, GoCardless: ctx.paymentMethods' settledByPayouts) goes
// into the provider's clearing account unless the admin mapped the method to an account: the sync's
// payment and refund pushes call this before building, so a card payment's Payment lands where the
// payout's BankTransfer later takes it from.
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { ResolvedMappings } from '../mappings/types';
import type { XeroSession } from '../engine/session';
import { ensureClearingAccount } from './accounts';
import { isSettledByPayouts } from './providers';

type Ctx = Pick<PluginContext<XeroConfig>, 'db' | 'clock' | 'paymentMethods' | 'organisations' | 'payouts'>;

export async function withClearingAccounts(
  ctx: Ctx, session: XeroSession, mappings: ResolvedMappings, uses: readonly { method: string | null; currency: string }[],
): Promise<ResolvedMappings> {
  const needed = new Map<string, { provider: string; currency: string }>();
  for (const use of uses) {
    if (!isSettledByPayouts(ctx, use.method) || mappings.methodAccountCodes[use.method]) continue;
    needed.set(`${use.method}:${use.currency}`, { provider: use.method, currency: use.currency });
  }
  if (needed.size === 0) return mappings;
  const { baseCurrency } = await ctx.organisations.get(ctx.db, session.orgId);
  const clearingAccountIds: Record<string, string> = { ...(mappings.clearingAccountIds ?? {}) };
  for (const [key, { provider, currency }] of needed) {
    // The number of an account we create: the provider account (acct_…/CR…) of the latest payout, if any.
    const accountRef = await ctx.payouts.latestAccountRef(ctx.db, session.orgId, provider);
    const account = await ensureClearingAccount(ctx, session, { provider, currency, baseCurrency, accountRef }, { verify: false });
    clearingAccountIds[key] = account.accountId;
  }
  return { ...mappings, clearingAccountIds };
}
