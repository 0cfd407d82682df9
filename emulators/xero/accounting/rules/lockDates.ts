// Lock dates, as an accountant sets them in Xero (Settings → Advanced → Financial settings): nothing may be
// posted on or before the end-of-year lock date, nor — for the users the period lock binds, which include
// an app's connection — on or before the period lock date. Xero refuses such a document with a validation
// error naming the lock date ("The document date cannot be before the end of year lock date, currently set
// at 31-Jul-2013", as Xero answers; the period lock's wording is modelled on it). Drafts post nothing and
// are not refused.
import type { Book } from '../model';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** 31-Jul-2013, as Xero writes the date in the message. */
export function lockDateText(dayMs: number): string {
  const d = new Date(dayMs);
  return `${String(d.getUTCDate()).padStart(2, '0')}-${MONTHS[d.getUTCMonth()]}-${d.getUTCFullYear()}`;
}

/** Xero's refusal of a document (or payment) dated `dayMs` (UTC midnight of its day), or undefined. */
export function lockDateError(book: Book, dayMs: number): string | undefined {
  const { EndOfYearLockDate: year, PeriodLockDate: period } = book.organisation;
  if (year !== undefined && dayMs <= year) return `The document date cannot be before the end of year lock date, currently set at ${lockDateText(year)}`;
  if (period !== undefined && dayMs <= period) return `The document date cannot be before the period lock date, currently set at ${lockDateText(period)}`;
  return undefined;
}
