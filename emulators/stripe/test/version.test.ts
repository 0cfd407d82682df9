// The emulator answers in one Stripe API version (2023-08-16) and refuses the others loudly: the official
// stripe@23 client left unpinned asks for its own version and is refused with a 400 naming both; pinned
// (as the product pins it), or with no Stripe-Version at all (the account's default), it is answered, and
// every answer says the version it is in. A webhook endpoint cannot ask for events in another version.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { IMPLEMENTED_STRIPE_VERSION } from '../version';
import { api, startEmulator, type Running } from './harness';

describe('Stripe emulator: the API version', () => {
  let run: Running;
  before(async () => {
    run = await startEmulator({ account: { country: 'GB' } });
  });
  after(async () => run.close());

  const unpinned = (): Stripe => new Stripe(run.account.secretKey, { host: '127.0.0.1', port: run.port, protocol: 'http', maxNetworkRetries: 0 });

  it('refuses the stripe package\'s own version (unpinned) with a 400 naming it and the implemented one', async () => {
    const client = unpinned();
    assert.notEqual(client.getApiField('version'), IMPLEMENTED_STRIPE_VERSION, 'stripe@23 pins a later version of its own');
    await assert.rejects(client.balance.retrieve(), (err: unknown) => {
      assert.ok(err instanceof Stripe.errors.StripeInvalidRequestError);
      assert.equal(err.statusCode, 400);
      assert.ok(err.message.includes(String(client.getApiField('version'))), err.message);
      assert.ok(err.message.includes(IMPLEMENTED_STRIPE_VERSION), err.message);
      return true;
    });
  });

  it('answers a client pinned to 2023-08-16, and a request without Stripe-Version (the account default), saying the version', async () => {
    const balance = await run.stripe.balance.retrieve();
    assert.equal(balance.lastResponse.headers['stripe-version'], IMPLEMENTED_STRIPE_VERSION);
    const bare = await api(run, 'GET', '/balance');
    assert.equal(bare.status, 200);
    assert.equal(bare.headers.get('stripe-version'), IMPLEMENTED_STRIPE_VERSION);
    const explicit = await api(run, 'GET', '/balance', undefined, { 'stripe-version': IMPLEMENTED_STRIPE_VERSION });
    assert.equal(explicit.status, 200);
  });

  it('refuses a version that does not exist as Stripe does, and changes nothing on a refused write', async () => {
    const bogus = await api(run, 'GET', '/balance', undefined, { 'stripe-version': 'last-tuesday' });
    assert.equal(bogus.status, 400);
    assert.equal(bogus.body.error.type, 'invalid_request_error');
    assert.equal(bogus.body.error.message, 'Invalid Stripe API version: last-tuesday');
    const write = await api(run, 'POST', '/customers', { email: 'later@example.test' }, { 'stripe-version': '2024-09-30.acacia' });
    assert.equal(write.status, 400);
    assert.match(write.body.error.message, /2024-09-30\.acacia/);
    assert.equal((await api(run, 'GET', '/customers')).body.data.length, 0);
  });

  it('a webhook endpoint may ask for its events in the implemented version only', async () => {
    const later = await api(run, 'POST', '/webhook_endpoints', { url: 'http://127.0.0.1:9/hook', 'enabled_events[0]': 'payout.paid', api_version: '2026-10-28.endive' });
    assert.equal(later.status, 400);
    assert.equal(later.body.error.param, 'api_version');
    const same = await run.stripe.webhookEndpoints.create({ url: 'http://127.0.0.1:9/hook', enabled_events: ['payout.paid'], api_version: IMPLEMENTED_STRIPE_VERSION as Stripe.WebhookEndpointCreateParams.ApiVersion });
    assert.equal(same.api_version, IMPLEMENTED_STRIPE_VERSION);
  });
});
