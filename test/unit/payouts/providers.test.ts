// The payout settings follow the install's payment methods (ctx.paymentMethods): one bank account per
// method settled by provider payouts, whichever plugins bring them, stored as `bank_account:<method id>`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPaymentMethodCatalogue } from '../../../server/plugins/paymentMethods';
import { isSettledByPayouts, payoutProviders, providerNameOf, providerNamesText } from '../../../plugins/xero/clearing/providers';
import { checkPayoutSettings, payoutSettingKeys } from '../../../plugins/xero/payouts/settings';
import { fieldOf, parsePayoutSettingsForm } from '../../../plugins/xero/payouts/settingsPage';
import type { Catalogue } from '../../../plugins/xero/mappings/catalogue';

const install = (...plugins: { id: string; title: string; label: string }[]) => ({
  paymentMethods: createPaymentMethodCatalogue([{ id: 'cash', label: 'Cash' }], plugins.map((p) => ({
    id: p.id, title: p.title, paymentMethods: [{ id: p.id, label: p.label, settledByPayouts: true }],
  }))),
});
const stripeAndMollie = install({ id: 'stripe', title: 'Stripe', label: 'Stripe card payment' }, { id: 'mollie', title: 'Mollie', label: 'Mollie iDEAL' });

const chart: Catalogue = {
  organisationName: 'Demo Company (UK)',
  accounts: [
    { code: '090', name: 'Business Bank Account', type: 'BANK', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null },
    { code: '200', name: 'Sales', type: 'REVENUE', status: 'ACTIVE', enablePaymentsToAccount: false, systemAccount: null },
  ],
  taxRates: [], tracking: [], fetchedAt: 0,
};

describe('payout providers of the install', () => {
  it('are the methods settled by payouts, named as their plugins are', () => {
    assert.deepEqual(payoutProviders(stripeAndMollie), [{ id: 'stripe', label: 'Stripe card payment', name: 'Stripe' }, { id: 'mollie', label: 'Mollie iDEAL', name: 'Mollie' }]);
    assert.equal(isSettledByPayouts(stripeAndMollie, 'mollie'), true);
    assert.equal(isSettledByPayouts(stripeAndMollie, 'cash'), false);
    assert.equal(isSettledByPayouts(stripeAndMollie, 'gocardless'), false, 'not installed: not a provider here');
    assert.equal(isSettledByPayouts(stripeAndMollie, null), false);
    assert.equal(providerNameOf(stripeAndMollie, 'gocardless'), 'gocardless', 'a provider the install no longer has keeps its id');
    assert.equal(providerNamesText(stripeAndMollie), 'Stripe and Mollie');
    assert.equal(providerNamesText(install()), 'payment provider');
  });

  it('each get a bank account setting, read from the form and checked against the chart', () => {
    const keys = payoutSettingKeys(stripeAndMollie);
    assert.deepEqual(keys.slice(0, 2), ['bank_account:stripe', 'bank_account:mollie']);
    const values = parsePayoutSettingsForm({ [fieldOf('bank_account:mollie')]: '200', [fieldOf('bank_account:gocardless')]: '090', bank_account_stripe: ' 090 ' }, keys);
    assert.equal(values['bank_account:stripe'], '090');
    assert.equal('bank_account:gocardless' in values, false, 'a provider the install does not have is not read');
    assert.deepEqual(checkPayoutSettings(values, chart), [{ field: 'bank_account:mollie', message: 'Account 200 is a REVENUE account: payouts land in a BANK account' }]);
  });
});
