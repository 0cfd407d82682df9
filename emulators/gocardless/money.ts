// Fees and amount formats. Pure functions: the books call them, the tests check them on their own.
//
// GoCardless's standard pricing is 1 % + 20p per transaction, capped at £4 (GBP); the other currencies
// follow the same shape in their own units. VAT (GB: 20 %) is charged ON TOP of the fee since
// September 2020 and, when the fee is capped, on the capped amount. GoCardless keeps fees to a tenth of a
// penny; the emulator rounds each fee and each tax to whole minor units (half up), so every payout is
// exactly the sum of its items.

export interface FeeSchedule {
  /** Percentage part in basis points (100 = 1 %). */
  rateBps: number;
  /** Fixed part, minor units. */
  fixedMinor: number;
  /** Cap on the fee before tax, minor units (0 = no cap). */
  capMinor: number;
}

export const DEFAULT_FEES: Record<string, FeeSchedule> = {
  GBP: { rateBps: 100, fixedMinor: 20, capMinor: 400 },
  EUR: { rateBps: 100, fixedMinor: 20, capMinor: 400 },
  USD: { rateBps: 100, fixedMinor: 25, capMinor: 500 },
  AUD: { rateBps: 100, fixedMinor: 30, capMinor: 600 },
  NZD: { rateBps: 100, fixedMinor: 30, capMinor: 600 },
  CAD: { rateBps: 100, fixedMinor: 25, capMinor: 500 },
  SEK: { rateBps: 100, fixedMinor: 200, capMinor: 4000 },
  DKK: { rateBps: 100, fixedMinor: 150, capMinor: 3000 },
};

export const CURRENCIES = Object.keys(DEFAULT_FEES);

/** Half-up division of non-negative integers. */
const divRound = (n: number, d: number): number => Math.floor((n * 2 + d) / (2 * d));

/** GoCardless's fee on a payment of `amountMinor`, before tax. */
export function transactionFee(amountMinor: number, schedule: FeeSchedule): number {
  const raw = divRound(amountMinor * schedule.rateBps, 10_000) + schedule.fixedMinor;
  return schedule.capMinor > 0 ? Math.min(raw, schedule.capMinor) : raw;
}

/** Tax on a fee at `taxBps` (2000 = 20 %). */
export function taxOnFee(feeMinor: number, taxBps: number): number {
  const tax = divRound(Math.abs(feeMinor) * taxBps, 10_000);
  return feeMinor < 0 ? -tax : tax;
}

/** Payout-item amounts are strings in minor units to one decimal place: "1000.0", "-264.0". */
export function itemAmount(minor: number): string {
  return `${minor < 0 ? '-' : ''}${Math.abs(minor)}.0`;
}

/** YYYY-MM-DD (UTC) of an epoch-ms instant. */
export const isoDate = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Epoch ms of a YYYY-MM-DD date's midnight UTC. */
export const dateStart = (date: string): number => Date.parse(`${date}T00:00:00.000Z`);

/** The next weekday (Mon–Fri) strictly after `date`. Bank holidays are not modelled. */
export function nextWorkingDay(date: string): string {
  let t = dateStart(date) + 86_400_000;
  while ([0, 6].includes(new Date(t).getUTCDay())) t += 86_400_000;
  return isoDate(t);
}
