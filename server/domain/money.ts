// Exact money arithmetic. Amounts live as integer minor units (pennies, yen, fils) in a JS number,
// always checked to be a safe integer; the API speaks decimal strings ("12.50", JPY "1200", BHD "1.250").
// Anything that multiplies or divides (line totals, proportional refunds) runs in BigInt, so no float
// ever touches a price. Parsers return a result instead of throwing so callers can collect every problem.
import { minorUnitDigits } from './currency';

/** Larger than any real single amount: 1e12 minor units (10 billion GBP, 1 trillion JPY). Beyond it is a typo or an attack. */
export const MAX_AMOUNT_MINOR = 1_000_000_000_000;
export const QUANTITY_SCALE = 4;
export const MAX_QUANTITY = 1_000_000;
export const DISCOUNT_SCALE = 2;

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message: string): Parsed<T> => ({ ok: false, message });

/** value = units / 10^scale, exactly. */
export interface Decimal {
  units: bigint;
  scale: number;
}

// A written decimal: no exponent, no spaces, no leading "+", no bare "." (what people type into a price field).
const DECIMAL_TEXT = /^(-?)(\d+)(?:\.(\d+))?$/;
// What String(number) can produce, exponent included (1e+21, 5e-7).
const NUMBER_TEXT = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]\d+))?$/;
// Far beyond anything valid, but keeps BigInt parsing of hostile input cheap.
const MAX_DIGITS = 40;

const NOT_A_DECIMAL = 'must be a decimal number such as "12.50"';

/**
 * Parse a decimal string, or a JSON number through its shortest round-trip form (what JSON.stringify
 * would write), so 12.5 means exactly 12.5 and 0.1 exactly 0.1.
 */
export function parseDecimal(input: unknown): Parsed<Decimal> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return fail(NOT_A_DECIMAL);
    return fromText(Object.is(input, -0) ? '0' : String(input), NUMBER_TEXT);
  }
  if (typeof input === 'string') return fromText(input, DECIMAL_TEXT);
  return fail(NOT_A_DECIMAL);
}

function fromText(text: string, pattern: RegExp): Parsed<Decimal> {
  const m = pattern.exec(text);
  if (!m) return fail(NOT_A_DECIMAL);
  const [, sign, whole = '', fraction = '', exponentText] = m;
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  if (whole.length + fraction.length > MAX_DIGITS || Math.abs(exponent) > MAX_DIGITS) return fail('is far too large or too precise');
  let units = BigInt(whole + fraction);
  let scale = fraction.length - exponent;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return ok({ units: sign === '-' ? -units : units, scale });
}

/** Re-express at `scale` decimals; null when that would drop a non-zero digit ("1.50" fits 1 dp, "1.55" does not). */
export function rescale(d: Decimal, scale: number): bigint | null {
  if (d.scale <= scale) return d.units * 10n ** BigInt(scale - d.scale);
  const factor = 10n ** BigInt(d.scale - scale);
  return d.units % factor === 0n ? d.units / factor : null;
}

/** Write units/10^scale as a decimal with exactly `scale` places: (1250n, 2) → "12.50". */
export function formatScaled(units: bigint, scale: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Like formatScaled but without trailing zeros: quantities and rates read "1.5", "3", "0.0001". */
export function formatTrimmed(units: bigint, scale: number): string {
  const text = formatScaled(units, scale);
  return scale > 0 ? text.replace(/\.?0+$/, '') : text;
}

/** Format minor units for the API: formatMinor(1250, 'GBP') → "12.50", (1200, 'JPY') → "1200", (1250, 'BHD') → "1.250". */
export function formatMinor(minor: number | bigint, currency: string): string {
  return formatScaled(BigInt(minor), minorUnitDigits(currency));
}

function decimalPlacesRule(currency: string, digits: number): string {
  return digits === 0 ? `${currency} amounts have no decimal places` : `${currency} amounts have at most ${digits} decimal places`;
}

export interface AmountRules {
  /** Zero is fine for a unit price (a free line), not for a payment or refund. */
  allowZero: boolean;
}

/** Parse an amount of `currency` into minor units with the reason when it is not acceptable. */
export function parseAmount(input: unknown, currency: string, rules: AmountRules): Parsed<number> {
  const parsed = parseDecimal(input);
  if (!parsed.ok) return parsed;
  const digits = minorUnitDigits(currency);
  const minor = rescale(parsed.value, digits);
  if (minor === null) return fail(decimalPlacesRule(currency, digits));
  if (minor < 0n) return fail(rules.allowZero ? 'must not be negative' : 'must be greater than zero');
  if (minor === 0n && !rules.allowZero) return fail('must be greater than zero');
  if (minor > BigInt(MAX_AMOUNT_MINOR)) return fail(`must be at most ${formatMinor(MAX_AMOUNT_MINOR, currency)} ${currency}`);
  return ok(Number(minor));
}

/**
 * The checks an amount can get before its currency is known (the currency field itself may be
 * invalid): a number, sign, not absurd at any currency's precision. Lets validation still report them.
 */
export function checkAmountShape(input: unknown, rules: AmountRules): Parsed<Decimal> {
  const parsed = parseDecimal(input);
  if (!parsed.ok) return parsed;
  const { units } = parsed.value;
  if (units < 0n) return fail(rules.allowZero ? 'must not be negative' : 'must be greater than zero');
  if (units === 0n && !rules.allowZero) return fail('must be greater than zero');
  return parsed;
}

/** A quantity: exact, > 0, at most 4 decimal places (Xero's limit) and at most 1,000,000. */
export interface Quantity {
  /** Ten-thousandths: "1.5" → 15000n. */
  units: bigint;
  /** Canonical text as stored and shown: "1.5". */
  text: string;
}

export function parseQuantity(input: unknown): Parsed<Quantity> {
  const parsed = parseDecimal(input);
  if (!parsed.ok) return fail('must be a number such as 1 or "2.5"');
  const units = rescale(parsed.value, QUANTITY_SCALE);
  if (units === null) return fail(`must have at most ${QUANTITY_SCALE} decimal places`);
  if (units <= 0n) return fail('must be greater than zero');
  if (units > BigInt(MAX_QUANTITY) * 10n ** BigInt(QUANTITY_SCALE)) return fail(`must be at most ${MAX_QUANTITY}`);
  return ok({ units, text: formatTrimmed(units, QUANTITY_SCALE) });
}

/** Read a stored quantity back (it was canonicalised on the way in, so this cannot fail for our own rows). */
export function quantityUnits(text: string): bigint {
  const parsed = parseQuantity(text);
  if (!parsed.ok) throw new Error(`stored quantity "${text}" is not valid: ${parsed.message}`);
  return parsed.value.units;
}

/** A discount as a percentage: at most 2 decimal places, from 0 up to (not including) 100. */
export interface DiscountRate {
  /** Hundredths of a percent: "12.5" → 1250n. */
  units: bigint;
  text: string;
}

export function parseDiscountRate(input: unknown): Parsed<DiscountRate> {
  const parsed = parseDecimal(input);
  if (!parsed.ok) return fail('must be a percentage such as 10 or "12.5"');
  const units = rescale(parsed.value, DISCOUNT_SCALE);
  if (units === null) return fail(`must have at most ${DISCOUNT_SCALE} decimal places`);
  if (units < 0n) return fail('must not be negative');
  if (units >= 100n * 10n ** BigInt(DISCOUNT_SCALE)) return fail('must be less than 100 (a free line has unit price 0)');
  return ok({ units, text: formatTrimmed(units, DISCOUNT_SCALE) });
}

export function discountUnits(text: string | null): bigint {
  if (text === null) return 0n;
  const parsed = parseDiscountRate(text);
  if (!parsed.ok) throw new Error(`stored discount rate "${text}" is not valid: ${parsed.message}`);
  return parsed.value.units;
}

/** Round a non-negative fraction to the nearest integer, halves up. */
export function divideRoundHalfUp(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError('divideRoundHalfUp expects a non-negative fraction');
  return (numerator * 2n + denominator) / (denominator * 2n);
}

const QUANTITY_ONE = 10n ** BigInt(QUANTITY_SCALE);
const PERCENT_WHOLE = 100n * 10n ** BigInt(DISCOUNT_SCALE);

/**
 * What a line charges, in minor units: quantity × unit price × (100 − discount) / 100, rounded half up
 * once, at the end. BigInt, because 1,000,000 × 1e12 does not fit a double exactly.
 */
export function lineTotalMinor(quantityUnitsValue: bigint, unitPriceMinor: number, discountUnitsValue: bigint): bigint {
  assertSafeMinor(unitPriceMinor);
  return divideRoundHalfUp(
    quantityUnitsValue * BigInt(unitPriceMinor) * (PERCENT_WHOLE - discountUnitsValue),
    QUANTITY_ONE * PERCENT_WHOLE,
  );
}

/** The share of a line's total that `refundQuantity` of its `lineQuantity` represents, rounded half up. */
export function proportionalMinor(lineTotal: number, refundQuantityUnits: bigint, lineQuantityUnits: bigint): number {
  assertSafeMinor(lineTotal);
  return Number(divideRoundHalfUp(BigInt(lineTotal) * refundQuantityUnits, lineQuantityUnits));
}

export function assertSafeMinor(value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not a safe integer amount of minor units`);
}

/**
 * Split `amount` across `weights` in proportion, exactly (a refund by amount over a sale's lines, as its credit note in Xero spreads it): each share is floored, then the remaining
 * units go to the largest remainders (ties to the earlier entry). Σ shares = amount.
 */
export function allocateProportionally(amount: bigint, weights: bigint[]): bigint[] {
  const total = weights.reduce((s, w) => s + w, 0n);
  if (total <= 0n) {
    // Nothing to weigh by (a sale of free lines): all of it on the first entry.
    return weights.map((_, i) => (i === 0 ? amount : 0n));
  }
  const shares = weights.map((w) => (amount * w) / total);
  let left = amount - shares.reduce((s, v) => s + v, 0n);
  const order = weights
    .map((w, i) => ({ i, rem: (amount * w) % total }))
    .sort((a, b) => (a.rem === b.rem ? a.i - b.i : a.rem > b.rem ? -1 : 1));
  for (const { i } of order) {
    if (left <= 0n) break;
    shares[i] = (shares[i] ?? 0n) + 1n;
    left -= 1n;
  }
  return shares;
}
