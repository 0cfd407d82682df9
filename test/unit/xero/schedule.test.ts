// nextRunAt: the next hh:00 in the organisation's time zone, across the UK and US clock changes of 2026
// (UK: 29 March 01:00 GMT → 02:00 BST, 25 October 02:00 BST → 01:00 GMT; New York: 8 March 02:00 EST →
// 03:00 EDT, 1 November 02:00 EDT → 01:00 EST) and a southern-hemisphere and a half-hour zone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { nextRunAt } from '../../../plugins/xero/sync/nextRunAt';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
const next = (now: string, hour: number, zone: string) => iso(nextRunAt(at(now), hour, zone));

function localHourMinute(ms: number, timeZone: string): [number, number] {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' }).formatToParts(new Date(ms));
  return [Number(parts.find((p) => p.type === 'hour')!.value), Number(parts.find((p) => p.type === 'minute')!.value)];
}

describe('nextRunAt', () => {
  it('later today, or tomorrow once the hour has passed (strictly after now)', () => {
    assert.equal(next('2026-06-10T08:00:00Z', 23, 'Europe/London'), '2026-06-10T22:00:00.000Z'); // 23:00 BST
    assert.equal(next('2026-06-10T22:00:00Z', 23, 'Europe/London'), '2026-06-11T22:00:00.000Z');
    assert.equal(next('2026-06-10T21:59:59.999Z', 23, 'Europe/London'), '2026-06-10T22:00:00.000Z');
    assert.equal(next('2026-01-10T08:00:00Z', 0, 'UTC'), '2026-01-11T00:00:00.000Z');
  });

  it("uses the organisation's zone, not the server's: the same instant gives different runs", () => {
    const now = '2026-06-10T12:00:00Z';
    assert.equal(next(now, 23, 'Europe/London'), '2026-06-10T22:00:00.000Z');
    assert.equal(next(now, 23, 'America/New_York'), '2026-06-11T03:00:00.000Z'); // 23:00 EDT
    assert.equal(next(now, 23, 'Europe/Paris'), '2026-06-10T21:00:00.000Z'); // Qonto's 11pm CET(S)
  });

  it('UK spring forward: 23:00 either side keeps the wall time (the day is 23 hours long)', () => {
    assert.equal(next('2026-03-28T12:00:00Z', 23, 'Europe/London'), '2026-03-28T23:00:00.000Z'); // GMT
    assert.equal(next('2026-03-28T23:30:00Z', 23, 'Europe/London'), '2026-03-29T22:00:00.000Z'); // BST
  });

  it('UK spring forward: 01:00 does not exist on 29 March; the run is when the clock jumps (02:00 BST)', () => {
    const run = nextRunAt(at('2026-03-29T00:30:00Z'), 1, 'Europe/London');
    assert.equal(iso(run), '2026-03-29T01:00:00.000Z');
    assert.deepEqual(localHourMinute(run, 'Europe/London'), [2, 0]);
    // and the next day it is 01:00 BST again
    assert.equal(next(iso(run), 1, 'Europe/London'), '2026-03-30T00:00:00.000Z');
  });

  it('UK fall back: 01:00 happens twice on 25 October; the run is the first, and only once', () => {
    assert.equal(next('2026-10-24T23:30:00Z', 1, 'Europe/London'), '2026-10-25T00:00:00.000Z'); // 01:00 BST
    // after the first 01:00, the second one (01:00 GMT an hour later) is skipped: next is the 26th
    assert.equal(next('2026-10-25T00:00:00Z', 1, 'Europe/London'), '2026-10-26T01:00:00.000Z');
    assert.equal(next('2026-10-25T00:30:00Z', 1, 'Europe/London'), '2026-10-26T01:00:00.000Z');
    // 23:00 after the change is GMT
    assert.equal(next('2026-10-25T12:00:00Z', 23, 'Europe/London'), '2026-10-25T23:00:00.000Z');
  });

  it('US spring forward: 02:00 does not exist on 8 March in New York; runs at the jump (03:00 EDT)', () => {
    const run = nextRunAt(at('2026-03-08T06:00:00Z'), 2, 'America/New_York'); // 01:00 EST
    assert.equal(iso(run), '2026-03-08T07:00:00.000Z');
    assert.deepEqual(localHourMinute(run, 'America/New_York'), [3, 0]);
    assert.equal(next('2026-03-07T12:00:00Z', 23, 'America/New_York'), '2026-03-08T04:00:00.000Z'); // EST
    assert.equal(next('2026-03-08T04:30:00Z', 23, 'America/New_York'), '2026-03-09T03:00:00.000Z'); // EDT
  });

  it('US fall back: 01:00 happens twice on 1 November in New York; first one only', () => {
    assert.equal(next('2026-11-01T04:00:00Z', 1, 'America/New_York'), '2026-11-01T05:00:00.000Z'); // 01:00 EDT
    assert.equal(next('2026-11-01T05:00:00Z', 1, 'America/New_York'), '2026-11-02T06:00:00.000Z'); // 01:00 EST, next day
    assert.equal(next('2026-11-01T12:00:00Z', 23, 'America/Los_Angeles'), '2026-11-02T07:00:00.000Z'); // 23:00 PST
  });

  it('southern hemisphere (Sydney springs forward on 4 October) and a half-hour zone (Kolkata)', () => {
    assert.equal(next('2026-10-03T14:00:00Z', 2, 'Australia/Sydney'), '2026-10-03T16:00:00.000Z'); // jump to 03:00 AEDT
    assert.equal(next('2026-10-04T12:00:00Z', 23, 'Australia/Sydney'), '2026-10-05T12:00:00.000Z'); // 23:00 AEDT (+11)
    assert.equal(next('2026-06-01T00:00:00Z', 0, 'Asia/Kolkata'), '2026-06-01T18:30:00.000Z');
  });

  it('every hour of every day of 2026 in London and New York: after now, within 25 hours, on the hour', () => {
    for (const zone of ['Europe/London', 'America/New_York']) {
      for (let day = 0; day < 365; day += 1) {
        const now = Date.UTC(2026, 0, 1) + day * 86_400_000 + 37 * 60_000; // hh:37 UTC
        for (let hour = 0; hour < 24; hour += 1) {
          const run = nextRunAt(now, hour, zone);
          assert.ok(run > now && run - now <= 25 * 3_600_000, `${zone} ${hour}:00 from ${iso(now)} → ${iso(run)}`);
          const [h, m] = localHourMinute(run, zone);
          assert.equal(m, 0);
          // On the hour asked for, or the hour after on the one day it does not exist.
          assert.ok(h === hour || h === (hour + 1) % 24, `${zone} ${hour}:00 from ${iso(now)} → local ${h}:00`);
        }
      }
    }
  });

  it('rejects an hour outside 0–23 and an unknown time zone', () => {
    for (const hour of [-1, 24, 1.5, Number.NaN]) assert.throws(() => nextRunAt(Date.now(), hour, 'UTC'), RangeError);
    assert.throws(() => nextRunAt(Date.now(), 3, 'Mars/Olympus_Mons'), RangeError);
  });
});
