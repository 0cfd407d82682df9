// What the audit row of an edited rule lists as changed, and what the flash says about the waiting lines
// rules took (pure: payouts/ruleChanges.ts, payouts/takeWaiting.ts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { changedFields, ruleSnapshot } from '../../../plugins/xero/payouts/ruleChanges';
import { takenText } from '../../../plugins/xero/payouts/takeWaiting';

const rule = { name: 'Memberships', provider: 'stripe' as const, lineKind: 'charge' as const, currency: 'GBP', description: 'Membership', amountMinMinor: null, amountMaxMinor: null, accountCode: '270', taxType: 'NONE' };

describe('rule changes in the audit trail', () => {
  it('lists only the fields that changed, empty bounds as (none)', () => {
    const before = ruleSnapshot({ ...rule, position: 1, enabled: true });
    const after = ruleSnapshot({ ...rule, accountCode: '260', amountMaxMinor: 5000, position: 1, enabled: true });
    assert.deepEqual(changedFields(before, after), ['highest amount (none) → 50.00', 'account 270 → 260']);
    assert.deepEqual(changedFields(before, before), []);
  });
});

describe('the flash about waiting lines', () => {
  it('says how many lines this rule took, and apart those other rules took', () => {
    assert.equal(takenText({ byRule: new Map([[3, 1]]), error: null }, 3), ' It took 1 line waiting for sign-off; its payout is being completed.');
    assert.equal(takenText({ byRule: new Map([[3, 2], [4, 1]]), error: null }, 3), ' It took 2 lines waiting for sign-off; their payouts are being completed. Other rules took 1 line waiting for sign-off.');
    assert.equal(takenText({ byRule: new Map(), error: null }, 3), '');
  });

  it('says the lines still wait when Xero could not be read', () => {
    assert.match(takenText({ byRule: new Map(), error: 'Xero could not be read to check them (timeout)' }, 3), /not checked against the rules: Xero could not be read to check them \(timeout\); they still wait/);
  });
});
