// Gift vouchers' pure rules (server/domain/vouchers.ts): the code people read aloud, the last day one can be
// used, its status, and the organisation's calendar day an instant falls on.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dayIn, expiryDay, newVoucherCode, VOUCHER_CODE, voucherStatus } from '../../../server/domain/vouchers';

describe('gift vouchers', () => {
  it('draws codes people can read aloud: GV-XXXX-XXXX without 0, O, 1, I, L or U', () => {
    const codes = new Set(Array.from({ length: 200 }, newVoucherCode));
    assert.equal(codes.size, 200);
    for (const code of codes) {
      assert.match(code, VOUCHER_CODE);
      assert.doesNotMatch(code.slice(3), /[01OILU]/);
    }
  });

  it('expires the same day a year on; 29 February and month ends fall back to the month\'s last day', () => {
    assert.equal(expiryDay('2026-06-14'), '2027-06-14');
    assert.equal(expiryDay('2028-02-29'), '2029-02-28');
    assert.equal(expiryDay('2026-01-31', 1), '2026-02-28');
    assert.equal(expiryDay('2026-12-31', 2), '2027-02-28');
  });

  it('is used on its last day and expired the day after; written off and used up win', () => {
    const v = { balance_minor: 500, expires_on: '2027-06-14', written_off_at: null, cancelled_at: null };
    assert.equal(voucherStatus(v, '2027-06-14'), 'active');
    assert.equal(voucherStatus(v, '2027-06-15'), 'expired');
    assert.equal(voucherStatus({ ...v, balance_minor: 0 }, '2027-06-15'), 'used');
    assert.equal(voucherStatus({ ...v, balance_minor: 0, written_off_at: 1 }, '2027-06-15'), 'written_off');
    assert.equal(voucherStatus({ ...v, balance_minor: 0, cancelled_at: 1 }, '2027-06-14'), 'cancelled', 'refunded in full');
  });

  it("takes the day in the organisation's time zone", () => {
    const lateEvening = Date.UTC(2026, 5, 14, 23, 30);
    assert.equal(dayIn(lateEvening, 'UTC'), '2026-06-14');
    assert.equal(dayIn(lateEvening, 'Europe/London'), '2026-06-15');
    assert.equal(dayIn(lateEvening, 'America/New_York'), '2026-06-14');
  });
});
