// The one date style and counting style people read everywhere — pages, CSV, CLI and messages: dates as
// "3 Dec 2026", moments as "3 Dec 2026, 14:30" in the organisation's time zone (never an ISO timestamp such
// as 2026-12-02T15:13:11.021Z), counts as "1 item" / "2 items" (never "item(s)"). Money is
// money.formatMinor ("12.50") followed by the currency code ("12.50 GBP"). en-GB: day, short month, year.

const LOCALE = 'en-GB';

/** A moment in a time zone, e.g. "3 Dec 2026, 14:30" ('' for none). */
export function formatDateTime(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return '';
  return new Intl.DateTimeFormat(LOCALE, { timeZone, dateStyle: 'medium', timeStyle: 'short' }).format(new Date(ms));
}

/** The day of a moment in a time zone, e.g. "3 Dec 2026" ('' for none). */
export function formatDay(ms: number | null | undefined, timeZone: string): string {
  if (ms === null || ms === undefined) return '';
  return new Intl.DateTimeFormat(LOCALE, { timeZone, dateStyle: 'medium' }).format(new Date(ms));
}

/** A calendar day written YYYY-MM-DD (a service date, a payout's arrival date), e.g. "2 Mar 2026"; other text as it is. */
export function formatCalendarDay(day: string | null | undefined): string {
  if (!day) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return day;
  return formatDay(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])), 'UTC');
}

/** "1 item", "2 items", "0 items"; `many` for irregular plurals ("1 sale swept", plural(n, 'entry', 'entries')). */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
