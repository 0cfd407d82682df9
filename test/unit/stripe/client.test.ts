// Stripe's errors become the host's integration errors in one place (plugins/stripe/client.ts), which is
// what decides an outbox item's fate: an object Stripe does not have fails for good with Stripe's words, a
// refused key pauses, a busy or unreachable Stripe retries (honouring Retry-After).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Stripe from 'stripe';
import { AuthRevokedError, PermanentError, RetryableError } from '../../../server/errors';
import { callStripe } from '../../../plugins/stripe/client';

const failWith = (err: unknown) => callStripe('payout po_1', () => Promise.reject(err));

describe('callStripe: Stripe errors as integration errors', () => {
  it('404 resource_missing → PermanentError with Stripe\'s message and code', async () => {
    const err = new Stripe.errors.StripeInvalidRequestError({ message: "No such payout: 'po_1'", code: 'resource_missing', statusCode: 404, type: 'invalid_request_error' });
    await assert.rejects(failWith(err), (e: unknown) => e instanceof PermanentError && e.message === "Stripe could not return payout po_1: No such payout: 'po_1' (resource_missing)");
  });

  it('401 and 403 → AuthRevokedError', async () => {
    await assert.rejects(failWith(new Stripe.errors.StripeAuthenticationError({ message: 'Invalid API Key', statusCode: 401, type: 'authentication_error' })), AuthRevokedError);
    await assert.rejects(failWith(new Stripe.errors.StripePermissionError({ message: 'restricted key', statusCode: 403, type: 'invalid_request_error' })), AuthRevokedError);
  });

  it('429, 5xx and connection failures → RetryableError, with Retry-After when Stripe gave one', async () => {
    const limited = new Stripe.errors.StripeRateLimitError({ message: 'Too many requests', statusCode: 429, type: 'invalid_request_error', headers: { 'retry-after': '7' } });
    await assert.rejects(failWith(limited), (e: unknown) => e instanceof RetryableError && e.retryAfterMs === 7_000);
    await assert.rejects(failWith(new Stripe.errors.StripeAPIError({ message: 'Internal', statusCode: 500, type: 'api_error' })), RetryableError);
    await assert.rejects(failWith(new Stripe.errors.StripeConnectionError({ message: 'ECONNREFUSED', type: 'invalid_request_error' })), RetryableError);
  });

  it('anything that is not Stripe\'s error passes through unchanged', async () => {
    const bug = new TypeError('not Stripe');
    await assert.rejects(failWith(bug), (e: unknown) => e === bug);
  });
});
