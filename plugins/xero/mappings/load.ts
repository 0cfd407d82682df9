// xero_mappings rows → ResolvedMappings, with built-in defaults only where they are safe: the UK demo
// chart's Sales (200) and 20 % VAT on income (OUTPUT2) so a fresh install produces sensible invoices,
// AUTHORISED and due on receipt. No default payment account (which bank account Stripe money lands in is
// the admin's call) and no default rounding account (Xero's 860 Rounding is a locked system account):
// the builders raise a PermanentError naming the missing setting instead.
import type { Queryable } from '../../../server/plugins/contract';
import type { DueDateRule, ResolvedMappings, TrackingAssignment } from './types';
import { listMappings, type MappingRow } from './store';
import { storedTaxTypes } from './taxTypes';

export const BUILT_IN = {
  defaultSalesAccountCode: '200',
  defaultTaxType: 'OUTPUT2',
  roundingTaxType: 'NONE',
  invoiceStatus: 'AUTHORISED',
  invoiceDate: 'sale_date',
  lockedPeriod: 'first_open_day',
  dueDateRule: { kind: 'on_receipt' } as DueDateRule,
  invoiceNumberPrefix: 'LB-',
  referenceSource: 'sale_reference',
  lineAmountHandling: 'auto',
} as const;

export async function loadResolvedMappings(db: Queryable, orgId: number): Promise<ResolvedMappings> {
  const resolved = resolveMappingRows(orgId, await listMappings(db, orgId));
  return { ...resolved, xeroTaxTypes: (await storedTaxTypes(db, orgId)).map((t) => t.taxType.toUpperCase()) };
}

/** Pure: rows → ResolvedMappings (the settings page previews unsaved forms with it too). */
export function resolveMappingRows(orgId: number, rows: Pick<MappingRow, 'kind' | 'key' | 'value'>[]): ResolvedMappings {
  const single = (kind: MappingRow['kind']): string | undefined => rows.find((r) => r.kind === kind && r.key === '')?.value || undefined;
  const keyed = (kind: MappingRow['kind']): Record<string, string> =>
    Object.fromEntries(rows.filter((r) => r.kind === kind && r.key !== '' && r.value !== '').map((r) => [r.key, r.value]));

  const defaultSalesAccountCode = single('default_sales_account');
  const defaultTaxType = single('default_tax');
  const builtInDefaults: ResolvedMappings['builtInDefaults'] = [];
  if (!defaultSalesAccountCode) builtInDefaults.push('defaultSalesAccountCode');
  if (!defaultTaxType) builtInDefaults.push('defaultTaxType');

  // Every mapped method is kept, installed or not: a payment taken before its plugin went still has one.
  const methodAccountCodes = keyed('method_account');
  const categoryTracking: Record<string, TrackingAssignment[]> = {};
  for (const [category, json] of Object.entries(keyed('category_tracking'))) categoryTracking[category] = parseTracking(json);

  const status = single('invoice_status');
  const reference = single('reference_source');
  const handling = single('line_amount_handling');
  return {
    orgId,
    defaultSalesAccountCode: defaultSalesAccountCode ?? BUILT_IN.defaultSalesAccountCode,
    categoryAccountCodes: keyed('category_account'),
    defaultTaxType: defaultTaxType ?? BUILT_IN.defaultTaxType,
    categoryTaxTypes: keyed('category_tax'),
    taxCodeTaxTypes: keyed('tax_code_tax'),
    methodAccountCodes,
    lineKindAccounts: {
      ...(single('tip_account') ? { tip: single('tip_account')! } : {}),
      ...(single('service_charge_account') ? { service_charge: single('service_charge_account')! } : {}),
      ...(single('voucher_account') ? { voucher: single('voucher_account')! } : {}),
    },
    voucherExpiryAccountCode: single('voucher_expiry_account') ?? null,
    lineKindTaxTypes: {
      ...(single('tip_tax') ? { tip: single('tip_tax')! } : {}),
      ...(single('service_charge_tax') ? { service_charge: single('service_charge_tax')! } : {}),
      ...(single('voucher_tax') ? { voucher: single('voucher_tax')! } : {}),
    },
    cancellationAccountCode: single('cancellation_account') ?? null,
    categoryTracking,
    defaultTracking: parseTracking(single('default_tracking') ?? '[]'),
    roundingAccountCode: single('rounding_account') ?? null,
    roundingTaxType: single('rounding_tax') ?? BUILT_IN.roundingTaxType,
    invoiceStatus: status === 'DRAFT' ? 'DRAFT' : BUILT_IN.invoiceStatus,
    invoiceDate: single('invoice_date') === 'service_date' ? 'service_date' : BUILT_IN.invoiceDate,
    lockedPeriod: single('locked_period') === 'hold' ? 'hold' : BUILT_IN.lockedPeriod,
    attachReceipts: single('attach_receipts') === 'on',
    dueDateRule: parseDueDateRule(single('due_date_rule')),
    brandingThemeId: single('branding_theme') ?? null,
    invoiceNumberPrefix: single('invoice_prefix') ?? BUILT_IN.invoiceNumberPrefix,
    referenceSource: reference === 'invoice_number' ? 'invoice_number' : BUILT_IN.referenceSource,
    lineAmountHandling: handling === 'inclusive' ? 'inclusive' : BUILT_IN.lineAmountHandling,
    taxRates: keyed('tax_rate'),
    builtInDefaults,
  };
}

function parseTracking(json: string): TrackingAssignment[] {
  try {
    const value: unknown = JSON.parse(json);
    if (!Array.isArray(value)) return [];
    return value
      .filter((t): t is TrackingAssignment => !!t && typeof t === 'object' && typeof t.name === 'string' && typeof t.option === 'string')
      .slice(0, 2)
      .map((t) => ({
        name: t.name,
        option: t.option,
        ...(typeof t.trackingCategoryId === 'string' ? { trackingCategoryId: t.trackingCategoryId } : {}),
        ...(typeof t.trackingOptionId === 'string' ? { trackingOptionId: t.trackingOptionId } : {}),
      }));
  } catch {
    return [];
  }
}

/** Stored as text: 'on_receipt', 'end_of_following_month', 'days_after:14', 'day_of_following_month:20'. */
export function parseDueDateRule(text: string | undefined): DueDateRule {
  if (!text) return BUILT_IN.dueDateRule;
  const [kind, n] = text.split(':');
  const number = Number(n);
  if (kind === 'end_of_following_month') return { kind };
  if (kind === 'days_after' && Number.isInteger(number) && number >= 0 && number <= 365) return { kind, days: number };
  if (kind === 'day_of_following_month' && Number.isInteger(number) && number >= 1 && number <= 31) return { kind, day: number };
  return BUILT_IN.dueDateRule;
}

export function formatDueDateRule(rule: DueDateRule): string {
  switch (rule.kind) {
    case 'days_after': return `days_after:${rule.days}`;
    case 'day_of_following_month': return `day_of_following_month:${rule.day}`;
    default: return rule.kind;
  }
}
