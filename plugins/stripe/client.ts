// The only module that calls Stripe: the official stripe package, pointed at STRIPE_API_BASE (api.stripe.com
// or the emulator) and pinned to the API version the plugin is written for, and Stripe's errors turned into the host's integration errors once, here, so the
// outbox knows what to do: a refused key pauses the work (AuthRevokedError), a busy or unreachable Stripe
// retries it (RetryableError), anything Stripe will refuse again, such as an object it does not have
// (404 resource_missing), fails it for good with Stripe's own words (PermanentError).
import Stripe from 'stripe';
import { AuthRevokedError, PermanentError, RetryableError } from '../../server/errors';
import type { StripeConfig } from './config';

/**
 * The Stripe API version the plugin is written for and tested on (the emulator implements exactly this one
 * and refuses others). Every call sends it: unpinned, the stripe package would ask for its own newest version,
 * whose shapes differ from the ones the plugin reads. Change it only together with the emulator
 * (emulators/stripe/version.ts) and the spec the conformance check uses.
 */
export const STRIPE_API_VERSION = '2023-08-16';

export function stripeClient(config: StripeConfig, secretKey: string): Stripe {
  const url = new URL(config.apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    // The package's types only name its own latest version; the plugin reads only fields 2023-08-16 has.
    apiVersion: STRIPE_API_VERSION as Stripe.LatestApiVersion,
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    timeout: config.httpTimeoutMs,
    maxNetworkRetries: 2,
  });
}

const verifier = new Stripe('sk_test_verifier_only').webhooks.signature;
if (!verifier) throw new Error('this version of the stripe package has no webhook signature verifier');

/** Stripe's own check of a webhook's Stripe-Signature (HMAC of `t.body`, t within `toleranceSeconds`); throws when it fails. */
export const verifyStripeSignature = (body: Buffer, header: string, secret: string, toleranceSeconds: number): boolean =>
  verifier.verifyHeader(body, header, secret, toleranceSeconds);

/** Run calls to Stripe about `what` (e.g. "payout po_123"); Stripe's errors come out as integration errors. */
export async function callStripe<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw integrationError(what, err);
  }
}

function integrationError(what: string, err: unknown): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err;
  const message = `Stripe could not return ${what}: ${err.message}${err.code ? ` (${err.code})` : ''}`;
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) return new AuthRevokedError(message, { cause: err });
  if (err instanceof Stripe.errors.StripeConnectionError || err instanceof Stripe.errors.StripeRateLimitError || err instanceof Stripe.errors.StripeAPIError || (err.statusCode ?? 0) >= 500) {
    const retryAfter = Number(err.headers?.['retry-after']);
    return new RetryableError(message, { cause: err, ...(retryAfter > 0 ? { retryAfterMs: retryAfter * 1000 } : {}) });
  }
  return new PermanentError(message, { cause: err });
}
