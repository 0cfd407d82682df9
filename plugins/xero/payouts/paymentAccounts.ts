// Stripe and GoCardless money goes into the provider's clearing account unless the admin mapped the
// method to an account: the sync's payment and refund pushes call this before building, so a card
// payment's Payment lands where the payout's BankTransfer later takes it from.
import type { Queryable } from '../../../server/db/knex';
import type { PayoutProvider } from '../../../server/plugins/contract';
import type { ResolvedMappings } from '../payloads';
import type { XeroSession } from '../sync/session';
import { ensureClearingAccount } from './clearing';

const PROVIDERS: readonly string[] = ['stripe', 'gocardless'];

export async function organisationBaseCurrency(db: Queryable, orgId: number): Promise<string> {
  const row = await db('organisations').where({ id: orgId }).first('base_currency');
  return String(row?.base_currency ?? 'GBP');
}

/** The provider account (acct_…/CR…) this organisation's latest payout came from, if any. */
export async function providerAccountRef(db: Queryable, orgId: number, provider: string): Promise<string | null> {
  const row = await db('payouts').where({ org_id: orgId, provider }).orderBy('id', 'desc').first('account_ref');
  return row ? String(row.account_ref) : null;
}

export async function withClearingAccounts(
  session: XeroSession, db: Queryable, mappings: ResolvedMappings, uses: readonly { method: string | null; currency: string }[],
): Promise<ResolvedMappings> {
  const needed = new Map<string, { provider: PayoutProvider; currency: string }>();
  for (const use of uses) {
    if (!use.method || !PROVIDERS.includes(use.method) || mappings.methodAccountCodes[use.method as 'stripe']) continue;
    needed.set(`${use.method}:${use.currency}`, { provider: use.method as PayoutProvider, currency: use.currency });
  }
  if (needed.size === 0) return mappings;
  const baseCurrency = await organisationBaseCurrency(db, session.orgId);
  const clearingAccountIds: Record<string, string> = { ...(mappings.clearingAccountIds ?? {}) };
  for (const [key, { provider, currency }] of needed) {
    const account = await ensureClearingAccount(session, db, { provider, currency, baseCurrency, accountRef: await providerAccountRef(db, session.orgId, provider) }, { verify: false });
    clearingAccountIds[key] = account.accountId;
  }
  return { ...mappings, clearingAccountIds };
}
