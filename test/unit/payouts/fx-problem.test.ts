// Why a known sale's converted charge or refund cannot be paid at the provider's rate (plugins/xero/payouts/fx.ts
// conversionProblem): the payout's failure names the sale by its one name ("Sale TILL-016"), never "sale 16".
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { conversionProblem } from '../../../plugins/xero/payouts/fx';
import type { PayoutLineView, PayoutView } from '../../../server/plugins/contract';

const payout = { id: 3, orgId: 1, provider: 'stripe', currency: 'GBP' } as PayoutView;
const line = (over: Partial<PayoutLineView>): PayoutLineView => ({
  id: 9, payoutId: 3, position: 0, sourceId: 'txn_1', kind: 'charge', amountMinor: 7_900, feeMinor: 0, feeTaxMinor: 0, chargeRef: 'ch_1',
  saleId: 16, counterpartyName: null, counterpartyEmail: null, description: null, reference: null, occurredAt: 0,
  originalAmountMinor: 10_000, originalCurrency: 'USD', exchangeRate: '0.79', ...over,
});

describe('conversionProblem', () => {
  it('names the sale by the name it is given when the provider reported no conversion, or another currency', () => {
    assert.equal(conversionProblem(payout, line({ originalAmountMinor: null, originalCurrency: null }), 'USD', 'Sale TILL-016'),
      'Sale TILL-016 is in USD, the payout in GBP, and stripe reported no conversion for this line: post it by hand');
    assert.equal(conversionProblem(payout, line({ originalCurrency: 'EUR' }), 'USD', 'Sale TILL-016'),
      'Sale TILL-016 is in USD but stripe converted this charge from EUR: post it by hand');
  });

  it('has nothing to say about a charge converted from the sale\'s currency, and refuses a refund of the wrong sign', () => {
    assert.equal(conversionProblem(payout, line({}), 'USD', 'Sale TILL-016'), null);
    assert.equal(conversionProblem(payout, line({ kind: 'refund' }), 'USD', 'Sale TILL-016'), 'refund ch_1 has no negative amount to convert');
  });
});
