// The journal that moves an expired gift voucher's balance to revenue (plugins/xero/sync/voucherJournals.ts),
// and the voucher line and redemption accounts (mappings/resolve.ts): pure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { voucherJournal } from '../../../../plugins/xero/sync/voucherJournals';
import { MappingToFixError, resolveAccount, resolvePaymentAccount, resolveTaxType } from '../../../../plugins/xero/mappings/resolve';
import { resolveMappingRows } from '../../../../plugins/xero/mappings/load';

const voucher = { id: 4, orgId: 1, code: 'GV-7KQ2-M9XD', saleId: 12, currency: 'GBP', amountMinor: 5000, writtenOffMinor: 1999, expiresOn: '2027-06-14', writtenOffAt: Date.UTC(2027, 5, 20) };

describe('gift voucher journals and accounts', () => {
  it('debits the liability and credits revenue by what was left, to the penny, balancing to zero, outside the scope of VAT', () => {
    const journal = voucherJournal(voucher, 'Sale TILL-012', { liability: '837', revenue: '260' }, '2027-06-20');
    assert.deepEqual(journal.JournalLines.map((l) => [l.AccountCode, l.LineAmount, l.TaxType]), [['837', 19.99, 'NONE'], ['260', -19.99, 'NONE']]);
    assert.equal(journal.JournalLines.reduce((sum, l) => sum + Math.round(l.LineAmount * 100), 0), 0);
    assert.equal(journal.Status, 'POSTED');
    assert.equal(journal.Date, '2027-06-20');
    assert.equal(journal.Narration, 'Expired gift voucher GV-7KQ2-M9XD (Sale TILL-012) written off', 'the sale by its one name, never "sale 12"');
  });

  it('says "written off automatically" when the organisation\'s schedule wrote it off (the audit trail keeps the narration)', () => {
    assert.equal(voucherJournal({ ...voucher, automatic: true }, 'Sale TILL-012', { liability: '837', revenue: '260' }, '2027-06-20').Narration, 'Expired gift voucher GV-7KQ2-M9XD (Sale TILL-012) written off automatically');
  });

  it('a voucher line credits the liability with NONE by default; a redemption is paid from it; none set names the setting', () => {
    const set = resolveMappingRows(1, [{ kind: 'voucher_account', key: '', value: '837' }]);
    const line = { category: 'Gifts', taxCode: null, kind: 'voucher' as const };
    assert.deepEqual(resolveAccount(line, set), { value: '837', level: 'organisation', key: 'voucher' });
    assert.deepEqual(resolveTaxType(line, set), { value: 'NONE', level: 'built_in', key: 'voucher' });
    assert.deepEqual(resolvePaymentAccount('gift_voucher', 'GBP', set), { Code: '837' });
    const mapped = resolveMappingRows(1, [{ kind: 'voucher_account', key: '', value: '837' }, { kind: 'method_account', key: 'gift_voucher', value: '838' }]);
    assert.deepEqual(resolvePaymentAccount('gift_voucher', 'GBP', mapped), { Code: '838' }, 'an explicit method mapping wins');
    const none = resolveMappingRows(1, []);
    assert.throws(() => resolveAccount(line, none), (err: unknown) => err instanceof MappingToFixError && err.note === 'Mapping to fix: gift voucher liability account (none) (Xero settings, Gift vouchers)');
    assert.throws(() => resolvePaymentAccount('gift_voucher', 'GBP', none), MappingToFixError);
  });
});
