// The emulators' addresses, as the demo prints them, open a page a person can read (issue 14: they answered
// "Cannot GET /"): Stripe's and GoCardless's say what they are and where the API is; Xero's opens its portal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { createStripeEmulator } from '../../emulators/stripe/app';
import { createGoCardlessEmulator } from '../../emulators/gocardless/app';
import { createXeroEmulator } from '../../emulators/xero/app';

test('GET / on each emulator is a readable page', async () => {
  const stripe = createStripeEmulator();
  const gocardless = createGoCardlessEmulator();
  const xero = createXeroEmulator();
  try {
    const s = await request(stripe.app).get('/').expect(200).expect('content-type', /html/);
    assert.match(s.text, /<h1>Stripe emulator<\/h1>[\s\S]*STRIPE_API_BASE/);
    const g = await request(gocardless.app).get('/').expect(200).expect('content-type', /html/);
    assert.match(g.text, /<h1>GoCardless emulator<\/h1>[\s\S]*GOCARDLESS_API_BASE/);
    await request(xero.app).get('/').expect(302).expect('location', '/portal');
    assert.match((await request(xero.app).get('/portal').expect(200)).text, /<h1>My apps<\/h1>/);
  } finally {
    await stripe.close();
    await gocardless.close();
    await xero.close();
  }
});
