// Mapping resolution, defaults, and the checks against a Xero chart (pure: a hand-made catalogue shaped
// like the emulator's Demo Company (UK)).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { resolveMappingRows, parseDueDateRule } from '../../../plugins/xero/mappings/load';
import { resolveAccount, resolveMethodAccount, resolveTaxType, resolveTracking } from '../../../plugins/xero/mappings/resolve';
import { checkAccount, checkTaxType } from '../../../plugins/xero/mappings/validate';
import { checkSettingsForm, formFromRows, parseSettingsForm } from '../../../plugins/xero/mappings/form';
import type { Catalogue } from '../../../plugins/xero/mappings/catalogue';
import { PermanentError } from '../../../server/errors';

const account = (code: string, name: string, type: string, extra: Partial<Catalogue['accounts'][number]> = {}) => ({
  code, name, type, status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null, ...extra,
});
const rate = (taxType: string, r: string, sales: boolean) => ({
  taxType, name: taxType, status: 'ACTIVE', rate: r, canApplyToRevenue: sales, canApplyToExpenses: !sales || taxType === 'NONE',
  canApplyToAssets: true, canApplyToLiabilities: true, canApplyToEquity: true,
});
const UK: Catalogue = {
  organisationName: 'Demo Company (UK)',
  accounts: [
    account('090', 'Business Bank Account', 'BANK'), account('200', 'Sales', 'REVENUE'), account('260', 'Other Revenue', 'REVENUE'),
    account('270', 'Interest Income', 'REVENUE', { status: 'ARCHIVED' }), account('404', 'Bank Fees', 'OVERHEADS'),
    account('610', 'Accounts Receivable', 'CURRENT', { systemAccount: 'DEBTORS' }), account('860', 'Rounding', 'CURRLIAB', { systemAccount: 'ROUNDING' }),
    account('877', 'Stripe clearing', 'CURRENT', { enablePaymentsToAccount: true }),
  ],
  taxRates: [rate('OUTPUT2', '20', true), rate('RROUTPUT', '5', true), rate('INPUT2', '20', false), rate('NONE', '0', true)],
  tracking: [{ id: 'r', name: 'Region', status: 'ACTIVE', options: [{ id: 'n', name: 'North', status: 'ACTIVE' }, { id: 's', name: 'South', status: 'ARCHIVED' }] }],
  fetchedAt: 0,
};

describe('loadResolvedMappings (rows → mappings)', () => {
  it('fills safe defaults and says which came from built-ins', () => {
    const m = resolveMappingRows(1, []);
    assert.equal(m.defaultSalesAccountCode, '200');
    assert.equal(m.defaultTaxType, 'OUTPUT2');
    assert.deepEqual(m.methodAccountCodes, {});
    assert.equal(m.roundingAccountCode, null);
    assert.equal(m.invoiceStatus, 'AUTHORISED');
    assert.deepEqual(m.dueDateRule, { kind: 'on_receipt' });
    assert.deepEqual(m.builtInDefaults, ['defaultSalesAccountCode', 'defaultTaxType']);
    assert.deepEqual(resolveAccount({ category: null, taxCode: null }, m), { value: '200', level: 'built_in' });
  });

  it('reads every kind of row', () => {
    const m = resolveMappingRows(1, [
      { kind: 'default_sales_account', key: '', value: '260' },
      { kind: 'category_tax', key: 'swim', value: 'RROUTPUT' },
      { kind: 'method_account', key: 'stripe', value: '877' },
      { kind: 'method_account', key: 'mollie', value: '090' },
      { kind: 'category_tracking', key: 'swim', value: JSON.stringify([{ name: 'Region', option: 'North', trackingCategoryId: 'r', trackingOptionId: 'n' }]) },
      { kind: 'due_date_rule', key: '', value: 'day_of_following_month:20' },
      { kind: 'invoice_status', key: '', value: 'DRAFT' },
    ]);
    assert.equal(m.defaultSalesAccountCode, '260');
    assert.deepEqual(m.methodAccountCodes, { stripe: '877', mollie: '090' }, 'every mapped method id: whichever methods the install has');
    assert.deepEqual(m.dueDateRule, { kind: 'day_of_following_month', day: 20 });
    assert.equal(m.invoiceStatus, 'DRAFT');
    assert.deepEqual(resolveTaxType({ category: 'swim', taxCode: null }, m), { value: 'RROUTPUT', level: 'category', key: 'swim' });
    assert.equal(resolveTracking({ category: 'swim', taxCode: null }, m).value[0]?.option, 'North');
    assert.deepEqual(resolveAccount({ category: 'swim', taxCode: null }, m), { value: '260', level: 'organisation' });
  });

  it('a payment method with no account is a PermanentError for the admin', () => {
    const m = resolveMappingRows(1, []);
    assert.throws(() => resolveMethodAccount('gocardless', m), (err: unknown) => err instanceof PermanentError && err.message === "No account mapped for payment method 'gocardless': set it in Xero settings");
  });

  it('parses due date rules defensively', () => {
    assert.deepEqual(parseDueDateRule('days_after:30'), { kind: 'days_after', days: 30 });
    assert.deepEqual(parseDueDateRule('days_after:-1'), { kind: 'on_receipt' });
    assert.deepEqual(parseDueDateRule('nonsense'), { kind: 'on_receipt' });
  });
});

describe('checks against the chart', () => {
  it('names the bad account and why', () => {
    assert.equal(checkAccount('999', 'sales', UK).issue, 'Account 999 does not exist in Xero (Demo Company (UK))');
    assert.equal(checkAccount('270', 'sales', UK).issue, 'Account 270 (Interest Income) is archived in Xero (Demo Company (UK))');
    assert.match(checkAccount('200', 'payments', UK).issue ?? '', /^Account 200 is a REVENUE account: payments need a bank account/);
    assert.equal(checkAccount('877', 'payments', UK).issue, undefined, 'payments-enabled accounts are fine');
    assert.match(checkAccount('090', 'sales', UK).issue ?? '', /^Account 090 is a BANK account/);
    assert.match(checkAccount('860', 'rounding', UK).issue ?? '', /system account/);
    assert.equal(checkAccount('404', 'rounding', UK).issue, undefined);
  });

  it('names the bad tax type', () => {
    assert.equal(checkTaxType('OUTPUT9', undefined, UK), 'Tax type OUTPUT9 does not exist in Xero (Demo Company (UK))');
    assert.match(checkTaxType('INPUT2', UK.accounts[1], UK) ?? '', /^Tax type INPUT2 .*not a sales tax rate/);
    assert.equal(checkTaxType('rroutput', UK.accounts[1], UK), undefined);
  });
});

describe('the settings form', () => {
  // The install's payment methods (ctx.paymentMethods): each gets an account field.
  const METHODS = ['cash', 'card_terminal', 'stripe', 'gocardless'];
  const body = (over: Record<string, string>) => ({ default_sales_account: '200', default_tax: 'OUTPUT2', method_account_stripe: '090', ...over });

  it('collects every issue with its field, and the rows to save when there are none', () => {
    const bad = checkSettingsForm(parseSettingsForm(body({ category_name_0: 'swim', category_account_0: '999', method_account_cash: '200', default_tracking1: 'r:s' }), METHODS), UK, []);
    assert.deepEqual(bad.issues.map((i) => i.field).sort(), ['category_account_0', 'default_tracking1', 'method_account_cash']);

    const good = checkSettingsForm(parseSettingsForm(body({ category_name_0: 'swim', category_tax_0: 'rroutput', default_tracking1: 'r:n' }), METHODS), UK, [
      { kind: 'tax_code_tax', key: 'kids', value: 'ZERORATEDOUTPUT' },
      { kind: 'method_account', key: 'cash', value: '091' },
    ]);
    assert.deepEqual(good.issues, []);
    const kinds = good.entries.map((e) => `${e.kind}:${e.key}=${e.value}`);
    assert.ok(kinds.includes('category_tax:swim=RROUTPUT'));
    assert.ok(kinds.includes('tax_code_tax:kids=ZERORATEDOUTPUT'), 'settings the form does not edit are kept');
    assert.ok(!kinds.includes('method_account:cash=091'), 'a method cleared on the form is removed');
    assert.ok(kinds.includes('tax_rate:RROUTPUT=5') && kinds.includes('tax_rate:OUTPUT2=20'));
  });

  it('checks a category tax against the category account', () => {
    const catalogue: Catalogue = { ...UK, accounts: [...UK.accounts, account('500', 'Misc costs', 'EXPENSE')] };
    const { issues } = checkSettingsForm(parseSettingsForm(body({ category_name_0: 'x', category_account_0: '404' }), METHODS), catalogue, []);
    assert.equal(issues[0]?.field, 'category_account_0');
    assert.match(issues[0]?.message ?? '', /Account 404 is a OVERHEADS account/);
  });

  it('refuses the same tracking category twice on a line, and bad due-date numbers', () => {
    const { issues } = checkSettingsForm(parseSettingsForm(body({ default_tracking1: 'r:n', default_tracking2: 'r:n', due_rule_kind: 'days_after', due_rule_number: 'x' }), METHODS), UK, []);
    assert.deepEqual(issues.map((i) => i.field), ['default_tracking2', 'due_rule_number']);
  });

  it('lists sold and mapped categories once each on GET', () => {
    const form = formFromRows([{ kind: 'category_account', key: 'swim', value: '260' }], ['gym', 'swim'], METHODS);
    assert.deepEqual(form.categories.map((c) => [c.name, c.account]), [['gym', ''], ['swim', '260']]);
  });

  it("has an account per payment method of the install, whichever they are, and keeps their stored keys", () => {
    const methods = ['cash', 'voucher'];
    const form = formFromRows([{ kind: 'method_account', key: 'voucher', value: '091' }, { kind: 'method_account', key: 'stripe', value: '090' }], [], methods);
    assert.deepEqual(form.methods, { cash: '', voucher: '091' }, 'a method this install does not have is not on the form');
    const saved = checkSettingsForm(parseSettingsForm(body({ method_account_voucher: '877', method_account_cash: '090' }), methods), UK, []);
    assert.deepEqual(saved.issues, []);
    assert.deepEqual(saved.entries.filter((e) => e.kind === 'method_account').map((e) => `${e.key}=${e.value}`), ['cash=090', 'voucher=877'], 'stripe is not on this form: its field is not read');
  });
});
