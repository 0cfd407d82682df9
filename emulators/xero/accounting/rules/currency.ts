// A document's currency must be the organisation's base currency or one it has enabled. Foreign
// currency documents carry a CurrencyRate (foreign units per base unit); when none is sent Xero uses
// the day's XE rate — the emulator uses the organisation's seeded default rate instead.
import type { Book } from '../model';
import { FINE_SCALE, scaledToText, toScaled } from '../money';

export type CurrencyResult = { ok: true; CurrencyCode: string; CurrencyRate: string } | { ok: false; error: string };

export function resolveCurrency(book: Book, rawCode: unknown, rawRate: unknown): CurrencyResult {
  const base = book.organisation.BaseCurrency;
  const code = typeof rawCode === 'string' && rawCode.trim() ? rawCode.trim().toUpperCase() : base;
  const currency = book.currencies.find((c) => c.Code === code);
  if (!currency) return { ok: false, error: `Organisation is not subscribed to currency ${code}` };
  if (code === base) return { ok: true, CurrencyCode: code, CurrencyRate: '1' };
  if (rawRate !== undefined && rawRate !== null) {
    const rate = toScaled(rawRate, 6);
    if (rate === undefined || rate <= 0n) return { ok: false, error: 'The currency rate must be a positive number.' };
    return { ok: true, CurrencyCode: code, CurrencyRate: scaledToText(rate, 6) };
  }
  const fallback = toScaled(currency.defaultRate, FINE_SCALE) ?? 1n;
  return { ok: true, CurrencyCode: code, CurrencyRate: scaledToText(fallback) };
}
