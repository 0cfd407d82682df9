// The clearing account of a provider and currency in Xero ("Stripe clearing", "GoCardless clearing USD"):
// found by name, else by the bank account number's last four characters (as the Zoho Books sync matches
// accounts), else created as a BANK account. Remembered in xero_clearing_accounts; `verify` re-reads the
// chart (one call) and creates it again when the accountant deleted or archived it while connected.
import { PermanentError } from '../../../server/errors';
import type { PayoutProvider, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { XeroSession } from '../engine/session';
import { idempotencyKey } from '../engine/keys';
import type { Element } from '../gateway/answers';
import type { XeroBankAccountDraft } from '../gateway/documents';
import { providerNameOf } from './providers';

export interface ClearingAccount {
  accountId: string;
  name: string;
  how: 'cached' | 'found_by_name' | 'found_by_number' | 'created' | 're_created';
}

/** "Stripe clearing", "GoCardless clearing USD": the provider's name, and the currency unless it is the base one. */
export function clearingAccountName(providerName: string, currency: string, baseCurrency: string): string {
  return `${providerName} clearing${currency === baseCurrency ? '' : ` ${currency}`}`;
}

/** The number we give a clearing account we create: the provider account (acct_…/CR…) when known. */
export function clearingAccountNumber(provider: PayoutProvider, currency: string, accountRef: string | null): string {
  return (accountRef && accountRef.trim()) || `${provider.toUpperCase()}-${currency}`;
}

const lastFour = (s: string | undefined) => (s ?? '').replace(/[^A-Za-z0-9]/g, '').slice(-4).toLowerCase();

interface Wanted {
  provider: PayoutProvider;
  currency: string;
  baseCurrency: string;
  accountRef: string | null;
}

export async function cachedClearingAccount(db: Queryable, orgId: number, tenantId: string, provider: PayoutProvider, currency: string): Promise<string | null> {
  const row = await db('xero_clearing_accounts').where({ org_id: orgId, tenant_id: tenantId, provider, currency }).first('account_id');
  return row ? String(row.account_id) : null;
}

type ClearingCtx = Pick<PluginContext<XeroConfig>, 'db' | 'clock' | 'paymentMethods'>;

/** Find or create the clearing account. `verify`: check a remembered one is still active in Xero. */
export async function ensureClearingAccount(ctx: ClearingCtx, session: XeroSession, wanted: Wanted, opts: { verify: boolean }): Promise<ClearingAccount> {
  const { db } = ctx;
  const { provider, currency } = wanted;
  const cached = await cachedClearingAccount(db, session.orgId, session.tenantId, provider, currency);
  if (cached && !opts.verify) return { accountId: cached, name: '', how: 'cached' };

  const providerName = providerNameOf(ctx, provider);
  const name = clearingAccountName(providerName, currency, wanted.baseCurrency);
  const number = clearingAccountNumber(provider, currency, wanted.accountRef);
  const banks = await session.xero.getAccounts({ type: 'BANK' });
  const active = banks.filter((a) => a.status === 'ACTIVE' && (a.currencyCode ?? wanted.baseCurrency) === currency);
  if (cached) {
    const still = active.find((a) => a.accountId.toLowerCase() === cached.toLowerCase());
    if (still) return { accountId: cached, name: still.name || name, how: 'cached' };
  }
  const byName = active.find((a) => a.name.trim().toLowerCase() === name.toLowerCase());
  const byNumber = byName ? undefined : active.find((a) => lastFour(a.bankAccountNumber ?? undefined) === lastFour(number) && a.name.toLowerCase().includes(providerName.toLowerCase()));
  const found = byName ?? byNumber;
  if (found) return remember(ctx, session, wanted, { accountId: found.accountId, name: found.name, how: byName ? 'found_by_name' : 'found_by_number' });

  // Create it. An archived account of ours still holds the name in Xero: then a dated name.
  const names = [name, `${name} (${new Date(ctx.clock.now()).toISOString().slice(0, 10)})`];
  let lastMessage = '';
  for (const candidate of names) {
    const account: XeroBankAccountDraft = { Name: candidate, Type: 'BANK', BankAccountNumber: number, CurrencyCode: currency, Description: `Ledgerbridge: ${providerName} money on its way to the bank` };
    let element: Element<{ accountId: string }>;
    try {
      element = await session.xero.createBankAccount(account, { idempotencyKey: idempotencyKey('account', [session.orgId], JSON.stringify(account)) });
    } catch (err) {
      const messages = (err as { validationMessages?: string[] }).validationMessages ?? [];
      if (messages.some((m) => /unique Name/i.test(m))) {
        lastMessage = messages.join('; ');
        continue;
      }
      throw err;
    }
    if (!element.ok) {
      lastMessage = element.messages.join('; ');
      if (element.messages.some((m) => /unique Name/i.test(m))) continue;
      break;
    }
    return remember(ctx, session, wanted, { accountId: element.value.accountId, name: candidate, how: cached ? 're_created' : 'created' });
  }
  throw new PermanentError(`Could not create the "${name}" bank account in Xero: ${lastMessage}`);
}

async function remember(ctx: ClearingCtx, session: XeroSession, wanted: Wanted, account: ClearingAccount): Promise<ClearingAccount> {
  await ctx.db('xero_clearing_accounts')
    .insert({ org_id: session.orgId, tenant_id: session.tenantId, provider: wanted.provider, currency: wanted.currency, account_id: account.accountId, name: account.name.slice(0, 150), how: account.how, updated_at: ctx.clock.now() })
    .onConflict(['org_id', 'tenant_id', 'provider', 'currency'])
    .merge(['account_id', 'name', 'how', 'updated_at']);
  return account;
}
