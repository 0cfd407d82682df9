// When a once-a-day sync next runs: the next time the organisation's wall clock shows `hour`:00, in its
// own time zone. Pure, so the DST rules are tested directly (test/unit/xero/schedule.test.ts).
//
// Two days a year the wall clock is irregular, and cron's conventions are the least surprising:
// - spring forward (the hour does not exist, e.g. 01:00 in London on the last Sunday of March): run at the
//   moment the clock jumps, which is the same instant the skipped hour would have been in the old offset;
// - fall back (the hour happens twice, e.g. 01:00 in London on the last Sunday of October): run once, at the
//   first of the two.

// Building a DateTimeFormat costs far more than using one; zones are few.
const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(utcMs: number, timeZone: string): { y: number; m: number; d: number; h: number; mi: number } {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    });
    formatters.set(timeZone, fmt);
  }
  const parts = fmt.formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return { y: get('year'), m: get('month'), d: get('day'), h: get('hour'), mi: get('minute') };
}

/** How far the zone's wall clock is ahead of UTC at `utcMs`, in ms (whole minutes). */
function offsetMs(utcMs: number, timeZone: string): number {
  const w = wallClock(utcMs, timeZone);
  const flooredToMinute = Math.floor(utcMs / 60_000) * 60_000;
  return Date.UTC(w.y, w.m - 1, w.d, w.h, w.mi) - flooredToMinute;
}

/** Throws a RangeError for a name Intl does not know (e.g. "Mars/Olympus"). */
export function assertTimeZone(timeZone: string): void {
  new Intl.DateTimeFormat('en-GB', { timeZone });
}

/** The instant the wall clock of `timeZone` shows y-m-d hour:00 (first one if twice; the jump if never). */
export function instantOfWallHour(y: number, m: number, d: number, hour: number, timeZone: string): number {
  const wallAsUtc = Date.UTC(y, m - 1, d, hour);
  // No zone moves by more than a day, and none changes offset twice within 14 hours either side of a
  // wall time, so the offsets just before and just after are the only candidates.
  const before = offsetMs(wallAsUtc - 14 * 3_600_000, timeZone);
  const after = offsetMs(wallAsUtc + 14 * 3_600_000, timeZone);
  const matches = [wallAsUtc - before, wallAsUtc - after].filter((t) => {
    const w = wallClock(t, timeZone);
    return w.y === y && w.m === m && w.d === d && w.h === hour && w.mi === 0;
  });
  if (matches.length) return Math.min(...matches);
  return wallAsUtc - before; // the hour was skipped: the instant the clock jumped over it
}

/**
 * Epoch ms of the first `hour`:00 in `timeZone` strictly after `now`.
 * `hour` is 0–23; an unknown time zone throws a RangeError.
 */
export function nextRunAt(now: number, hour: number, timeZone: string): number {
  if (!Number.isInteger(hour) || hour < 0 || hour > 23) throw new RangeError(`hour must be a whole number 0–23, got ${hour}`);
  assertTimeZone(timeZone);
  const today = wallClock(now, timeZone);
  for (let k = 0; k <= 2; k += 1) {
    const day = new Date(Date.UTC(today.y, today.m - 1, today.d + k));
    const at = instantOfWallHour(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), hour, timeZone);
    if (at > now) return at;
  }
  // Unreachable: tomorrow's hour is always after now.
  throw new Error(`no next run found for ${hour}:00 in ${timeZone}`);
}
