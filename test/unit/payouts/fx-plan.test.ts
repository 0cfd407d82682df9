// Currency conversion in the payout posting: the Xero CurrencyRate from the provider's two amounts, the
// converted charge's Payment, the rounding step when no 6-dp rate books the settled amount exactly, and
// the host's validation of a line's conversion fields.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPayoutPlan, conversionPaymentStep, conversionRate, type BankTransactionStep, type PlanInput, type PlanLine } from '../../../plugins/xero/payouts/plan';
import { validatePayoutInput } from '../../../server/payouts/record';
import type { PayoutInput, PayoutLineInput } from '../../../server/plugins/contract';

const t0 = Date.UTC(2026, 0, 5);
/** What Xero books into the bank account: Amount / CurrencyRate at 2 dp, half away from zero (cents in, cents out). */
const xeroBank = (amountCents: number, rate: string): number => {
  const [w, f = ''] = rate.split('.');
  const scaled = BigInt(w! + f.padEnd(6, '0'));
  return Number((BigInt(amountCents) * 2_000_000n + scaled) / (scaled * 2n));
};

describe('conversion rate (Xero CurrencyRate from the provider\'s amounts)', () => {
  it('gives invoice-currency units per payout unit and books the settled amount exactly', () => {
    // $100.00 settled as £79.00 (Stripe exchange_rate 0.79): 1.265823 USD per GBP.
    assert.deepEqual(conversionRate(10_000, 'USD', 7_900, 'GBP'), { currencyRate: '1.265823', bankAmountMinor: 7_900 });
    assert.equal(xeroBank(10_000, '1.265823'), 7_900);
    // EUR on a GBP account, awkward amounts.
    const r = conversionRate(12_345, 'EUR', 10_617, 'GBP');
    assert.equal(xeroBank(12_345, r.currencyRate), 10_617);
    assert.equal(r.bankAmountMinor, 10_617);
    // A zero-decimal currency: ¥5,000 settled as £26.35.
    const jpy = conversionRate(5_000, 'JPY', 2_635, 'GBP');
    assert.equal(xeroBank(500_000, jpy.currencyRate), 2_635);
  });

  it('finds an exact 6-dp rate whenever the settled amount is below CurrencyRate × 10,000 (£10,000 at a rate of 1)', () => {
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648);
    for (let i = 0; i < 3_000; i++) {
      const settled = 50 + (next() % 999_000);
      const rate = 0.5 + (next() % 1_500) / 1_000; // 0.5 … 2.0 GBP per unit of the charge's currency
      const original = Math.max(1, Math.round(settled / rate));
      if (settled >= (original / settled) * 1_000_000) continue;
      const c = conversionRate(original, 'USD', settled, 'GBP');
      assert.equal(c.bankAmountMinor, settled, `${original} → ${settled} at ${c.currencyRate}`);
      assert.equal(xeroBank(original, c.currencyRate), settled);
      assert.match(c.currencyRate, /^\d+(\.\d{1,6})?$/);
    }
  });

  it('says what Xero will book when no 6-dp rate is exact (a very large charge)', () => {
    let inexact = 0;
    // About £200,000: one step of the 6th decimal moves Xero's booking by some 16p.
    for (let settled = 19_754_301; settled < 19_754_401; settled++) {
      const original = Math.round(settled * 1.2345678);
      const c = conversionRate(original, 'USD', settled, 'GBP');
      assert.equal(c.bankAmountMinor, xeroBank(original, c.currencyRate), 'bankAmountMinor is what Xero books');
      assert.ok(Math.abs(c.bankAmountMinor - settled) <= Math.ceil(settled / 1_234_567.8 / 2), `${c.bankAmountMinor} vs ${settled}: within half a 6th-decimal step`);
      if (c.bankAmountMinor !== settled) inexact++;
    }
    assert.ok(inexact > 0, 'at this size some amounts have no exact 6-dp rate');
  });

  it('refuses amounts that are not positive', () => {
    assert.throws(() => conversionRate(0, 'USD', 100, 'GBP'), RangeError);
    assert.throws(() => conversionRate(100, 'USD', -5, 'GBP'), RangeError);
  });
});

const line = (id: number, over: Partial<PlanLine> = {}): PlanLine => ({ id, kind: 'charge', amountMinor: 7_900, feeMinor: 277, feeTaxMinor: 0, saleId: 41, sourceId: `txn_${id}`, chargeRef: `ch_${id}`, description: null, occurredAt: t0, originalAmountMinor: 10_000, originalCurrency: 'USD', ...over });
const input = (over: Partial<PlanInput> = {}): PlanInput => ({
  payout: { id: 9, provider: 'stripe', providerName: 'Stripe', providerPayoutId: 'po_fx', currency: 'GBP', amountMinor: 7_623, arrivalDate: '2026-01-08' },
  lines: [line(1)],
  settings: { bankAccountCode: '090', feesAccountCode: '404', feeTaxType: 'INPUT2', suspenseAccountCode: '260', disputeAccountCode: null, threshold: 85, roundingAccountCode: '861' },
  clearingAccountId: 'clr', hostSide: new Map(), matches: new Map(), posted: new Set(), ...over,
});

describe('payout plan with a converted charge', () => {
  it('the converted Payment: invoice currency amount, the provider\'s rate, into clearing, booked at the settled amount', () => {
    const step = conversionPaymentStep(input().payout, line(1) as PlanLine & { originalAmountMinor: number; originalCurrency: string }, 'inv-usd', 'clr', '2026-01-05');
    assert.equal(step.key, 'L1');
    assert.equal(step.type, 'payment');
    assert.equal(step.amountMinor, 7_900, 'what reaches clearing, in the payout currency');
    assert.deepEqual((step as { payment: unknown }).payment, {
      Invoice: { InvoiceID: 'inv-usd' }, Account: { AccountID: 'clr' }, Date: '2026-01-05', Amount: 100, CurrencyRate: 1.265823, Reference: 'LBP9-L1 po_fx',
    });
  });

  it('once in Xero at the settled amount: nothing more, and the transfer equals the payout', () => {
    const plan = buildPayoutPlan(input({ hostSide: new Map([[1, { state: 'in_xero', bankAmountMinor: 7_900 }]]) }));
    assert.deepEqual(plan.steps.map((s) => s.key), ['FEES']);
    assert.equal(plan.transfer?.amountMinor, -7_623);
    // Clearing: +7,900 (the Payment) − 277 (fees) − 7,623 (transfer) = 0.
    assert.equal(7_900 + plan.steps.reduce((s, x) => s + x.amountMinor, 0) + plan.transfer!.amountMinor, 0);
    // BankTransfer.CurrencyRate is read-only in Xero's spec: the transfer never sends one.
    const transfer = plan.transfer as { type: string; transfer?: Record<string, unknown> };
    assert.equal(transfer.type, 'bank_transfer');
    assert.equal('CurrencyRate' in transfer.transfer!, false);
  });

  it('a penny Xero could not book at 6 dp moves between clearing and the rounding account', () => {
    const short = buildPayoutPlan(input({ hostSide: new Map([[1, { state: 'in_xero', bankAmountMinor: 7_899 }]]) }));
    const fx = short.steps.find((s) => s.key === 'FX1')!;
    assert.equal(fx.amountMinor, 1);
    const txn = (fx as BankTransactionStep).transaction;
    assert.equal(txn.Type, 'RECEIVE');
    assert.deepEqual(txn.LineItems[0]!.AccountCode, '861');
    assert.equal(7_899 + short.steps.reduce((s, x) => s + x.amountMinor, 0) + short.transfer!.amountMinor, 0, 'clearing nets to zero');
    const over = buildPayoutPlan(input({ hostSide: new Map([[1, { state: 'in_xero', bankAmountMinor: 7_902 }]]) }));
    const spend = over.steps.find((s) => s.key === 'FX1')!;
    assert.equal(spend.amountMinor, -2);
    assert.equal((spend as BankTransactionStep).transaction.Type, 'SPEND');
  });

  it('no rounding account: the suspense account; neither: the line fails and no transfer is offered', () => {
    const toSuspense = buildPayoutPlan(input({ settings: { ...input().settings, roundingAccountCode: null }, hostSide: new Map([[1, { state: 'in_xero', bankAmountMinor: 7_899 }]]) }));
    assert.equal((toSuspense.steps.find((s) => s.key === 'FX1') as BankTransactionStep).transaction.LineItems[0]!.AccountCode, '260');
    const none = buildPayoutPlan(input({ settings: { ...input().settings, roundingAccountCode: null, suspenseAccountCode: null }, hostSide: new Map([[1, { state: 'in_xero', bankAmountMinor: 7_899 }]]) }));
    assert.equal(none.failed.length, 1);
    assert.match(none.failed[0]!.reason, /rounding account/);
    assert.equal(none.transfer, null);
  });

  it('while the conversion is on its way the transfer waits', () => {
    const plan = buildPayoutPlan(input({ hostSide: new Map([[1, { state: 'waiting', reason: 'converting' }]]) }));
    assert.equal(plan.transfer, null);
    assert.deepEqual(plan.waiting, [{ lineId: 1, reason: 'converting' }]);
  });
});

describe('payout line conversion fields (host validation)', () => {
  const payout = (over: Partial<PayoutLineInput>): PayoutInput => ({
    provider: 'stripe', accountRef: 'acct_1', providerPayoutId: 'po_1', currency: 'GBP', amountMinor: 7_900n, arrivalDate: '2026-01-08',
    lines: [{ sourceId: 'txn_1', kind: 'charge', amountMinor: 7_900n, feeMinor: 0n, feeTaxMinor: 0n, chargeRef: 'ch_1', saleId: null, counterpartyName: null, counterpartyEmail: null, description: null, reference: null, occurredAt: t0, ...over }],
  });
  const issues = (p: PayoutInput): string[] => {
    try {
      validatePayoutInput(p, ['stripe', 'gocardless']);
      return [];
    } catch (err) {
      return ((err as { issues?: { path: string; message: string }[] }).issues ?? []).map((i) => `${i.path}: ${i.message}`);
    }
  };

  it('accepts a line without them (as before) and a full conversion', () => {
    assert.deepEqual(issues(payout({})), []);
    assert.deepEqual(issues(payout({ originalAmountMinor: null, originalCurrency: null, exchangeRate: null })), []);
    assert.deepEqual(issues(payout({ originalAmountMinor: 10_000n, originalCurrency: 'USD', exchangeRate: '0.79' })), []);
    assert.deepEqual(issues(payout({ amountMinor: -7_900n, feeMinor: -15_800n, originalAmountMinor: -10_000n, originalCurrency: 'USD', exchangeRate: '0.000051234567' })), []);
  });

  it('refuses a partial, mis-signed or malformed conversion, naming the field', () => {
    assert.match(issues(payout({ originalAmountMinor: 10_000n }))[0]!, /^lines\.0\.originalAmountMinor: .*all or none/);
    assert.match(issues(payout({ originalAmountMinor: -10_000n, originalCurrency: 'USD', exchangeRate: '0.79' }))[0]!, /^lines\.0\.originalAmountMinor: must have the same sign/);
    assert.match(issues(payout({ originalAmountMinor: 10_000n, originalCurrency: 'usd', exchangeRate: '0.79' }))[0]!, /^lines\.0\.originalCurrency: /);
    assert.match(issues(payout({ originalAmountMinor: 10_000n, originalCurrency: 'USD', exchangeRate: '7.9e-1' }))[0]!, /^lines\.0\.exchangeRate: /);
    assert.match(issues(payout({ originalAmountMinor: 10_000n, originalCurrency: 'USD', exchangeRate: '0' }))[0]!, /^lines\.0\.exchangeRate: /);
  });
});
