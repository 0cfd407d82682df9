// Exact decimal arithmetic for the books. Xero keeps money at 2 decimal places (even for 0- or
// 3-decimal currencies such as JPY or KWD, the API rounds amounts to 2 dp), so amounts live here as
// integer cents. Quantities, unit amounts and rates carry 4 decimal places and are held as bigint
// "scaled" integers so that no binary floating point ever takes part in a sum.

/** Integer minor units (1/100 of the currency unit). */
export type Cents = number;

/** Scale of quantities, unit amounts, discount and tax rates (4 dp: Xero's unitdp=4 maximum). */
export const FINE_SCALE = 4;
export const FINE_ONE = 10n ** BigInt(FINE_SCALE);
/** 100 % at FINE_SCALE. */
export const HUNDRED_PERCENT = 100n * FINE_ONE;

const DECIMAL_RE = /^([+-])?(\d*)(?:\.(\d*))?$/;

/** Plain decimal text of a JSON number or numeric string, or undefined when it is not a finite number. */
export function decimalText(value: unknown): string | undefined {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return undefined;
    const text = String(value);
    // String() uses exponent notation below 1e-6 and above 1e21; toFixed spells those out.
    return /e/i.test(text) ? value.toFixed(20).replace(/\.?0+$/, '') : text;
  }
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '' || !DECIMAL_RE.test(trimmed) || trimmed === '.' || /^[+-]?\.?$/.test(trimmed)) return undefined;
    return trimmed;
  }
  return undefined;
}

/**
 * The decimal as an integer scaled by 10^scale, rounded half away from zero (the rounding
 * Xero applies to line amounts and tax). Undefined when the value is not a number.
 */
export function toScaled(value: unknown, scale: number): bigint | undefined {
  const text = decimalText(value);
  if (text === undefined) return undefined;
  const match = DECIMAL_RE.exec(text);
  if (!match) return undefined;
  const negative = match[1] === '-';
  const whole = match[2] || '0';
  const fraction = match[3] ?? '';
  const kept = fraction.slice(0, scale).padEnd(scale, '0');
  let units = BigInt(whole + kept);
  const firstDropped = fraction.charCodeAt(scale) - 48;
  if (fraction.length > scale && firstDropped >= 5) units += 1n;
  return negative ? -units : units;
}

/** numerator / denominator rounded half away from zero. */
export function divRound(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  const quotient = (n * 2n + d) / (d * 2n);
  return negative ? -quotient : quotient;
}

/** Change the scale of a scaled integer, rounding half away from zero when digits are dropped. */
export function rescale(units: bigint, from: number, to: number): bigint {
  if (to >= from) return units * 10n ** BigInt(to - from);
  return divRound(units, 10n ** BigInt(from - to));
}

/** Cents from a JSON amount (rounded to 2 dp), or undefined when it is not a number. */
export function toCents(value: unknown): Cents | undefined {
  const scaled = toScaled(value, 2);
  return scaled === undefined ? undefined : Number(scaled);
}

/** The JSON number Xero shows for an amount in cents (12.3 for 1230). */
export function centsToNumber(cents: Cents | bigint): number {
  return Number(cents) / 100;
}

/** The JSON number for a scaled integer (quantities, unit amounts, rates). */
export function scaledToNumber(units: bigint, scale: number = FINE_SCALE): number {
  return Number(scaledToText(units, scale));
}

/** Exact decimal text of a scaled integer, trailing zeros kept to `minDp` places. */
export function scaledToText(units: bigint, scale: number = FINE_SCALE, minDp = 0): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  let fraction = scale > 0 ? digits.slice(digits.length - scale) : '';
  while (fraction.length > minDp && fraction.endsWith('0')) fraction = fraction.slice(0, -1);
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/** "1,234.50"-style text used in History details. */
export function formatCents(cents: Cents): string {
  const text = scaledToText(BigInt(cents), 2, 2);
  const [whole = '0', fraction = '00'] = text.split('.');
  return `${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction}`;
}
