// From charged lines (a sale's, or a refund's) to Xero line items whose Xero-computed total is what was
// charged. Shared by invoices and credit notes, so both follow one totals strategy:
//
//   0-dp and 2-dp currencies (JPY, GBP…): each line is expressed so that Xero's own rounding lands on the
//   charged amount (arithmetic.ts fitLine); the sum of the lines is then the charged total exactly.
//   3-dp currencies (BHD, KWD, OMR…): Xero keeps 2 dp, so each line goes at its nearest cent and one
//   rounding line (to the configured rounding account) brings the Xero total to the charged total rounded
//   to the cent. What is left (< half a cent) is reported in `rounding.residual` for the audit trail.
//
// Prices are what the customer paid, tax included: LineAmountTypes is Inclusive, and Xero takes the VAT
// out of each line (per line, rounded) without changing the total. NoTax only when every line is 'NONE':
// zero-rated and exempt lines keep Inclusive and their tax type, because the VAT return reports them
// (UK boxes 6 and 1) and NoTax would drop that.
import { PermanentError } from '../../../server/errors';
import { money, minorUnitDigits, type SaleLineKind } from '../../../server/plugins/contract';
import { requireRoundingAccount, resolveAccount, resolveTaxType, resolveTracking } from '../mappings/resolve';
import {
  centsText, exactNumber, fitLine, inclusiveTaxCents, minorToXeroCents, quantityText, xeroCentsToMinor, XERO_AMOUNT_DP,
  type FittedLine,
} from './arithmetic';
import type { ResolvedMappings, TrackingAssignment } from '../mappings/types';
import type { XeroLineAmountTypes, XeroLineItem, XeroTracking } from '../gateway/documents';
import type { ExpectedTotals, LineCoding, RoundingAudit } from './types';

const { formatMinor, formatScaled, parseDecimal, rescale } = money;

export interface ChargedLine {
  saleLineId: number | null;
  description: string;
  /** Ten-thousandths. */
  quantity4: bigint;
  unitPriceMinor: bigint;
  /** Hundredths of a percent. */
  discount2: bigint;
  /** What this line charged (or refunds), minor units. */
  chargedMinor: bigint;
  category: string | null;
  taxCode: string | null;
  /** A tip or service charge posts to its own account and tax rate (absent: an item). */
  kind?: SaleLineKind;
}

export interface BuiltLines {
  lineItems: XeroLineItem[];
  coding: LineCoding[];
  lineAmountTypes: XeroLineAmountTypes;
  unitdp: 2 | 4;
  expected: ExpectedTotals;
  rounding?: RoundingAudit;
  /** Xero's total in cents (what allocations and refund payments use). */
  xeroTotalCents: bigint;
}

const NO_TAX = 'NONE';

export function buildLines(lines: ChargedLine[], totalMinor: bigint, currency: string, m: ResolvedMappings, what: string): BuiltLines {
  const digits = minorUnitDigits(currency);
  const sum = lines.reduce((s, l) => s + l.chargedMinor, 0n);
  if (sum !== totalMinor) {
    throw new PermanentError(`${what}: its lines add up to ${formatMinor(sum, currency)} ${currency} but its total is ${formatMinor(totalMinor, currency)} ${currency}`);
  }
  if (lines.length === 0) throw new PermanentError(`${what} has no lines to send to Xero`);

  const coded = lines.map((line) => ({
    line,
    account: resolveAccount(line, m),
    taxType: resolveTaxType(line, m),
    tracking: resolveTracking(line, m),
    fitted: fitLine(
      { quantity4: line.quantity4, unitPriceMinor: line.unitPriceMinor, discount2: line.discount2, targetCents: minorToXeroCents(line.chargedMinor, digits) },
      digits,
    ),
  }));

  const everyLineUntaxed = coded.every((c) => c.taxType.value === NO_TAX);
  const lineAmountTypes: XeroLineAmountTypes = m.lineAmountHandling === 'auto' && everyLineUntaxed ? 'NoTax' : 'Inclusive';

  const lineItems: XeroLineItem[] = coded.map((c) => lineItem(c.line, c.fitted, c.account.value, c.taxType.value, c.tracking.value, currency));
  const coding: LineCoding[] = coded.map((c) => ({
    saleLineId: c.line.saleLineId,
    account: c.account,
    taxType: c.taxType,
    tracking: c.tracking,
    amountForm: c.fitted.form,
  }));

  const xeroTotalCents = minorToXeroCents(totalMinor, digits);
  const linesCents = coded.reduce((s, c) => s + c.fitted.lineCents, 0n);
  const roundingCents = xeroTotalCents - linesCents;
  const lineCentsForTax: { cents: bigint; taxType: string }[] = coded.map((c) => ({ cents: c.fitted.lineCents, taxType: c.taxType.value }));
  if (roundingCents !== 0n) {
    // Only reachable for currencies finer than Xero's 2 dp: for the others every line is exact.
    const accountCode = requireRoundingAccount(m, currency);
    const taxType = lineAmountTypes === 'NoTax' ? NO_TAX : m.roundingTaxType;
    lineItems.push({
      Description: `Rounding: Xero keeps ${currency} amounts to ${XERO_AMOUNT_DP} decimal places`,
      Quantity: 1,
      UnitAmount: exactNumber(roundingCents, XERO_AMOUNT_DP),
      LineAmount: exactNumber(roundingCents, XERO_AMOUNT_DP),
      AccountCode: accountCode,
      TaxType: taxType,
    });
    coding.push({
      saleLineId: null,
      account: { value: accountCode, level: 'organisation', key: 'rounding' },
      taxType: { value: taxType, level: 'organisation', key: 'rounding' },
      tracking: { value: [], level: 'built_in' },
      amountForm: 'rounding',
    });
    lineCentsForTax.push({ cents: roundingCents, taxType });
  }

  const rounding: RoundingAudit | undefined = digits > XERO_AMOUNT_DP
    ? {
        charged: formatMinor(totalMinor, currency),
        xeroTotal: centsText(xeroTotalCents),
        residual: formatScaled(totalMinor - xeroCentsToMinor(xeroTotalCents, digits), digits),
        roundingLine: roundingCents !== 0n ? centsText(roundingCents) : null,
      }
    : undefined;

  const totalTax = lineAmountTypes === 'NoTax' ? 0n : predictInclusiveTax(lineCentsForTax, m);
  // unit4 is at 4 dp: a non-zero last two digits needs unitdp=4, else Xero would round it to 2 dp.
  const unitdp: 2 | 4 = coded.some((c) => c.fitted.unit4 % 100n !== 0n) ? 4 : 2;
  return {
    lineItems,
    coding,
    lineAmountTypes,
    unitdp,
    expected: { total: centsText(xeroTotalCents), ...(totalTax !== null ? { totalTax: centsText(totalTax) } : {}) },
    ...(rounding ? { rounding } : {}),
    xeroTotalCents,
  };
}

function lineItem(line: ChargedLine, fitted: FittedLine, accountCode: string, taxType: string, tracking: TrackingAssignment[], currency: string): XeroLineItem {
  const description = fitted.form === 'collapsed' ? `${line.description} (${soldAs(line, currency)})` : line.description;
  return {
    Description: description,
    Quantity: exactNumber(fitted.quantity4, 4),
    UnitAmount: exactNumber(fitted.unit4, 4),
    ...(fitted.discount2 > 0n ? { DiscountRate: exactNumber(fitted.discount2, 2) } : {}),
    LineAmount: exactNumber(fitted.lineCents, XERO_AMOUNT_DP),
    AccountCode: accountCode,
    TaxType: taxType,
    ...(tracking.length > 0 ? { Tracking: tracking.map(xeroTracking) } : {}),
  };
}

/** "0.3333 × 100 JPY less 12.5 %": the sale's own terms, kept when the line had to be sent as 1 × amount. */
function soldAs(line: ChargedLine, currency: string): string {
  const discount = line.discount2 > 0n ? ` less ${formatScaled(line.discount2, 2).replace(/\.?0+$/, '')} %` : '';
  return `${quantityText(line.quantity4)} × ${formatMinor(line.unitPriceMinor, currency)} ${currency}${discount}`;
}

function xeroTracking(t: TrackingAssignment): XeroTracking {
  return {
    Name: t.name,
    Option: t.option,
    ...(t.trackingCategoryId ? { TrackingCategoryID: t.trackingCategoryId } : {}),
    ...(t.trackingOptionId ? { TrackingOptionID: t.trackingOptionId } : {}),
  };
}

/** Xero's TotalTax for inclusive lines (per line, rounded), or null when a rate is unknown. */
function predictInclusiveTax(lines: { cents: bigint; taxType: string }[], m: ResolvedMappings): bigint | null {
  let total = 0n;
  for (const { cents, taxType } of lines) {
    const rate4 = rate4Of(taxType, m);
    if (rate4 === null) return null;
    total += inclusiveTaxCents(cents, rate4);
  }
  return total;
}

function rate4Of(taxType: string, m: ResolvedMappings): bigint | null {
  if (taxType === NO_TAX) return 0n;
  const text = m.taxRates[taxType];
  if (text === undefined) return null;
  const parsed = parseDecimal(text);
  if (!parsed.ok) return null;
  return rescale(parsed.value, 4);
}
