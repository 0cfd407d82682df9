// Payout settings per organisation (xero_payout_settings; its own table because a save of the sync's
// mappings replaces that whole set): where each provider's payouts land (`bank_account:<method id>`, one
// per payout provider of the install), the fees account and the tax type of taxed fees, the suspense and
// disputes accounts, and the auto-post threshold. Checked against the live chart on save (routes.ts), like
// the sync's mappings.
import type { PayoutProvider, PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import type { Catalogue } from '../mappings/catalogue';
import type { SettingIssue } from '../mappings/validate';
import type { PayoutSettings } from './plan';
import { payoutProviders } from '../clearing/providers';
import { DEFAULT_THRESHOLD } from './scoring';

const SHARED_KEYS = ['fees_account', 'fee_tax', 'suspense_account', 'dispute_account', 'match_threshold'] as const;
export type PayoutSettingKey = `bank_account:${string}` | (typeof SHARED_KEYS)[number];

type Catalogued = Pick<PluginContext<XeroConfig>, 'paymentMethods'>;

/** Every setting of this install: a bank account per payout provider, then the shared ones. */
export function payoutSettingKeys(ctx: Catalogued): PayoutSettingKey[] {
  return [...payoutProviders(ctx).map((p) => `bank_account:${p.id}` as const), ...SHARED_KEYS];
}

/** Xero's default chart has 404 Bank Fees; UK VAT on purchases is INPUT2. */
export const PAYOUT_DEFAULTS = { feesAccountCode: '404', feeTaxType: 'INPUT2', threshold: DEFAULT_THRESHOLD } as const;

export async function readPayoutSettingRows(db: Queryable, orgId: number): Promise<Partial<Record<PayoutSettingKey, string>>> {
  const rows = (await db('xero_payout_settings').where({ org_id: orgId })) as { key: PayoutSettingKey; value: string }[];
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

export async function loadPayoutSettings(db: Queryable, orgId: number, provider: PayoutProvider): Promise<PayoutSettings> {
  const rows = await readPayoutSettingRows(db, orgId);
  const threshold = Number(rows.match_threshold);
  return {
    bankAccountCode: rows[`bank_account:${provider}` as PayoutSettingKey] || null,
    feesAccountCode: rows.fees_account || PAYOUT_DEFAULTS.feesAccountCode,
    feeTaxType: rows.fee_tax || PAYOUT_DEFAULTS.feeTaxType,
    suspenseAccountCode: rows.suspense_account || null,
    disputeAccountCode: rows.dispute_account || null,
    threshold: Number.isInteger(threshold) && threshold >= 1 && threshold <= 100 ? threshold : PAYOUT_DEFAULTS.threshold,
  };
}

/** Save the install's settings: a key left empty (or out of `values`) is removed. */
export async function savePayoutSettings(
  ctx: Catalogued & Pick<PluginContext<XeroConfig>, 'clock'>, db: Queryable, orgId: number, values: Partial<Record<PayoutSettingKey, string>>, by: string,
): Promise<void> {
  const now = ctx.clock.now();
  for (const key of payoutSettingKeys(ctx)) {
    const value = values[key]?.trim() ?? '';
    if (!value) await db('xero_payout_settings').where({ org_id: orgId, key }).delete();
    else await db('xero_payout_settings').insert({ org_id: orgId, key, value, updated_by: by, updated_at: now }).onConflict(['org_id', 'key']).merge(['value', 'updated_by', 'updated_at']);
  }
}

const EXPENSE_TYPES = new Set(['EXPENSE', 'OVERHEADS', 'DIRECTCOSTS']);

/** Check a submitted form against the organisation's chart; nothing is saved unless this returns no issues. */
export function checkPayoutSettings(values: Partial<Record<PayoutSettingKey, string>>, cat: Catalogue): SettingIssue[] {
  const issues: SettingIssue[] = [];
  const where = `in Xero (${cat.organisationName})`;
  const account = (field: PayoutSettingKey, kind: 'bank' | 'expense' | 'any') => {
    const code = values[field]?.trim();
    if (!code) return;
    const a = cat.accounts.find((x) => x.code.toUpperCase() === code.toUpperCase());
    if (!a) return issues.push({ field, message: `Account ${code} does not exist ${where}` });
    if (a.status !== 'ACTIVE') return issues.push({ field, message: `Account ${code} (${a.name}) is ${a.status.toLowerCase()} ${where}` });
    if (kind === 'bank' && a.type !== 'BANK') return issues.push({ field, message: `Account ${code} is a ${a.type} account: payouts land in a BANK account` });
    if (kind !== 'bank' && a.type === 'BANK') return issues.push({ field, message: `Account ${code} is a bank account: choose an expense or balance-sheet account` });
    if (kind === 'expense' && !EXPENSE_TYPES.has(a.type)) return issues.push({ field, message: `Account ${code} is a ${a.type} account: fees need an expense account (EXPENSE, OVERHEADS or DIRECTCOSTS)` });
    if (a.systemAccount) return issues.push({ field, message: `Account ${code} (${a.name}) is a Xero system account` });
    return undefined;
  };
  for (const key of Object.keys(values) as PayoutSettingKey[]) if (key.startsWith('bank_account:')) account(key, 'bank');
  account('fees_account', 'expense');
  account('suspense_account', 'any');
  account('dispute_account', 'any');
  const tax = values.fee_tax?.trim();
  if (tax) {
    const rate = cat.taxRates.find((t) => t.taxType.toUpperCase() === tax.toUpperCase());
    if (!rate) issues.push({ field: 'fee_tax', message: `Tax type ${tax} does not exist ${where}` });
    else if (rate.status !== 'ACTIVE') issues.push({ field: 'fee_tax', message: `Tax type ${tax} (${rate.name}) is ${rate.status.toLowerCase()} ${where}` });
    else if (!rate.canApplyToExpenses) issues.push({ field: 'fee_tax', message: `Tax type ${tax} (${rate.name}) is not a purchases tax rate: fees are an expense` });
  }
  const threshold = values.match_threshold?.trim();
  if (threshold && !(/^\d{1,3}$/.test(threshold) && Number(threshold) >= 1 && Number(threshold) <= 100)) {
    issues.push({ field: 'match_threshold', message: 'Auto-post threshold: a whole percentage from 1 to 100' });
  }
  return issues;
}
