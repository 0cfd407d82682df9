// Calendar arithmetic in an organisation's time zone ("today's sales" means today where the business is).
import { formatDateTime } from '../domain/format';

function zonedParts(utcMs: number, timeZone: string): { y: number; m: number; d: number; h: number; mi: number; s: number } {
  const fmt = new Intl.DateTimeFormat('en-GB', {
    timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const get = (type: string) => Number(fmt.formatToParts(new Date(utcMs)).find((p) => p.type === type)?.value ?? 0);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

/** How far the zone's wall clock is ahead of UTC at `utcMs` (ms; negative west of Greenwich). */
function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const p = zonedParts(utcMs, timeZone);
  return Date.UTC(p.y, p.m - 1, p.d, p.h, p.mi, p.s) - Math.floor(utcMs / 1000) * 1000;
}

/** Epoch ms of the most recent local midnight in `timeZone` (DST-safe: the offset is taken at midnight itself). */
export function startOfDayInZone(nowMs: number, timeZone: string): number {
  const p = zonedParts(nowMs, timeZone);
  const midnightAsUtc = Date.UTC(p.y, p.m - 1, p.d);
  const guess = midnightAsUtc - zoneOffsetMs(midnightAsUtc, timeZone);
  return midnightAsUtc - zoneOffsetMs(guess, timeZone);
}

/** A short local date-time for tables, e.g. "1 May 2024, 14:30" (the one style: domain/format.ts). */
export const formatLocal = formatDateTime;
