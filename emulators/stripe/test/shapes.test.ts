// 2023-08-16 shapes the emulator used to get wrong: a charge's `refunds` only when expanded (API ≥
// 2022-11-15), also not in the charge.refunded event; no balance.id / balance.created; no
// payment_intent.source; a card decline on a payment intent names the payment method it tried; the
// created filter of customer, payment intent and event lists.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { api, startEmulator, type Running } from './harness';

describe('Stripe emulator: 2023-08-16 shapes', () => {
  let run: Running;
  before(async () => {
    run = await startEmulator({ account: { country: 'GB' } });
  });
  after(async () => run.close());

  it('a charge carries its refunds only when expand[]=refunds names them, and its events never do', async () => {
    const pi = await run.stripe.paymentIntents.create({ amount: 4_000, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
    const chargeId = pi.latest_charge as string;
    const refund = await run.stripe.refunds.create({ charge: chargeId, amount: 1_500 });
    const plain = await api(run, 'GET', `/charges/${chargeId}`);
    assert.equal('refunds' in plain.body, false);
    assert.equal(plain.body.amount_refunded, 1_500);
    const listed = await api(run, 'GET', `/charges?payment_intent=${pi.id}`);
    assert.equal('refunds' in listed.body.data[0], false);
    const expanded = await run.stripe.charges.retrieve(chargeId, { expand: ['refunds'] });
    assert.deepEqual(expanded.refunds?.data.map((r) => r.id), [refund.id]);
    const expandedInList = await run.stripe.charges.list({ payment_intent: pi.id, expand: ['data.refunds'] });
    assert.equal(expandedInList.data[0]!.refunds?.data.length, 1);
    const refunded = (await run.stripe.events.list({ type: 'charge.refunded' })).data[0]!;
    assert.equal('refunds' in (refunded.data.object as object), false);
  });

  it('the balance has no id and no created; a payment intent has no source', async () => {
    const balance = await api(run, 'GET', '/balance');
    assert.equal('id' in balance.body, false);
    assert.equal('created' in balance.body, false);
    assert.equal(balance.body.object, 'balance');
    const pi = await api(run, 'POST', '/payment_intents', { amount: '1000', currency: 'gbp' });
    assert.equal(pi.status, 200);
    assert.equal('source' in pi.body, false);
  });

  it('lists customers, payment intents and events by created (the filter was accepted and ignored)', async () => {
    const customer = await run.stripe.customers.create({ email: 'created@example.test' });
    const at = customer.created;
    for (const list of [run.stripe.customers.list.bind(run.stripe.customers), run.stripe.paymentIntents.list.bind(run.stripe.paymentIntents), run.stripe.events.list.bind(run.stripe.events)]) {
      assert.equal((await list({ created: { gt: at } })).data.length, 0);
      assert.ok((await list({ created: { lte: at } })).data.length > 0);
    }
  });

  it('a card decline on a payment intent carries the payment method it tried, as well as the intent', async () => {
    await assert.rejects(run.stripe.paymentIntents.create({ amount: 2_000, currency: 'gbp', payment_method: 'pm_card_chargeDeclined', confirm: true }), (err: unknown) => {
      assert.ok(err instanceof Stripe.errors.StripeCardError, String(err));
      assert.equal(err.payment_method?.id, 'pm_card_chargeDeclined');
      assert.equal(err.payment_method?.object, 'payment_method');
      assert.equal(err.payment_intent?.status, 'requires_payment_method');
      assert.equal(err.payment_intent?.last_payment_error?.payment_method?.id, 'pm_card_chargeDeclined');
      return true;
    });
  });
});
