// The booking system's money: whole minor units (pence) in, decimal text out, in any currency's own digits.
import { ValidationError } from 'ledgerbridge/embed';

/** Decimal places of a currency's minor unit (GBP 2, JPY 0, KWD 3), as Intl knows them. */
export function currencyDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** "12.5" → 1250 (GBP). Throws a ValidationError on `field` for anything else than a plain positive amount. */
export function parseAmount(text: unknown, currency: string, field: string, opts: { allowZero?: boolean } = {}): number {
  const digits = currencyDigits(currency);
  const value = typeof text === 'string' ? text.trim() : '';
  const match = /^(\d{1,9})(?:\.(\d+))?$/.exec(value);
  if (!match || (match[2] ?? '').length > digits) {
    throw new ValidationError([{ path: field, message: `Give an amount such as ${formatAmount(12 * 10 ** digits, currency)}` }]);
  }
  const minor = Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || 0);
  if (minor === 0 && !opts.allowZero) throw new ValidationError([{ path: field, message: 'Give an amount greater than zero' }]);
  return minor;
}

/** 1250 → "12.50" (GBP). */
export function formatAmount(minor: number | bigint, currency: string): string {
  const digits = currencyDigits(currency);
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  if (digits === 0) return `${sign}${abs}`;
  const scale = 10n ** BigInt(digits);
  return `${sign}${abs / scale}.${(abs % scale).toString().padStart(digits, '0')}`;
}
