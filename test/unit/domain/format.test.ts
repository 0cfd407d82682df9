// The one date and counting style (server/domain/format.ts): what pages, CSV and CLI print.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatCalendarDay, formatDateTime, formatDay, plural } from '../../../server/domain/format';
import { formatLocal } from '../../../server/web/time';

const AT = Date.UTC(2026, 11, 2, 15, 13, 11, 21); // 2026-12-02T15:13:11.021Z

describe('formats', () => {
  it('a moment in the organisation\'s time zone, to the minute', () => {
    assert.equal(formatDateTime(AT, 'Europe/London'), '2 Dec 2026, 15:13');
    assert.equal(formatDateTime(AT, 'Australia/Sydney'), '3 Dec 2026, 02:13', 'the day where the business is');
    assert.equal(formatDateTime(null, 'Europe/London'), '');
    assert.equal(formatLocal(AT, 'Europe/London'), formatDateTime(AT, 'Europe/London'), 'the pages\' helper is the same style');
  });

  it('a day in the same style', () => {
    assert.equal(formatDay(AT, 'Europe/London'), '2 Dec 2026');
    assert.equal(formatDay(Date.UTC(2026, 2, 31, 23, 0), 'Europe/London'), '1 Apr 2026', 'midnight BST is the next day');
    assert.equal(formatCalendarDay('2026-03-02'), '2 Mar 2026');
    assert.equal(formatCalendarDay('not a day'), 'not a day');
    assert.equal(formatCalendarDay(null), '');
  });

  it('counts in words, never "item(s)"', () => {
    assert.equal(plural(1, 'item'), '1 item');
    assert.equal(plural(0, 'item'), '0 items');
    assert.equal(plural(3, 'data key'), '3 data keys');
    assert.equal(plural(2, 'entry', 'entries'), '2 entries');
  });
});
