// A missing object named in a parameter is the request's fault: Stripe answers 400 resource_missing with
// that param (charge, payment_intent, customer, starting_after, ending_before, payout); 404 is only for
// the object in the URL (param id). Driven with the official client where it has the call, raw HTTP
// otherwise; nothing is created by a refused request.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { api, startEmulator, type Running } from './harness';

describe('Stripe emulator: missing objects named in parameters', () => {
  let run: Running;
  before(async () => {
    run = await startEmulator({ account: { country: 'GB' } });
  });
  after(async () => run.close());

  const refusedFor = (param: string, id: string) => (err: unknown): boolean => {
    assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError, String(err));
    assert.equal(err.statusCode, 400);
    assert.equal(err.code, 'resource_missing');
    assert.equal(err.param, param);
    assert.ok(err.message.includes(id), err.message);
    return true;
  };

  it('POST /v1/refunds with an unknown charge or payment intent → 400 naming the param', async () => {
    await assert.rejects(run.stripe.refunds.create({ charge: 'ch_unknown' }), refusedFor('charge', 'ch_unknown'));
    await assert.rejects(run.stripe.refunds.create({ payment_intent: 'pi_unknown' }), refusedFor('payment_intent', 'pi_unknown'));
    assert.equal((await run.stripe.refunds.list()).data.length, 0);
  });

  it('a payment intent or charge for an unknown customer → 400 customer, and no charge is made', async () => {
    await assert.rejects(run.stripe.paymentIntents.create({ amount: 1_000, currency: 'gbp', customer: 'cus_unknown', payment_method: 'pm_card_gb', confirm: true }), refusedFor('customer', 'cus_unknown'));
    await assert.rejects(run.stripe.charges.create({ amount: 1_000, currency: 'gbp', customer: 'cus_unknown', source: 'tok_visa' }), refusedFor('customer', 'cus_unknown'));
    await assert.rejects(run.stripe.paymentIntents.create({ amount: 1_000, currency: 'gbp', payment_method: 'pm_nothing', confirm: true }), refusedFor('payment_method', 'pm_nothing'));
    assert.equal((await run.stripe.charges.list()).data.length, 0);
  });

  it('an unknown list cursor → 400 starting_after / ending_before; an unknown payout filter → 400 payout', async () => {
    await run.stripe.paymentIntents.create({ amount: 1_000, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
    await assert.rejects(run.stripe.charges.list({ starting_after: 'ch_unknown' }), refusedFor('starting_after', 'ch_unknown'));
    await assert.rejects(run.stripe.charges.list({ ending_before: 'ch_unknown' }), refusedFor('ending_before', 'ch_unknown'));
    await assert.rejects(run.stripe.balanceTransactions.list({ payout: 'po_unknown' }), refusedFor('payout', 'po_unknown'));
  });

  it('the object in the URL is the only 404 (param id)', async () => {
    await assert.rejects(run.stripe.charges.retrieve('ch_unknown'), (err: unknown) => {
      assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, 'resource_missing');
      assert.equal(err.param, 'id');
      return true;
    });
    const raw = await api(run, 'POST', '/payment_intents/pi_unknown/confirm', { payment_method: 'pm_card_gb' });
    assert.equal(raw.status, 404);
    assert.equal(raw.body.error.param, 'id');
  });
});
