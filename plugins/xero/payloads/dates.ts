// Calendar dates as Xero wants them (YYYY-MM-DD, no time): the day the sale happened in the
// organisation's timezone — a sale at 00:30 BST belongs to that day, not to the UTC day before.
import { PermanentError } from '../../../server/errors';
import type { DueDateRule } from '../mappings/types';

/** Xero keeps dates from 1900 on (its ledgers are SQL dates); anything earlier is a typo it cannot take. */
const EARLIEST = '1900-01-01';

export function xeroDate(epochMs: number, timeZone = 'UTC'): string {
  // en-CA formats as YYYY-MM-DD — for years from 1000; year 999 came out as "999-06-01".
  const date = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(epochMs));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date < EARLIEST) {
    throw new PermanentError(`the date ${Number.isFinite(epochMs) ? new Date(epochMs).toISOString().slice(0, 10) : String(epochMs)} is before ${EARLIEST}, which Xero does not take: correct the record's date`);
  }
  return date;
}

function parts(date: string): { y: number; m: number; d: number } {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new RangeError(`not a YYYY-MM-DD date: ${date}`);
  return { y: Number(match[1]), m: Number(match[2]), d: Number(match[3]) };
}

const iso = (utcMs: number): string => new Date(utcMs).toISOString().slice(0, 10);
const daysInMonth = (y: number, m1: number): number => new Date(Date.UTC(y, m1, 0)).getUTCDate();

/** The due date a rule gives for an invoice dated `date`. */
export function dueDate(date: string, rule: DueDateRule): string {
  const { y, m, d } = parts(date);
  switch (rule.kind) {
    case 'on_receipt':
      return date;
    case 'days_after':
      return iso(Date.UTC(y, m - 1, d + rule.days));
    case 'day_of_following_month': {
      // Month m (1-based) + 1; Date.UTC rolls December into January of the next year.
      const next = new Date(Date.UTC(y, m, 1));
      const day = Math.min(rule.day, daysInMonth(next.getUTCFullYear(), next.getUTCMonth() + 1));
      return iso(Date.UTC(next.getUTCFullYear(), next.getUTCMonth(), day));
    }
    case 'end_of_following_month':
      // Day 0 of the month after next = the last day of next month.
      return iso(Date.UTC(y, m + 1, 0));
  }
}

export function describeDueDateRule(rule: DueDateRule): string {
  switch (rule.kind) {
    case 'on_receipt': return 'Due on receipt';
    case 'days_after': return `${rule.days} day${rule.days === 1 ? '' : 's'} after the invoice date`;
    case 'day_of_following_month': return `Day ${rule.day} of the following month`;
    case 'end_of_following_month': return 'End of the following month';
  }
}
