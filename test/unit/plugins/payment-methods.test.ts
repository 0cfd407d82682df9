// The install's payment-method catalogue (server/plugins/paymentMethods.ts): the host's own methods plus
// each plugin's, and the provider's name downstream records are called by ("Stripe clearing").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPaymentMethodCatalogue } from '../../../server/plugins/paymentMethods';

describe('payment method catalogue', () => {
  const catalogue = createPaymentMethodCatalogue([{ id: 'cash', label: 'Cash' }], [
    { id: 'stripe', title: 'Stripe', paymentMethods: [{ id: 'stripe', label: 'Stripe card payment', settledByPayouts: true }] },
  ]);

  it("names a plugin's method's provider by the plugin's title, not the method's label", () => {
    assert.deepEqual(catalogue.get('stripe'), { id: 'stripe', label: 'Stripe card payment', settledByPayouts: true, source: 'stripe', providerName: 'Stripe' });
  });

  it("names the host's own method by its label, settled at the desk", () => {
    assert.deepEqual(catalogue.get('cash'), { id: 'cash', label: 'Cash', settledByPayouts: false, source: 'host', providerName: 'Cash' });
  });

  it("lists an organisation's own methods after the install's, disabled ones marked; an install's id wins", async () => {
    const own = createPaymentMethodCatalogue([{ id: 'cash', label: 'Cash' }], [], async (_db, orgId) => (orgId === 7
      ? [{ id: 'cheque', label: 'Cheque', enabled: true }, { id: 'classpass', label: 'ClassPass', enabled: false }, { id: 'cash', label: 'Till cash', enabled: true }]
      : []));
    const methods = await own.ofOrganisation({} as never, 7);
    assert.deepEqual(methods.map((m) => [m.id, m.label, m.custom, m.enabled]), [
      ['cash', 'Cash', false, true], ['cheque', 'Cheque', true, true], ['classpass', 'ClassPass', true, false],
    ]);
    assert.deepEqual((await own.ofOrganisation({} as never, 8)).map((m) => m.id), ['cash'], "another organisation's are not listed");
    assert.equal(own.get('cheque'), undefined, "the install's catalogue holds no organisation's method");
  });

  it('refuses a method two sources declare', () => {
    assert.throws(() => createPaymentMethodCatalogue([{ id: 'stripe', label: 'Stripe' }], [{ id: 'stripe', title: 'Stripe', paymentMethods: [{ id: 'stripe', label: 'Card' }] }]), /declared by both host and stripe/);
  });
});
