// Xero's line arithmetic, and how to express a charged line so that Xero computes exactly that amount.
//
// Xero keeps every amount at 2 dp ("cents", whatever the currency's own minor unit), computes
// LineAmount = Quantity × UnitAmount × (1 − DiscountRate/100) rounded half away from zero, refuses a sent
// LineAmount that disagrees, and keeps UnitAmount at 2 dp unless the call says unitdp=4. The host keeps
// the charged amount of each line in its currency's minor unit. Pure BigInt arithmetic: no float ever
// holds a price.
import { money } from '../../../server/plugins/contract';

const { formatScaled, QUANTITY_SCALE } = money;

/** Xero's amount precision, for every currency. */
export const XERO_AMOUNT_DP = 2;
/** Precision of quantities and (with unitdp=4) unit amounts. */
export const FINE_DP = 4;
const FINE_ONE = 10n ** BigInt(FINE_DP);
/** Discount rates are hundredths of a percent (the host's DISCOUNT_SCALE). */
const PERCENT_WHOLE = 10_000n;

/** a / b rounded half away from zero (Xero's rounding). */
export function divRoundHalfAway(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const q = (n * 2n + d) / (d * 2n);
  return negative ? -q : q;
}

/**
 * A charged amount in the currency's minor unit → Xero cents. Exact for 0–2 dp currencies; 3-dp
 * currencies (BHD, KWD, OMR…) round half away from zero and leave a residual below half a cent.
 */
export function minorToXeroCents(minor: bigint, minorDigits: number): bigint {
  if (minorDigits <= XERO_AMOUNT_DP) return minor * 10n ** BigInt(XERO_AMOUNT_DP - minorDigits);
  return divRoundHalfAway(minor, 10n ** BigInt(minorDigits - XERO_AMOUNT_DP));
}

/** Xero cents → the currency's minor unit (exact when the currency has ≥ 2 dp, as for the residual). */
export function xeroCentsToMinor(cents: bigint, minorDigits: number): bigint {
  if (minorDigits >= XERO_AMOUNT_DP) return cents * 10n ** BigInt(minorDigits - XERO_AMOUNT_DP);
  return divRoundHalfAway(cents, 10n ** BigInt(XERO_AMOUNT_DP - minorDigits));
}

/** A unit price in minor units at Xero's 4-dp unit scale (null for currencies finer than 4 dp). */
export function minorToUnit4(minor: bigint, minorDigits: number): bigint | null {
  return minorDigits <= FINE_DP ? minor * 10n ** BigInt(FINE_DP - minorDigits) : null;
}

/**
 * What Xero computes for a line, in cents: quantity (4 dp) × unit amount (4 dp) × (100 % − discount)
 * with the discount in hundredths of a percent. Scale 4 + 4 + 4 = 12 → cents (2): divide by 10^10.
 */
export function xeroLineCents(quantity4: bigint, unit4: bigint, discount2 = 0n): bigint {
  return divRoundHalfAway(quantity4 * unit4 * (PERCENT_WHOLE - discount2), 10n ** 10n);
}

/** Tax inside an inclusive line, per line, as Xero rounds it: amount × r / (100 + r), r a percent at 4 dp. */
export function inclusiveTaxCents(lineCents: bigint, rate4: bigint): bigint {
  if (rate4 === 0n) return 0n;
  return divRoundHalfAway(lineCents * rate4, 100n * FINE_ONE + rate4);
}

export interface LineToFit {
  /** Ten-thousandths (host QUANTITY_SCALE 4). */
  quantity4: bigint;
  /** Unit price in the currency's minor unit. */
  unitPriceMinor: bigint;
  /** Hundredths of a percent. */
  discount2: bigint;
  /** What Xero's LineAmount must be, in cents. */
  targetCents: bigint;
}

export interface FittedLine {
  quantity4: bigint;
  unit4: bigint;
  discount2: bigint;
  lineCents: bigint;
  form: 'exact' | 'unit_4dp' | 'collapsed';
}

/**
 * Express a line so that Xero's own arithmetic yields `targetCents`, keeping as much of the sale's
 * shape as possible:
 *  1. exact:     the quantity, unit price and discount as sold (always works for 2-dp currencies, whose
 *                host arithmetic is Xero's: the same product, rounded half up once);
 *  2. unit_4dp:  the same quantity and discount with a 4-dp unit amount whose product rounds to the
 *                target (JPY with fractional quantities, 3-dp currencies). Searched around
 *                target / (quantity × (1 − discount)); it exists whenever one unit step moves the line by at
 *                most a cent, i.e. quantity × (1 − discount) ≤ 100;
 *  3. collapsed: quantity 1 × the target (always exact; the caller keeps "q × price" in the description).
 */
export function fitLine(line: LineToFit, minorDigits: number): FittedLine {
  const { quantity4, discount2, targetCents } = line;
  const exactUnit4 = minorToUnit4(line.unitPriceMinor, minorDigits);
  if (exactUnit4 !== null && xeroLineCents(quantity4, exactUnit4, discount2) === targetCents) {
    return { quantity4, unit4: exactUnit4, discount2, lineCents: targetCents, form: 'exact' };
  }
  // Cents per unit-amount step of 0.0001, scaled by 10^10: f = quantity × (100 % − discount).
  const f = quantity4 * (PERCENT_WHOLE - discount2);
  if (f > 0n && targetCents >= 0n) {
    const centre = divRoundHalfAway(targetCents * 10n ** 10n, f);
    // Prefer a candidate that also fits 2 dp (no unitdp=4 needed), then the nearest to the centre.
    const candidates: bigint[] = [];
    const twoDpCentre = divRoundHalfAway(centre, 100n) * 100n;
    for (const c of [twoDpCentre, twoDpCentre - 100n, twoDpCentre + 100n, centre, centre - 1n, centre + 1n, centre - 2n, centre + 2n]) {
      if (c >= 0n && !candidates.includes(c)) candidates.push(c);
    }
    for (const unit4 of candidates) {
      if (xeroLineCents(quantity4, unit4, discount2) === targetCents) {
        return { quantity4, unit4, discount2, lineCents: targetCents, form: 'unit_4dp' };
      }
    }
  }
  return { quantity4: FINE_ONE, unit4: targetCents * 100n, discount2: 0n, lineCents: targetCents, form: 'collapsed' };
}

/** The host's exact split (a refund by amount spread over the sale's lines): the same shares the host uses for its vouchers. */
export const allocateProportionally = money.allocateProportionally;

/**
 * A JSON number that writes back exactly as the decimal units/10^scale (trailing zeros aside). Throws
 * when the decimal has more than 15 significant digits, where a double could no longer hold it.
 */
export function exactNumber(units: bigint, scale: number): number {
  const text = formatScaled(units, scale);
  const value = Number(text);
  const canonical = scale > 0 ? text.replace(/\.?0+$/, '') : text;
  if (String(value) !== (canonical === '-0' ? '0' : canonical)) {
    throw new RangeError(`${text} cannot be sent to Xero as an exact number`);
  }
  return value;
}

export const centsText = (cents: bigint): string => formatScaled(cents, XERO_AMOUNT_DP);
export const quantityText = (quantity4: bigint): string => formatScaled(quantity4, QUANTITY_SCALE).replace(/\.?0+$/, '');
