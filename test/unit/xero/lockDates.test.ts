// Lock dates (pure): the last locked day, the first open one, and what is said.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterLockRefusal, dayAfter, heldNote, LOCK_DATE_REFUSAL, lockedUpTo, movedNote, placeInOpenPeriod } from '../../../plugins/xero/sync/lockDates';

describe('lock dates', () => {
  it('the last locked day is the later of the two lock dates', () => {
    assert.equal(lockedUpTo({ periodLockDate: '2026-03-31', endOfYearLockDate: '2025-12-31' }), '2026-03-31');
    assert.equal(lockedUpTo({ periodLockDate: null, endOfYearLockDate: '2025-12-31' }), '2025-12-31');
    assert.equal(lockedUpTo({ periodLockDate: null, endOfYearLockDate: null }), null);
    assert.equal(lockedUpTo(null), null);
  });
  it('the first open day follows it, across months and leap days', () => {
    assert.equal(dayAfter('2026-03-31'), '2026-04-01');
    assert.equal(dayAfter('2028-02-28'), '2028-02-29');
    assert.equal(dayAfter('2025-12-31'), '2026-01-01');
  });
  it("recognises Xero's refusals for either lock date", () => {
    assert.ok(LOCK_DATE_REFUSAL.test('The document date cannot be before the end of year lock date, currently set at 31-Jul-2013'));
    assert.ok(LOCK_DATE_REFUSAL.test('The document date cannot be before the period lock date, currently set at 31-Mar-2026'));
    assert.ok(!LOCK_DATE_REFUSAL.test("The TaxType code 'X' does not exist"));
  });
  it('says what happened', () => {
    assert.equal(movedNote('2026-03-15', '2026-04-01', '2026-03-31'), 'Dated 1 Apr 2026, the first open day: its own date 15 Mar 2026 is in a period locked in Xero (up to 31 Mar 2026)');
    assert.match(heldNote('2026-03-15', '2026-03-31'), /^Held for the admin: dated 15 Mar 2026, in a period locked in Xero up to 31 Mar 2026\./);
  });
  it('places a record: as dated after the lock, on the first open day on or before it, or held (the setting)', () => {
    assert.deepEqual(placeInOpenPeriod('2026-04-01', '2026-03-31', 'first_open_day'), { kind: 'open' });
    assert.deepEqual(placeInOpenPeriod('2026-03-15', null, 'hold'), { kind: 'open' });
    assert.deepEqual(placeInOpenPeriod('2026-03-31', '2026-03-31', 'first_open_day'), { kind: 'moved', date: '2026-04-01', note: movedNote('2026-03-31', '2026-04-01', '2026-03-31') });
    assert.deepEqual(placeInOpenPeriod('2026-03-15', '2026-03-31', 'hold'), { kind: 'held', error: 'Dated 15 Mar 2026, in a period locked in Xero up to 31 Mar 2026', note: heldNote('2026-03-15', '2026-03-31') });
  });
  it('after a refusal: retried once when the lock dates explain it, else failed with Xero\'s message (never a loop)', () => {
    const said = ['The document date cannot be before the period lock date, currently set at 31-Mar-2026'];
    const retry = afterLockRefusal('2026-03-15', '2026-03-31', said);
    assert.equal(retry.retry, true);
    assert.match(retry.message, /^Xero: The document date cannot be before .* \(lock dates read from Xero: locked up to 31 Mar 2026\)$/);
    assert.deepEqual(afterLockRefusal('2026-04-15', '2026-03-31', said), { retry: false, message: `Xero: ${said[0]} (Xero's lock dates say locked up to 31 Mar 2026)` });
    assert.deepEqual(afterLockRefusal('2026-04-15', null, said), { retry: false, message: `Xero: ${said[0]} (Xero's lock dates say nothing is locked)` });
  });
});
