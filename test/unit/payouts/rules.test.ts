// Payout rules, pure: which rule takes a line (first fitting in order, description equals trimmed and
// case-insensitive, amount range, provider/kind/currency), never a line that names anything of ours, the
// form's per-field checks, the chart checks, and the plan's RECEIVE to the rule's account (or the line's
// failure when that account is gone from Xero).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkRuleAgainstChart, firstFittingRule, namesOurs, parseRuleForm, ruleForQueuedLine, ruleFits, type PayoutRule, type RuleForm, type RuleLine } from '../../../plugins/xero/payouts/rules';
import { lineMatchOf } from '../../../plugins/xero/payouts/matching';
import { buildPayoutPlan, type PlanInput } from '../../../plugins/xero/payouts/plan';
import type { Catalogue } from '../../../plugins/xero/mappings/catalogue';
import type { MatchRow } from '../../../plugins/xero/payouts/store';

const rule = (over: Partial<PayoutRule> = {}): PayoutRule => ({
  id: 1, position: 1, name: 'Card payments', provider: 'stripe', lineKind: 'charge', currency: 'GBP', description: 'Card payment',
  amountMinMinor: null, amountMaxMinor: null, accountCode: '260', taxType: 'NONE', enabled: true, ...over,
});
const line = (over: Partial<RuleLine> = {}): RuleLine => ({
  provider: 'stripe', currency: 'GBP', kind: 'charge', amountMinor: 4200, saleId: null, description: 'Card payment', reference: null, counterpartyEmail: null, ...over,
});
const open = [{ invoiceNumber: 'INV-12', contactEmail: 'ann@example.com' }];

describe('payout rules: which rule takes a line', () => {
  it('description equals, ignoring case and spaces at either end; nothing else about the text', () => {
    assert.equal(ruleFits(rule(), line({ description: '  CARD PAYMENT ' })), true);
    assert.equal(ruleFits(rule(), line({ description: 'Card payment 2' })), false, 'equals, not contains');
    assert.equal(ruleFits(rule(), line({ description: null })), false);
    assert.equal(ruleFits(rule({ description: '' }), line({ description: null })), true, 'an empty condition is a line without a description');
  });

  it('provider, kind, currency and the amount range (inclusive) must all fit; a disabled rule takes nothing', () => {
    assert.equal(ruleFits(rule(), line({ provider: 'gocardless' })), false);
    assert.equal(ruleFits(rule(), line({ kind: 'refund' })), false);
    assert.equal(ruleFits(rule(), line({ currency: 'EUR' })), false);
    assert.equal(ruleFits(rule({ amountMinMinor: 4200, amountMaxMinor: 4200 }), line()), true);
    assert.equal(ruleFits(rule({ amountMinMinor: 4201 }), line()), false);
    assert.equal(ruleFits(rule({ amountMaxMinor: 4199 }), line()), false);
    assert.equal(ruleFits(rule({ enabled: false }), line()), false);
  });

  it('the first fitting rule in order wins, whatever order the list comes in', () => {
    const rules = [rule({ id: 3, position: 3, accountCode: '270' }), rule({ id: 2, position: 2, amountMaxMinor: 100 }), rule({ id: 1, position: 5, accountCode: '200' })];
    assert.equal(firstFittingRule(rules, line())?.id, 3, 'position 2 does not fit the amount; position 3 is next');
    assert.equal(firstFittingRule(rules, line({ amountMinor: 50 }))?.id, 2);
    assert.equal(firstFittingRule([], line()), null);
  });

  it('a line that names a sale, an open invoice number or an open invoice\'s customer email is never a rule\'s', () => {
    assert.equal(namesOurs(line(), open), null);
    assert.match(namesOurs(line({ saleId: 9 }), open)!, /sales/);
    assert.match(namesOurs(line({ reference: 'Invoice inv-12' }), open)!, /INV-12/);
    assert.match(namesOurs(line({ description: 'Card payment INV-12' }), open)!, /INV-12/);
    assert.equal(namesOurs(line({ reference: 'INV-123' }), open), null, 'INV-12 is not inside INV-123');
    assert.match(namesOurs(line({ counterpartyEmail: ' Ann@Example.com ' }), open)!, /email/);
    assert.equal(ruleForQueuedLine([rule()], line({ saleId: 9 }), open), null);
    assert.equal(ruleForQueuedLine([rule({ description: 'Invoice INV-12' })], line({ description: 'Invoice INV-12' }), open), null, 'even when a rule fits');
    assert.equal(ruleForQueuedLine([rule()], line({ counterpartyEmail: 'ann@example.com' }), open), null);
    assert.equal(ruleForQueuedLine([rule()], line(), open)?.id, 1);
  });
});

const form = (over: Partial<RuleForm> = {}): RuleForm => ({
  name: 'Card payments', provider: 'stripe', line_kind: 'charge', currency: 'gbp', description: ' Card payment ', amount_min: '', amount_max: '', account_code: '260', tax_type: 'none', ...over,
});

describe('payout rules: input', () => {
  it('a good form becomes a rule: trimmed, upper-cased codes, amounts in minor units', () => {
    const parsed = parseRuleForm(form({ amount_min: '10', amount_max: '99.5' }), ['stripe', 'gocardless']);
    assert.ok(parsed.ok);
    assert.deepEqual(parsed.rule, {
      name: 'Card payments', provider: 'stripe', lineKind: 'charge', currency: 'GBP', description: 'Card payment', amountMinMinor: 1000, amountMaxMinor: 9950, accountCode: '260', taxType: 'NONE',
    });
    const yen = parseRuleForm(form({ currency: 'JPY', amount_min: '500' }), ['stripe']);
    assert.ok(yen.ok && yen.rule.amountMinMinor === 500, 'JPY has no minor digits');
  });

  it('every bad field is named with its own message', () => {
    const parsed = parseRuleForm(form({ name: ' ', provider: 'paypal', line_kind: 'fee', currency: 'pounds', amount_min: '1,0', account_code: '', tax_type: '' }), ['stripe']);
    assert.ok(!parsed.ok);
    assert.deepEqual(parsed.issues.map((i) => i.field).sort(), ['account_code', 'amount_min', 'currency', 'line_kind', 'name', 'provider', 'tax_type']);
    const range = parseRuleForm(form({ amount_min: '20', amount_max: '10' }), ['stripe']);
    assert.ok(!range.ok);
    assert.deepEqual(range.issues, [{ field: 'amount_max', message: 'must not be below the lowest amount' }]);
    const digits = parseRuleForm(form({ currency: 'JPY', amount_max: '1.5' }), ['stripe']);
    assert.ok(!digits.ok);
    assert.equal(digits.issues[0]!.field, 'amount_max');
  });

  const cat: Catalogue = {
    organisationName: 'Demo', fetchedAt: 0, tracking: [],
    accounts: [
      { code: '260', name: 'Other Revenue', type: 'REVENUE', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null },
      { code: '270', name: 'Old income', type: 'REVENUE', status: 'ARCHIVED', enablePaymentsToAccount: false, systemAccount: null },
      { code: '090', name: 'Bank', type: 'BANK', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null },
      { code: '610', name: 'Accounts Receivable', type: 'CURRENT', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: 'DEBTORS' },
    ],
    taxRates: [
      { taxType: 'NONE', name: 'No VAT', status: 'ACTIVE', rate: '0', canApplyToRevenue: true, canApplyToExpenses: true, canApplyToAssets: true, canApplyToLiabilities: true, canApplyToEquity: true },
      { taxType: 'INPUT2', name: '20% (VAT on Expenses)', status: 'ACTIVE', rate: '20', canApplyToRevenue: false, canApplyToExpenses: true, canApplyToAssets: true, canApplyToLiabilities: true, canApplyToEquity: false },
    ],
  };

  it('the account and tax rate are checked against the chart', () => {
    assert.deepEqual(checkRuleAgainstChart('260', 'NONE', cat), []);
    assert.match(checkRuleAgainstChart('999', 'NONE', cat)[0]!.message, /Account 999 does not exist in Xero \(Demo\)/);
    assert.match(checkRuleAgainstChart('270', 'NONE', cat)[0]!.message, /archived/);
    assert.match(checkRuleAgainstChart('090', 'NONE', cat)[0]!.message, /bank account/);
    assert.match(checkRuleAgainstChart('610', 'NONE', cat)[0]!.message, /system account/);
    const tax = checkRuleAgainstChart('260', 'INPUT2', cat);
    assert.deepEqual(tax.map((i) => i.field), ['tax_type'], 'a purchases rate on an income account');
    assert.equal(checkRuleAgainstChart('260', 'BOGUS', cat)[0]!.field, 'tax_type');
  });
});

describe('payout rules in the plan', () => {
  const t0 = Date.UTC(2026, 0, 5);
  const input = (over: Partial<PlanInput> = {}): PlanInput => ({
    payout: { id: 7, provider: 'stripe', providerName: 'Stripe', providerPayoutId: 'po_1', currency: 'GBP', amountMinor: 4200 - 100, arrivalDate: '2026-01-08' },
    lines: [{ id: 1, kind: 'charge', amountMinor: 4200, feeMinor: 100, feeTaxMinor: 0, saleId: null, sourceId: 'txn_1', chargeRef: 'ch_1', description: 'Card payment', occurredAt: t0 }],
    settings: { bankAccountCode: '090', feesAccountCode: '404', feeTaxType: 'INPUT2', suspenseAccountCode: '260', disputeAccountCode: null, threshold: 85 },
    clearingAccountId: 'clr', hostSide: new Map(), matches: new Map(), posted: new Set(), ...over,
  });

  it('a line to an account is a RECEIVE into clearing to that account, tax-inclusive when taxed; the payout transfers', () => {
    const plan = buildPayoutPlan(input({ matches: new Map([[1, { status: 'account', accountCode: '200', taxType: 'OUTPUT2', ruleName: 'Card payments' }]]) }));
    const step = plan.steps.find((s) => s.key === 'L1')!;
    assert.equal(step.type, 'bank_transaction');
    assert.ok(step.type === 'bank_transaction');
    assert.equal(step.transaction.Type, 'RECEIVE');
    assert.equal(step.transaction.LineAmountTypes, 'Inclusive');
    assert.deepEqual(step.transaction.LineItems!.map((l) => [l.AccountCode, l.TaxType, l.UnitAmount]), [['200', 'OUTPUT2', 42]]);
    assert.equal(step.amountMinor, 4200);
    assert.ok(plan.transfer, 'nothing waits: the transfer is planned');
    const untaxed = buildPayoutPlan(input({ matches: new Map([[1, { status: 'account', accountCode: '260', taxType: 'NONE', ruleName: null }]]) }));
    const u = untaxed.steps.find((s) => s.key === 'L1')!;
    assert.ok(u.type === 'bank_transaction' && u.transaction.LineAmountTypes === 'NoTax');
  });

  it('an account gone from Xero fails the line with the reason, and holds the transfer; a posted line is left alone', () => {
    const gone = { status: 'account' as const, accountCode: '270', taxType: 'NONE', ruleName: 'Card payments', unavailable: 'payout rule "Card payments" posts to account 270, which is archived in Xero' };
    const plan = buildPayoutPlan(input({ matches: new Map([[1, gone]]) }));
    assert.deepEqual(plan.failed, [{ lineId: 1, reason: gone.unavailable }]);
    assert.equal(plan.steps.some((s) => s.key === 'L1'), false);
    assert.equal(plan.transfer, null);
    const posted = buildPayoutPlan(input({ matches: new Map([[1, gone]]), posted: new Set(['L1']) }));
    assert.deepEqual(posted.failed, []);
    assert.ok(posted.transfer);
  });

  it('a rule\'s decision follows the rule as it is now, and keeps its own account once the rule is deleted', () => {
    const row = { line_id: 1, payout_id: 7, status: 'rule', invoice_id: null, invoice_number: null, score: null, candidates: '[]', decided_by: 'rule:1', decided_at: 1, account_code: '270', tax_type: 'NONE', rule_id: 1, rule_name: 'Old name' } satisfies MatchRow;
    assert.deepEqual(lineMatchOf(row, [rule({ accountCode: '260', name: 'Card payments' })]), { status: 'account', accountCode: '260', taxType: 'NONE', ruleName: 'Card payments' });
    assert.deepEqual(lineMatchOf(row, []), { status: 'account', accountCode: '270', taxType: 'NONE', ruleName: 'Old name' });
    assert.deepEqual(lineMatchOf({ ...row, status: 'account', rule_id: null, rule_name: null }, [rule()]), { status: 'account', accountCode: '270', taxType: 'NONE', ruleName: null });
  });
});
