// Xero's lock dates: nothing can be posted on or before them. A record dated inside a locked period is
// posted on the first open day (the day after the later lock date) with a note saying so on the Xero record
// (its History) and in the audit trail, or — when the settings say so — held for the admin, failed with the
// reason. The dates are read from Xero (GET /Organisation) when Xero refuses a document for them, and kept
// (xero_lock_dates), so the next document in the period is dated right at once: one refusal per lock
// change, never a retry loop.
import { formatCalendarDay as day, type Queryable } from '../../../server/plugins/contract';
import type { XeroSession } from '../engine/session';

export interface LockDates {
  periodLockDate: string | null;
  endOfYearLockDate: string | null;
}

/** Xero's refusal of a document dated inside a locked period. */
export const LOCK_DATE_REFUSAL = /cannot be before the (?:end of year|period) lock date/i;

export async function storedLockDates(db: Queryable, orgId: number): Promise<LockDates | null> {
  const row = await db('xero_lock_dates').where({ org_id: orgId }).first();
  return row ? { periodLockDate: row.period_lock_date ?? null, endOfYearLockDate: row.end_of_year_lock_date ?? null } : null;
}

export async function storeLockDates(db: Queryable, orgId: number, dates: LockDates, now: number): Promise<void> {
  const row = { period_lock_date: dates.periodLockDate, end_of_year_lock_date: dates.endOfYearLockDate, read_at: now };
  await db('xero_lock_dates').insert({ org_id: orgId, ...row }).onConflict('org_id').merge(row);
}

/** The last locked day (YYYY-MM-DD), or null when nothing is locked. */
export function lockedUpTo(dates: LockDates | null): string | null {
  const days = [dates?.periodLockDate, dates?.endOfYearLockDate].filter((d): d is string => !!d).sort();
  return days.at(-1) ?? null;
}

/** The day after `day` (YYYY-MM-DD). */
export function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/** What the Xero record and the audit trail say about a document moved out of a locked period. */
export const movedNote = (from: string, to: string, locked: string): string =>
  `Dated ${day(to)}, the first open day: its own date ${day(from)} is in a period locked in Xero (up to ${day(locked)})`;

/** What the sale says when the settings hold such a document for the admin. */
export const heldNote = (from: string, locked: string): string =>
  `Held for the admin: dated ${day(from)}, in a period locked in Xero up to ${day(locked)}. Post it on the first open day (Xero settings, Locked periods), or ask the accountant to move the lock date, then retry`;

/** Why a document dated inside a locked period was held (the record's error). */
export const heldError = (date: string, locked: string): string => `Dated ${day(date)}, in a period locked in Xero up to ${day(locked)}`;

/** Where a document or payment dated `date` goes, given the last locked day and the organisation's setting. Pure. */
export type LockPlacement =
  | { kind: 'open' }
  | { kind: 'moved'; date: string; note: string }
  | { kind: 'held'; error: string; note: string };

export function placeInOpenPeriod(date: string, locked: string | null, setting: 'first_open_day' | 'hold'): LockPlacement {
  if (!locked || date > locked) return { kind: 'open' };
  if (setting === 'hold') return { kind: 'held', error: heldError(date, locked), note: heldNote(date, locked) };
  const to = dayAfter(locked);
  return { kind: 'moved', date: to, note: movedNote(date, to, locked) };
}

/** The last locked day as last read from Xero (null: nothing known to be locked). */
export async function knownLockedUpTo(db: Queryable, orgId: number): Promise<string | null> {
  return lockedUpTo(await storedLockDates(db, orgId));
}

/**
 * Xero refused something for a lock date: read its lock dates (one call, GET /Organisation) and keep them,
 * so the next attempt places the record in the first open day (or holds it). Returns the last locked day.
 */
export async function readLockDates(session: XeroSession, db: Queryable, now: number): Promise<string | null> {
  const organisation = await session.xero.getOrganisation();
  const dates = { periodLockDate: organisation?.periodLockDate ?? null, endOfYearLockDate: organisation?.endOfYearLockDate ?? null };
  await storeLockDates(db, session.orgId, dates, now);
  return lockedUpTo(dates);
}

/**
 * What becomes of a record Xero refused for a lock date, once the lock dates are read: dated inside the
 * locked period → retry at once (placed on the first open day, or held, next time); otherwise the lock
 * dates do not explain it → fail with Xero's message. Never a retry loop: the next attempt knows the dates.
 */
export function afterLockRefusal(date: string, locked: string | null, messages: readonly string[]): { retry: true; message: string; audit: string } | { retry: false; message: string } {
  const said = `Xero: ${messages.join('; ')}`;
  if (locked && date <= locked) return { retry: true, message: `${said} (lock dates read from Xero: locked up to ${day(locked)})`, audit: `dated ${day(date)}, inside the period locked in Xero up to ${day(locked)}` };
  return { retry: false, message: `${said} (Xero's lock dates say ${locked ? `locked up to ${day(locked)}` : 'nothing is locked'})` };
}
