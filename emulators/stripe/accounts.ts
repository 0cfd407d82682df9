// Accounts (one per secret key) and what differs between them: country, settlement currency, Stripe's
// fee schedule, how long funds stay pending, payout timing, the dispute fee. Defaults follow Stripe's
// published standard pricing: UK 1.5 % + 20p (domestic cards) and 3.25 % + 20p (international), US
// 2.9 % + 30¢ and +1.5 % for international cards; dispute fee £20 / $15.
import { randomBytes } from 'node:crypto';
import { stripeId } from './ids';

export interface FeeRule {
  /** Basis points of the amount (150 = 1.5 %). */
  percentBps: number;
  /** Fixed part in the settlement currency's minor units. */
  fixed: number;
}

export interface AccountSettings {
  country: string;
  /** Settlement (default) currency, lower case like Stripe. */
  currency: string;
  domesticFee: FeeRule;
  internationalFee: FeeRule;
  /** Tax charged on Stripe's fees (e.g. VAT where Stripe charges it), in basis points of the fee; 0 = none. */
  feeTaxBps: number;
  /** Days until a charge's funds become available (available_on = start of the UTC day + N days). */
  availabilityDays: number;
  /** Days from a payout's creation to its arrival_date (when it is marked paid). */
  payoutArrivalDays: number;
  /** Automatic payouts sweep the available balance once a day (on the emulator clock). */
  automaticPayouts: boolean;
  disputeFee: number;
  disputeFeeRefundedOnWin: boolean;
  /** Rate from a presentment currency to the settlement currency (e.g. {"usd": 0.79} on a GBP account). */
  fxRates: Record<string, number>;
}

export interface Account {
  id: string;
  secretKey: string;
  publishableKey: string;
  name: string;
  email: string;
  settings: AccountSettings;
  created: number;
}

export function defaultSettings(country: string): AccountSettings {
  const base = { feeTaxBps: 0, payoutArrivalDays: 1, automaticPayouts: true, disputeFeeRefundedOnWin: true, fxRates: {} as Record<string, number> };
  switch (country) {
    case 'GB':
      return { ...base, country, currency: 'gbp', domesticFee: { percentBps: 150, fixed: 20 }, internationalFee: { percentBps: 325, fixed: 20 }, availabilityDays: 3, disputeFee: 2000, fxRates: { usd: 0.79, eur: 0.86 } };
    case 'US':
      return { ...base, country, currency: 'usd', domesticFee: { percentBps: 290, fixed: 30 }, internationalFee: { percentBps: 440, fixed: 30 }, availabilityDays: 2, disputeFee: 1500, fxRates: { gbp: 1.27, eur: 1.09 } };
    default:
      return { ...base, country, currency: 'eur', domesticFee: { percentBps: 150, fixed: 25 }, internationalFee: { percentBps: 325, fixed: 25 }, availabilityDays: 3, disputeFee: 2000, fxRates: { gbp: 1.17, usd: 0.92 } };
  }
}

const COUNTRY = /^[A-Z]{2}$/;
const CURRENCY = /^[a-z]{3}$/;

function fee(value: unknown, name: string, fallback: FeeRule): FeeRule {
  if (value === undefined) return fallback;
  const v = value as Partial<FeeRule>;
  if (typeof v !== 'object' || v === null || !Number.isInteger(v.percentBps) || !Number.isInteger(v.fixed) || v.percentBps! < 0 || v.fixed! < 0) {
    throw new TypeError(`${name} must be {"percentBps": integer ≥ 0, "fixed": integer ≥ 0}`);
  }
  return { percentBps: v.percentBps!, fixed: v.fixed! };
}

/** Settings from control-API JSON over a base; throws TypeError naming the bad field. */
export function mergeSettings(base: AccountSettings, input: Record<string, unknown>): AccountSettings {
  const out: AccountSettings = { ...base, fxRates: { ...base.fxRates } };
  const known = ['country', 'currency', 'domesticFee', 'internationalFee', 'feeTaxBps', 'availabilityDays', 'payoutArrivalDays', 'automaticPayouts', 'disputeFee', 'disputeFeeRefundedOnWin', 'fxRates', 'name', 'email', 'secretKey'];
  for (const key of Object.keys(input)) if (!known.includes(key)) throw new TypeError(`unknown account setting: ${key}`);
  if (input.currency !== undefined) {
    if (typeof input.currency !== 'string' || !CURRENCY.test(input.currency.toLowerCase())) throw new TypeError('currency must be an ISO 4217 code');
    out.currency = input.currency.toLowerCase();
  }
  out.domesticFee = fee(input.domesticFee, 'domesticFee', out.domesticFee);
  out.internationalFee = fee(input.internationalFee, 'internationalFee', out.internationalFee);
  for (const key of ['feeTaxBps', 'availabilityDays', 'payoutArrivalDays', 'disputeFee'] as const) {
    if (input[key] === undefined) continue;
    const n = input[key];
    if (!Number.isInteger(n) || (n as number) < 0) throw new TypeError(`${key} must be an integer ≥ 0`);
    out[key] = n as number;
  }
  for (const key of ['automaticPayouts', 'disputeFeeRefundedOnWin'] as const) {
    if (input[key] === undefined) continue;
    if (typeof input[key] !== 'boolean') throw new TypeError(`${key} must be true or false`);
    out[key] = input[key];
  }
  if (input.fxRates !== undefined) {
    if (typeof input.fxRates !== 'object' || input.fxRates === null) throw new TypeError('fxRates must be an object of currency → rate');
    for (const [cur, rate] of Object.entries(input.fxRates as Record<string, unknown>)) {
      if (!CURRENCY.test(cur) || typeof rate !== 'number' || !(rate > 0)) throw new TypeError(`fxRates.${cur} must be a positive number`);
      out.fxRates[cur] = rate;
    }
  }
  return out;
}

export function newAccount(input: Record<string, unknown>, now: number): Account {
  const country = input.country === undefined ? 'GB' : String(input.country).toUpperCase();
  if (!COUNTRY.test(country)) throw new TypeError('country must be a two-letter ISO code');
  const settings = mergeSettings(defaultSettings(country), { ...input, country: undefined });
  const id = stripeId('acct', 16);
  const secretKey = typeof input.secretKey === 'string' && /^sk_test_\w{8,}$/.test(input.secretKey) ? input.secretKey : `sk_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`;
  if (input.secretKey !== undefined && secretKey !== input.secretKey) throw new TypeError('secretKey must look like sk_test_ followed by at least 8 letters, digits or _');
  return {
    id,
    secretKey,
    publishableKey: `pk_test_${randomBytes(24).toString('base64url').replace(/[-_]/g, 'x')}`,
    name: typeof input.name === 'string' ? input.name : `Emulated ${country} account`,
    email: typeof input.email === 'string' ? input.email : 'owner@example.test',
    settings,
    created: Math.floor(now / 1000),
  };
}
