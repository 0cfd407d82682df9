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

  it('refuses a method two sources declare', () => {
    assert.throws(() => createPaymentMethodCatalogue([{ id: 'stripe', label: 'Stripe' }], [{ id: 'stripe', title: 'Stripe', paymentMethods: [{ id: 'stripe', label: 'Card' }] }]), /declared by both host and stripe/);
  });
});
