import cc from 'currency-codes';

// ISO 4217: which codes exist and how many decimal places each uses (JPY 0, GBP 2, BHD/KWD/OMR 3).
// Funds and precious metals (XAU, XDR…) have no minor unit and are not sale currencies.

// Codes that are not money a customer pays in: precious metals, SDRs, bond units, testing, "no currency".
const NOT_SALE_CURRENCIES = new Set(['XAU', 'XAG', 'XPD', 'XPT', 'XDR', 'XBA', 'XBB', 'XBC', 'XBD', 'XSU', 'XUA', 'XTS', 'XXX']);

export function isCurrencyCode(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code) || NOT_SALE_CURRENCIES.has(code)) return false;
  const c = cc.code(code);
  return c !== undefined && typeof c.digits === 'number';
}

/** Decimal places of the currency's minor unit. Throws for unknown codes (validate first). */
export function minorUnitDigits(code: string): number {
  const c = cc.code(code);
  if (!c || typeof c.digits !== 'number') throw new Error(`unknown currency ${code}`);
  return c.digits;
}
