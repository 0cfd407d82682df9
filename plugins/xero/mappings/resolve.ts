// The fallback chains, Lago-style: each answer says which level gave it, so the settings page and the
// audit trail can explain why a line went to account 260 with ZERORATEDOUTPUT. Pure.
//   account:  category → organisation default
//   tax type: line (the sale line's own tax code) → category → organisation default
//   tracking: category → organisation default → none
//   payment:  method → Stripe/GoCardless clearing account → (nothing: a PermanentError the admin must fix)
import { PermanentError } from '../../../server/errors';
import type { SaleLineKind } from '../../../server/plugins/contract';
import type { ResolvedMappings, Resolution, TrackingAssignment } from './types';

export interface CodedLine {
  category: string | null;
  taxCode: string | null;
  kind?: SaleLineKind;
}

/** The host's method for payments from a gift voucher (redemptions come out of the voucher liability). */
export const GIFT_VOUCHER_METHOD = 'gift_voucher';
/** A voucher line's tax rate when none is set: outside the scope of VAT. */
export const VOUCHER_TAX_DEFAULT = 'NONE';

/** The gift voucher liability account, or a MappingToFixError naming the setting. */
export function requireVoucherAccount(m: ResolvedMappings): string {
  const code = m.lineKindAccounts.voucher;
  if (code) return code;
  throw new MappingToFixError(
    'Gift vouchers need their liability account, and none is set',
    'Mapping to fix: gift voucher liability account (none) (Xero settings, Gift vouchers)',
  );
}

/** A tip's tax rate when none is set: outside the scope of VAT (a tip freely given is not a supply). */
export const TIP_TAX_DEFAULT = 'NONE';

const KIND_NAME = { tip: 'tips', service_charge: 'service charges' } as const;

export const SETTINGS_HELP = 'Set it on the Xero settings page (/plugins/xero/settings), then retry.';

/**
 * A record that cannot go to Xero until a mapping is set or changed: `note` names that mapping
 * ("Mapping to fix: …"), shown on the sale beside the error; Retry after the fix sends it.
 */
export class MappingToFixError extends PermanentError {
  readonly note: string;
  constructor(message: string, note: string) {
    super(message, { help: SETTINGS_HELP });
    this.note = note;
  }
}

/** The mapped Xero TaxType of a booking-system tax code: the exact code first, then ignoring case. */
function mappedTaxType(code: string, m: ResolvedMappings): string | undefined {
  const exact = m.taxCodeTaxTypes[code];
  if (exact) return exact;
  const upper = code.toUpperCase();
  const key = Object.keys(m.taxCodeTaxTypes).find((k) => k.toUpperCase() === upper);
  return key === undefined ? undefined : m.taxCodeTaxTypes[key];
}

function organisationOrBuiltIn(m: ResolvedMappings, field: 'defaultSalesAccountCode' | 'defaultTaxType'): 'organisation' | 'built_in' {
  return m.builtInDefaults?.includes(field) ? 'built_in' : 'organisation';
}

export function resolveAccount(line: CodedLine, m: ResolvedMappings): Resolution<string> {
  if (line.kind === 'voucher') return { value: requireVoucherAccount(m), level: 'organisation', key: 'voucher' };
  if (line.kind === 'tip' || line.kind === 'service_charge') {
    const code = m.lineKindAccounts[line.kind];
    if (code) return { value: code, level: 'organisation', key: line.kind };
    throw new MappingToFixError(
      `A ${line.kind === 'tip' ? 'tip' : 'service charge'} line needs its own account, and none is set for ${KIND_NAME[line.kind]}`,
      `Mapping to fix: ${KIND_NAME[line.kind]} account (none) (Xero settings, Tips and service charges)`,
    );
  }
  if (line.category !== null) {
    const code = m.categoryAccountCodes[line.category];
    if (code) return { value: code, level: 'category', key: line.category };
  }
  return { value: m.defaultSalesAccountCode, level: organisationOrBuiltIn(m, 'defaultSalesAccountCode') };
}

export function resolveTaxType(line: CodedLine, m: ResolvedMappings): Resolution<string> {
  if (line.taxCode !== null && line.taxCode.trim() !== '') {
    const code = line.taxCode.trim();
    // A host tax code mapped to a Xero TaxType, else the code is itself a Xero TaxType — when Xero has it
    // (as last read); a code that is neither would only be refused by Xero, so it fails here, naming the
    // mapping to add.
    const mapped = mappedTaxType(code, m);
    if (mapped) return { value: mapped, level: 'line', key: code };
    const known = m.xeroTaxTypes ?? [];
    if (known.length > 0 && !known.includes(code.toUpperCase())) {
      throw new MappingToFixError(
        `Tax code "${code}" has no Xero tax rate: it is not mapped, and Xero has no tax type of that name`,
        `Mapping to fix: tax code ${code} → (none) (Xero settings, Tax codes)`,
      );
    }
    return { value: code.toUpperCase(), level: 'line', key: code };
  }
  if (line.kind === 'voucher') {
    // Selling a voucher is not a supply (VAT is due when it is redeemed for one): outside the scope by default.
    const taxType = m.lineKindTaxTypes.voucher;
    return taxType ? { value: taxType, level: 'organisation', key: 'voucher' } : { value: VOUCHER_TAX_DEFAULT, level: 'built_in', key: 'voucher' };
  }
  if (line.kind === 'tip') {
    const taxType = m.lineKindTaxTypes.tip;
    return taxType ? { value: taxType, level: 'organisation', key: 'tip' } : { value: TIP_TAX_DEFAULT, level: 'built_in', key: 'tip' };
  }
  if (line.kind === 'service_charge' && m.lineKindTaxTypes.service_charge) {
    return { value: m.lineKindTaxTypes.service_charge, level: 'organisation', key: 'service_charge' };
  }
  if (line.category !== null) {
    const taxType = m.categoryTaxTypes[line.category];
    if (taxType) return { value: taxType, level: 'category', key: line.category };
  }
  return { value: m.defaultTaxType, level: organisationOrBuiltIn(m, 'defaultTaxType') };
}

export function resolveTracking(line: CodedLine, m: ResolvedMappings): Resolution<TrackingAssignment[]> {
  if (line.category !== null) {
    const tracking = m.categoryTracking[line.category];
    if (tracking && tracking.length > 0) return { value: tracking.slice(0, 2), level: 'category', key: line.category };
  }
  if (m.defaultTracking.length > 0) return { value: m.defaultTracking.slice(0, 2), level: 'organisation' };
  return { value: [], level: 'built_in' };
}

export function resolveMethodAccount(method: string, m: ResolvedMappings): Resolution<string> {
  const code = m.methodAccountCodes[method];
  if (!code) {
    throw new PermanentError(`No account mapped for payment method '${method}': set it in Xero settings`, { help: SETTINGS_HELP });
  }
  return { value: code, level: 'organisation', key: method };
}

/**
 * The account a payment goes into: the method's mapped account, else — for Stripe and GoCardless — the
 * provider's clearing account in that currency (so payouts reconcile), else a PermanentError.
 */
export function resolvePaymentAccount(method: string, currency: string, m: ResolvedMappings): { Code: string } | { AccountID: string } {
  const code = m.methodAccountCodes[method];
  if (code) return { Code: code };
  // A gift voucher pays from the liability its sale credited.
  if (method === GIFT_VOUCHER_METHOD) return { Code: requireVoucherAccount(m) };
  const clearing = m.clearingAccountIds?.[`${method}:${currency}`];
  if (clearing) return { AccountID: clearing };
  return { Code: resolveMethodAccount(method, m).value };
}

export function requireRoundingAccount(m: ResolvedMappings, currency: string): string {
  if (!m.roundingAccountCode) {
    throw new PermanentError(
      `No rounding account mapped: ${currency} amounts have more decimals than Xero keeps, so this document needs a rounding line; set the rounding account in Xero settings`,
      { help: SETTINGS_HELP },
    );
  }
  return m.roundingAccountCode;
}
