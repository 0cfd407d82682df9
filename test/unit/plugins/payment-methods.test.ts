// The install's payment-method catalogue (server/plugins/paymentMethods.ts): the host's own methods plus
// each plugin's, and the provider's name downstream records are called by ("Stripe clearing").
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPaymentMethodCatalogue, pluginOnlyRefusal, recordableByPeople } from '../../../server/plugins/paymentMethods';
import { methodChoices } from '../../../server/domain/organisationMethods';

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

  describe("a method only its plugin records (recordedBy: 'plugin', e.g. Paid in Xero)", () => {
    const withXero = createPaymentMethodCatalogue([{ id: 'cash', label: 'Cash' }], [
      { id: 'xero', title: 'Xero', paymentMethods: [{ id: 'xero', label: 'Paid in Xero', recordedBy: 'plugin', recordedByReason: 'payments in Xero are brought back by the Xero plugin' }] },
      { id: 'stripe', title: 'Stripe', paymentMethods: [{ id: 'stripe', label: 'Stripe card payment', settledByPayouts: true }] },
    ], async () => [{ id: 'cheque', label: 'Cheque', enabled: true }]);

    it('keeps recordedBy in the catalogue; people may record every other method', () => {
      assert.equal(withXero.get('xero')?.recordedBy, 'plugin');
      assert.deepEqual(withXero.list().filter(recordableByPeople).map((m) => m.id), ['cash', 'stripe']);
    });

    it("is not among people's choices but is refused with why; the plugin's own path may name it", async () => {
      const people = await methodChoices(withXero, {} as never, 1);
      assert.deepEqual(people.enabled, ['cash', 'stripe', 'cheque']);
      assert.deepEqual([...people.pluginOnly.keys()], ['xero']);
      assert.match(people.pluginOnly.get('xero')!, /^payments in Xero are brought back by the Xero plugin; record a payment taken here with the method it was paid by$/);
      const plugin = await methodChoices(withXero, {} as never, 1, { recordedBy: 'plugin' });
      assert.deepEqual(plugin.enabled, ['cash', 'xero', 'stripe', 'cheque']);
      assert.equal(plugin.pluginOnly.size, 0);
    });

    it('says who records it when the plugin gives no reason', () => {
      const bare = createPaymentMethodCatalogue([], [{ id: 'acme', title: 'Acme', paymentMethods: [{ id: 'acme', label: 'Paid in Acme', recordedBy: 'plugin' }] }]);
      assert.equal(pluginOnlyRefusal(bare.get('acme')!), 'Paid in Acme payments are recorded only by Acme; record a payment taken here with the method it was paid by');
    });

    it("refuses a host method marked recordedBy 'plugin' at boot: the host has no plugin path to record it", () => {
      assert.throws(() => createPaymentMethodCatalogue([{ id: 'cash', label: 'Cash', recordedBy: 'plugin' }], []), /the host: payment method "cash" cannot be recordedBy 'plugin'/);
    });
  });

  it('refuses a method two sources declare', () => {
    assert.throws(() => createPaymentMethodCatalogue([{ id: 'stripe', label: 'Stripe' }], [{ id: 'stripe', title: 'Stripe', paymentMethods: [{ id: 'stripe', label: 'Card' }] }]), /declared by both host and stripe/);
  });
});
