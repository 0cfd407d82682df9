// Tips and service charges, the Xero plugin's side (pure): each kind's account and tax rate, and what is
// said when a kind has no account.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MappingToFixError, resolveAccount, resolveTaxType } from '../../../plugins/xero/mappings/resolve';
import { mappingToFix } from '../../../plugins/xero/mappings/toFix';
import { ukMappings } from './payloadsFixtures';

const m = ukMappings({ lineKindAccounts: { tip: '835', service_charge: '260' }, lineKindTaxTypes: {}, categoryAccountCodes: { food: '210' }, categoryTaxTypes: { food: 'ZERORATEDOUTPUT' } });

describe('line kinds', () => {
  it('posts a tip to its account, outside the scope of VAT unless set otherwise; its category is not used', () => {
    const tip = { category: 'food', taxCode: null, kind: 'tip' as const };
    assert.deepEqual(resolveAccount(tip, m), { value: '835', level: 'organisation', key: 'tip' });
    assert.deepEqual(resolveTaxType(tip, m), { value: 'NONE', level: 'built_in', key: 'tip' });
    assert.deepEqual(resolveTaxType(tip, { ...m, lineKindTaxTypes: { tip: 'EXEMPTOUTPUT' } }), { value: 'EXEMPTOUTPUT', level: 'organisation', key: 'tip' });
    assert.equal(resolveTaxType({ ...tip, taxCode: 'OUTPUT2' }, m).value, 'OUTPUT2', "the line's own tax code still wins");
  });
  it("posts a service charge to its account, at its rate when set, else the line's usual one", () => {
    const charge = { category: 'food', taxCode: null, kind: 'service_charge' as const };
    assert.equal(resolveAccount(charge, m).value, '260');
    assert.deepEqual(resolveTaxType(charge, m), { value: 'ZERORATEDOUTPUT', level: 'category', key: 'food' });
    assert.equal(resolveTaxType(charge, { ...m, lineKindTaxTypes: { service_charge: 'OUTPUT2' } }).value, 'OUTPUT2');
  });
  it('an item is coded as before', () => {
    assert.equal(resolveAccount({ category: 'food', taxCode: null, kind: 'item' }, m).value, '210');
    assert.equal(resolveAccount({ category: null, taxCode: null }, m).value, '200');
  });
  it('a kind with no account fails, naming the setting; a refused kind account is named too', () => {
    assert.throws(() => resolveAccount({ category: null, taxCode: null, kind: 'service_charge' }, ukMappings()), (err: unknown) => {
      assert.ok(err instanceof MappingToFixError);
      assert.equal(err.note, 'Mapping to fix: service charges account (none) (Xero settings, Tips and service charges)');
      return true;
    });
    const coding = [{ account: { value: '835', level: 'organisation' as const, key: 'tip' }, taxType: { value: 'NONE', level: 'built_in' as const, key: 'tip' } }];
    assert.equal(mappingToFix(["Account code '835' is not a valid code for this document."], coding), 'Mapping to fix: tips account 835 (Xero settings, Tips and service charges)');
    // A rate that does not suit its account: both settings are named (either may be the one to change).
    assert.equal(mappingToFix(["The TaxType code 'NONE' cannot be used with account code '835'."], coding),
      'Mapping to fix: tips tax rate (built-in NONE) (Xero settings, Tips and service charges); tips account 835 (Xero settings, Tips and service charges)');
  });
});
