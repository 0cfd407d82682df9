// Tax codes from the booking system, the Xero plugin's side (pure): which codes a line may carry, how a
// code resolves to a Xero TaxType, the settings form's tax-code rows, and which mapping to fix when Xero
// refuses a code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveMappingRows } from '../../../plugins/xero/mappings/load';
import { MappingToFixError, resolveTaxType } from '../../../plugins/xero/mappings/resolve';
import { knownTaxCodes, type StoredTaxType } from '../../../plugins/xero/mappings/taxTypes';
import { mappingToFix } from '../../../plugins/xero/mappings/toFix';
import { checkSettingsForm, formFromRows, parseSettingsForm } from '../../../plugins/xero/mappings/form';
import type { Catalogue } from '../../../plugins/xero/mappings/catalogue';
import type { ResolvedMappings } from '../../../plugins/xero/mappings/types';

const stored = (taxType: string, name: string, extra: Partial<StoredTaxType> = {}): StoredTaxType => ({ taxType, name, status: 'ACTIVE', rate: '20', canApplyToRevenue: true, ...extra });
const TYPES = [stored('OUTPUT2', '20% (VAT on Income)'), stored('INPUT2', '20% (VAT on Expenses)', { canApplyToRevenue: false }), stored('TAX001', 'Old', { status: 'DELETED' }), stored('ZERORATEDOUTPUT', 'Zero Rated Income')];

describe('knownTaxCodes', () => {
  it('lists mapped codes labelled with their rate, then Xero\'s usable sales types not shadowed by a mapped code', () => {
    assert.deepEqual(knownTaxCodes({ STD: 'OUTPUT2', output2: 'ZERORATEDOUTPUT' }, TYPES), [
      { code: 'output2', label: 'Zero Rated Income (ZERORATEDOUTPUT)' },
      { code: 'STD', label: '20% (VAT on Income) (OUTPUT2)' },
      { code: 'ZERORATEDOUTPUT', label: "Zero Rated Income (Xero's own)" },
    ]);
  });
  it('sets no limit when nothing is mapped and Xero was never read', () => {
    assert.equal(knownTaxCodes({}, []), null);
    assert.deepEqual(knownTaxCodes({ STD: 'OUTPUT2' }, []), [{ code: 'STD', label: 'OUTPUT2' }]);
  });
});

describe('resolveTaxType with booking-system codes', () => {
  const m = (extra: Partial<ResolvedMappings> = {}): ResolvedMappings => ({ ...resolveMappingRows(1, [{ kind: 'tax_code_tax', key: 'STD', value: 'OUTPUT2' }]), ...extra });
  it('maps a code exactly, then ignoring case', () => {
    assert.deepEqual(resolveTaxType({ category: null, taxCode: 'STD' }, m()), { value: 'OUTPUT2', level: 'line', key: 'STD' });
    assert.deepEqual(resolveTaxType({ category: null, taxCode: ' std ' }, m()), { value: 'OUTPUT2', level: 'line', key: 'std' });
  });
  it('takes an unmapped code as Xero\'s own TaxType when Xero has it, or when Xero was never read', () => {
    assert.equal(resolveTaxType({ category: null, taxCode: 'zeroratedoutput' }, m({ xeroTaxTypes: ['OUTPUT2', 'ZERORATEDOUTPUT'] })).value, 'ZERORATEDOUTPUT');
    assert.equal(resolveTaxType({ category: null, taxCode: 'VAT20' }, m({ xeroTaxTypes: [] })).value, 'VAT20');
  });
  it('refuses a code that is neither mapped nor a Xero TaxType, naming the mapping to add', () => {
    assert.throws(() => resolveTaxType({ category: null, taxCode: 'VAT20' }, m({ xeroTaxTypes: ['OUTPUT2'] })), (err: unknown) => {
      assert.ok(err instanceof MappingToFixError);
      assert.match(err.message, /Tax code "VAT20" has no Xero tax rate/);
      assert.equal(err.note, 'Mapping to fix: tax code VAT20 → (none) (Xero settings, Tax codes)');
      return true;
    });
  });
});

describe('mappingToFix', () => {
  const coding = [
    { account: { value: '200', level: 'organisation' as const }, taxType: { value: 'TAX001', level: 'line' as const, key: 'RED' } },
    { account: { value: '260', level: 'category' as const, key: 'swim' }, taxType: { value: 'OUTPUT2', level: 'built_in' as const } },
    { account: { value: '860', level: 'organisation' as const, key: 'rounding' }, taxType: { value: 'NONE', level: 'organisation' as const, key: 'rounding' } },
  ];
  it('names the setting behind each code Xero refused', () => {
    assert.equal(mappingToFix(["The TaxType code 'TAX001' does not exist or cannot be used for this type of transaction."], coding),
      'Mapping to fix: tax code RED → TAX001 (Xero settings, Tax codes)');
    assert.equal(mappingToFix(["Account code '260' is not a valid code for this document.", "The TaxType code 'OUTPUT2' cannot be used with account code '260'."], coding),
      "Mapping to fix: category 'swim' account 260 (Xero settings, Per category); default tax rate (built-in OUTPUT2) (Xero settings, Organisation defaults)");
    assert.equal(mappingToFix(["Account code '860' is not a valid code for this document."], coding), 'Mapping to fix: rounding account 860 (Xero settings, Rounding)');
  });
  it('says nothing when the refusal is not about a mapped code', () => {
    assert.equal(mappingToFix(['The Contact is archived'], coding), undefined);
  });
});

describe('the settings form\'s tax codes', () => {
  const rate = (taxType: string, name: string, sales: boolean, status = 'ACTIVE') => ({
    taxType, name, status, rate: '20', canApplyToRevenue: sales, canApplyToExpenses: !sales, canApplyToAssets: true, canApplyToLiabilities: true, canApplyToEquity: true,
  });
  const cat: Catalogue = {
    organisationName: 'Demo Company (UK)', fetchedAt: 0, tracking: [],
    accounts: [{ code: '200', name: 'Sales', type: 'REVENUE', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null }],
    taxRates: [rate('OUTPUT2', '20% (VAT on Income)', true), rate('INPUT2', '20% (VAT on Expenses)', false), rate('TAX001', 'Old', true, 'DELETED')],
  };
  const body = (rows: [string, string][]) => Object.fromEntries(rows.flatMap(([c, t], i) => [[`tax_code_code_${i}`, c], [`tax_code_type_${i}`, t]]));

  it('saves each code with its checked rate; a blank row is skipped but keeps its index', () => {
    const form = parseSettingsForm(body([['', ''], ['STD', 'output2']]), []);
    const { issues, entries } = checkSettingsForm(form, cat, []);
    assert.deepEqual(issues, []);
    assert.deepEqual(entries.filter((e) => e.kind === 'tax_code_tax'), [{ kind: 'tax_code_tax', key: 'STD', value: 'OUTPUT2' }]);
  });
  it('refuses a missing, bad, twice-listed or unusable row at its own field', () => {
    const form = parseSettingsForm(body([['STD', 'OUTPUT2'], ['std', 'OUTPUT2'], ['', 'OUTPUT2'], ['BUY', 'INPUT2'], ['OLD', 'TAX001'], ['NEW', ''], ['<b>', 'OUTPUT2']]), []);
    const { issues } = checkSettingsForm(form, cat, []);
    assert.deepEqual(issues.map((i) => i.field), ['tax_code_code_1', 'tax_code_code_2', 'tax_code_type_3', 'tax_code_type_4', 'tax_code_type_5', 'tax_code_code_6']);
    assert.match(issues[0]!.message, /listed twice/);
    assert.match(issues[2]!.message, /Tax code BUY: Tax type INPUT2 .* is not a sales tax rate/);
    assert.match(issues[3]!.message, /Tax code OLD: Tax type TAX001 \(Old\) is deleted in Xero/);
  });
  it('a form without the section keeps the saved codes; the saved codes come back as rows', () => {
    const saved = [{ kind: 'tax_code_tax' as const, key: 'STD', value: 'OUTPUT2' }];
    const { entries } = checkSettingsForm(parseSettingsForm({}, []), cat, saved);
    assert.deepEqual(entries.filter((e) => e.kind === 'tax_code_tax'), saved);
    assert.deepEqual(formFromRows(saved, [], []).taxCodes, [{ code: 'STD', taxType: 'OUTPUT2' }]);
  });
});
