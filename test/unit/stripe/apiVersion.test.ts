// The product's Stripe client is pinned: every call it makes says Stripe-Version 2023-08-16 (the version
// the plugin is written for, the emulator implements and the conformance spec describes), not the stripe
// package's own newest version. The request is caught by a local HTTP server that answers like Stripe.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { STRIPE_API_VERSION, stripeClient } from '../../../plugins/stripe/client';
import { StripeConfigSchema } from '../../../plugins/stripe/config';
import { IMPLEMENTED_STRIPE_VERSION } from '../../../emulators/stripe/version';

describe('the product\'s Stripe API version', () => {
  const seen: (string | undefined)[] = [];
  let server: http.Server;
  let base: string;
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers['stripe-version'] as string | undefined);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 'acct_1', object: 'account' }));
    });
    server.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('is 2023-08-16, the version the Stripe emulator implements', () => {
    assert.equal(STRIPE_API_VERSION, '2023-08-16');
    assert.equal(STRIPE_API_VERSION, IMPLEMENTED_STRIPE_VERSION);
  });

  it('is sent by the plugin\'s client on every call, where the unpinned package would send its own', async () => {
    const config = StripeConfigSchema.parse({ STRIPE_API_BASE: base });
    await stripeClient(config, 'sk_test_pinned').accounts.retrieveCurrent();
    assert.deepEqual(seen, [STRIPE_API_VERSION]);
    const unpinned = new Stripe('sk_test_unpinned', { host: '127.0.0.1', port: Number(new URL(base).port), protocol: 'http', maxNetworkRetries: 0 });
    await unpinned.accounts.retrieveCurrent();
    assert.notEqual(seen[1], STRIPE_API_VERSION, 'the package left alone asks for another version: the pin is what makes it 2023-08-16');
  });
});
