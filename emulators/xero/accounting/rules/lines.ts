// Line items: parse amounts exactly, resolve account, tax rate and tracking, and compute each line's
// amount and tax (totals.ts). Returns the lines or every problem found, in Xero's words where known.
import { newId } from '../ids';
import type { Book, LineRecord, LineTrackingRecord } from '../model';
import { FINE_SCALE, HUNDRED_PERCENT, rescale, scaledToText, toCents, toScaled } from '../money';
import { computeLine, computeTotals, type DocumentTotals, type LineAmountTypes } from '../totals';
import {
  findAccountByCode, invalidAccountCodeMessage, invalidTaxTypeMessage, lineAccountUsable, taxRateFitsAccount, taxRateUsableOnSide,
  type LedgerSide,
} from './accounts';

export const LINE_AMOUNT_TYPES: readonly LineAmountTypes[] = ['Exclusive', 'Inclusive', 'NoTax'];

export interface LineContext {
  side: LedgerSide;
  lineAmountTypes: LineAmountTypes;
  /** 4 when the request said unitdp=4; unit amounts are otherwise rounded to 2 dp. */
  unitdp: 2 | 4;
  /** Drafts may carry lines without an account; anything posted needs one. */
  requireAccount: boolean;
}

export interface LinesResult {
  lines: LineRecord[];
  totals: DocumentTotals;
  errors: string[];
}

const MAX_TRACKING_PER_LINE = 2;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function resolveTracking(book: Book, raw: unknown, errors: string[]): LineTrackingRecord[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) {
    errors.push('Tracking must be a list of tracking categories.');
    return [];
  }
  if (raw.length > MAX_TRACKING_PER_LINE) errors.push('A line item can have at most 2 tracking categories.');
  const resolved: LineTrackingRecord[] = [];
  for (const entry of raw) {
    const item = (entry ?? {}) as Record<string, unknown>;
    const categories = [...book.trackingCategories.values()];
    const category = text(item.TrackingCategoryID)
      ? categories.find((c) => c.TrackingCategoryID === String(item.TrackingCategoryID).toLowerCase())
      : categories.find((c) => c.Name.toLowerCase() === String(item.Name ?? '').trim().toLowerCase());
    if (!category || category.Status !== 'ACTIVE') {
      errors.push(`The tracking category '${String(item.Name ?? item.TrackingCategoryID ?? '')}' does not exist or is not active.`);
      continue;
    }
    const option = text(item.TrackingOptionID)
      ? category.Options.find((o) => o.TrackingOptionID === String(item.TrackingOptionID).toLowerCase())
      : category.Options.find((o) => o.Name.toLowerCase() === String(item.Option ?? '').trim().toLowerCase());
    if (!option || option.Status !== 'ACTIVE') {
      errors.push(`The tracking option '${String(item.Option ?? item.TrackingOptionID ?? '')}' does not exist in tracking category '${category.Name}'.`);
      continue;
    }
    if (resolved.some((t) => t.TrackingCategoryID === category.TrackingCategoryID)) {
      errors.push(`Tracking category '${category.Name}' is used more than once on a line item.`);
      continue;
    }
    resolved.push({ TrackingCategoryID: category.TrackingCategoryID, TrackingOptionID: option.TrackingOptionID, Name: category.Name, Option: option.Name });
  }
  return resolved;
}

function parseNumber(raw: unknown, name: string, scale: number, errors: string[]): bigint | undefined {
  if (raw === undefined || raw === null) return undefined;
  const scaled = toScaled(raw, scale);
  if (scaled === undefined) errors.push(`${name} must be a number.`);
  return scaled;
}

export function buildLines(book: Book, rawLines: unknown, context: LineContext, previous: LineRecord[] = []): LinesResult {
  const errors: string[] = [];
  const lines: LineRecord[] = [];
  const list = rawLines === undefined || rawLines === null ? [] : rawLines;
  if (!Array.isArray(list)) return { lines: [], totals: computeTotals([], context.lineAmountTypes), errors: ['LineItems must be a list.'] };
  for (const entry of list) {
    if (!entry || typeof entry !== 'object') {
      errors.push('Each line item must be an object.');
      continue;
    }
    const raw = entry as Record<string, unknown>;
    const lineErrors: string[] = [];
    const quantity = parseNumber(raw.Quantity, 'Quantity', FINE_SCALE, lineErrors);
    // Without unitdp=4 Xero keeps unit amounts to 2 dp, rounding what it is sent.
    const unitAmount2or4 = parseNumber(raw.UnitAmount, 'UnitAmount', context.unitdp, lineErrors);
    const unitAmount = unitAmount2or4 === undefined ? undefined : rescale(unitAmount2or4, context.unitdp, FINE_SCALE);
    const discountRate = parseNumber(raw.DiscountRate, 'DiscountRate', FINE_SCALE, lineErrors);
    if (discountRate !== undefined && (discountRate < 0n || discountRate > HUNDRED_PERCENT)) lineErrors.push('Discount rate must be between 0 and 100.');
    const lineAmount = raw.LineAmount === undefined || raw.LineAmount === null ? undefined : toCents(raw.LineAmount);
    if (raw.LineAmount !== undefined && raw.LineAmount !== null && lineAmount === undefined) lineErrors.push('LineAmount must be a number.');

    const accountCode = text(raw.AccountCode);
    const accountId = text(raw.AccountID);
    const account = accountCode
      ? findAccountByCode(book, accountCode)
      : accountId ? book.accounts.get(accountId.toLowerCase()) : undefined;
    if ((accountCode || accountId) && (!account || !lineAccountUsable(account))) {
      lineErrors.push(invalidAccountCodeMessage(accountCode ?? accountId ?? ''));
    }
    const hasAmount = (lineAmount ?? 0) !== 0 || (unitAmount ?? 0n) !== 0n;
    if (!accountCode && !accountId && context.requireAccount && hasAmount) lineErrors.push('Account code must be specified for each line item.');

    let taxType = text(raw.TaxType) ?? account?.TaxType ?? 'NONE';
    if (context.lineAmountTypes === 'NoTax') taxType = text(raw.TaxType) ?? 'NONE';
    const rate = book.taxRates.get(taxType.toUpperCase());
    let taxRate = 0n;
    if (!rate || !taxRateUsableOnSide(rate, context.side)) {
      lineErrors.push(invalidTaxTypeMessage(taxType));
    } else {
      taxType = rate.TaxType;
      taxRate = toScaled(rate.rate, FINE_SCALE) ?? 0n;
      if (account && lineAccountUsable(account) && !taxRateFitsAccount(rate, account)) {
        lineErrors.push(`The TaxType code '${taxType}' cannot be used with account code '${account.Code ?? ''}'.`);
      }
    }
    const tracking = resolveTracking(book, raw.Tracking, lineErrors);

    if (lineErrors.length > 0) {
      errors.push(...lineErrors);
      continue;
    }
    const arithmetic = computeLine({ quantity, unitAmount, discountRate, lineAmount, taxRate }, context.lineAmountTypes);
    if (lineAmount !== undefined && arithmetic.computedLineAmount !== undefined && arithmetic.computedLineAmount !== lineAmount && unitAmount !== undefined) {
      errors.push(`The line total ${scaledToText(BigInt(lineAmount), 2, 2)} does not match the expected line total ${scaledToText(BigInt(arithmetic.computedLineAmount), 2, 2)}.`);
      continue;
    }
    const sentId = text(raw.LineItemID)?.toLowerCase();
    lines.push({
      LineItemID: sentId && previous.some((p) => p.LineItemID === sentId) ? sentId : newId(),
      ...(text(raw.Description) ? { Description: String(raw.Description) } : {}),
      Quantity: scaledToText(arithmetic.quantity),
      UnitAmount: scaledToText(arithmetic.unitAmount),
      ...(arithmetic.discountRate !== undefined ? { DiscountRate: scaledToText(arithmetic.discountRate) } : {}),
      ...(text(raw.ItemCode) ? { ItemCode: String(raw.ItemCode) } : {}),
      ...(account ? { AccountCode: account.Code, AccountID: account.AccountID } : {}),
      TaxType: taxType,
      LineAmount: arithmetic.lineAmount,
      TaxAmount: context.lineAmountTypes === 'NoTax' ? 0 : arithmetic.taxAmount,
      DiscountAmount: arithmetic.discountAmount,
      Tracking: tracking,
    });
  }
  return { lines, totals: computeTotals(lines.map((l) => ({ lineAmount: l.LineAmount, taxAmount: l.TaxAmount, discountAmount: l.DiscountAmount })), context.lineAmountTypes), errors };
}

/** Recompute totals of stored lines (used when only the header changes). */
export function totalsOf(lines: LineRecord[], types: LineAmountTypes): DocumentTotals {
  return computeTotals(lines.map((l) => ({ lineAmount: l.LineAmount, taxAmount: l.TaxAmount, discountAmount: l.DiscountAmount })), types);
}
