// An organisation's own payment methods (server/domain/organisationMethods.ts): the id made from the name,
// and how a payment naming a disabled one is refused (saleSchemas.ts), naming the field.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { methodIdFor } from '../../../server/domain/organisationMethods';
import { validatePaymentInput, validateRefundInput, validateSaleInput } from '../../../server/domain/saleSchemas';
import { ValidationError } from '../../../server/errors';
import { METHOD_ID } from '../../../server/plugins/paymentMethods';

describe('organisation payment methods', () => {
  it('makes the API id from the name: lower case, digits and _, accents dropped, at most 32 characters', () => {
    assert.equal(methodIdFor('Cheque'), 'cheque');
    assert.equal(methodIdFor('  ClassPass '), 'classpass');
    assert.equal(methodIdFor('Gift card (old)'), 'gift_card_old');
    assert.equal(methodIdFor('Chèque-déjeuner'), 'cheque_dejeuner');
    assert.equal(methodIdFor('A very long name for a payment method indeed'), 'a_very_long_name_for_a_payment_m');
    assert.match(methodIdFor('A very long name for a payment method indeed'), METHOD_ID);
    assert.equal(methodIdFor('%%%'), '');
    assert.doesNotMatch(methodIdFor('2for1 vouchers'), METHOD_ID, 'an id must start with a letter: the name is refused');
  });

  const issues = (fn: () => unknown) => {
    try {
      fn();
    } catch (err) {
      assert.ok(err instanceof ValidationError);
      return err.issues;
    }
    assert.fail('accepted');
  };

  it('refuses a disabled method naming the field and saying it is disabled; an unknown one lists what is taken', () => {
    const enabled = ['cash', 'cheque'];
    assert.deepEqual(issues(() => validatePaymentInput({ method: 'classpass', amount: '5.00' }, 'GBP', enabled, Date.now(), ['classpass'])), [
      { path: 'method', message: 'classpass is disabled for this organisation (an admin can enable it under Payment methods)' },
    ]);
    assert.deepEqual(issues(() => validatePaymentInput({ method: 'paypal', amount: '5.00' }, 'GBP', enabled, Date.now(), ['classpass'])), [
      { path: 'method', message: 'must be one of cash, cheque' },
    ]);
    const sale = { currency: 'GBP', customer: { name: 'A' }, lines: [{ description: 'Class', quantity: 1, unitPrice: '5.00' }], payments: [{ method: 'classpass', amount: '5.00' }] };
    assert.deepEqual(issues(() => validateSaleInput(sale, enabled, Date.now(), ['classpass'])).map((i) => i.path), ['payments.0.method']);
    assert.equal(validateSaleInput({ ...sale, payments: [{ method: 'cheque', amount: '5.00' }] }, enabled).payments[0]!.method, 'cheque');
  });

  it('refuses a method only its plugin records naming the field, saying why and what people may choose', () => {
    const enabled = ['cash', 'cheque'];
    const pluginOnly = new Map([['xero', 'payments in Xero are brought back by the Xero plugin; record a payment taken here with the method it was paid by']]);
    const why = 'xero: payments in Xero are brought back by the Xero plugin; record a payment taken here with the method it was paid by: one of cash, cheque';
    assert.deepEqual(issues(() => validatePaymentInput({ method: 'xero', amount: '5.00' }, 'GBP', enabled, Date.now(), [], pluginOnly)), [{ path: 'method', message: why }]);
    const sale = { currency: 'GBP', customer: { name: 'A' }, lines: [{ description: 'Class', quantity: 1, unitPrice: '5.00' }], payments: [{ method: 'xero', amount: '5.00' }] };
    assert.deepEqual(issues(() => validateSaleInput(sale, enabled, Date.now(), [], pluginOnly)), [{ path: 'payments.0.method', message: why }]);
    assert.deepEqual(issues(() => validateRefundInput({ kind: 'full', method: 'xero' }, 'GBP', enabled, [], pluginOnly)).map((i) => i.path), ['method']);
  });
});
