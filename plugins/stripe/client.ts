// The official stripe package, pointed at STRIPE_API_BASE (api.stripe.com or the emulator).
import Stripe from 'stripe';
import type { StripeConfig } from './config';

export function stripeClient(config: StripeConfig, secretKey: string): Stripe {
  const url = new URL(config.apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return new Stripe(secretKey, {
    host: url.hostname,
    port: url.port ? Number(url.port) : protocol === 'http' ? 80 : 443,
    protocol,
    timeout: config.httpTimeoutMs,
    maxNetworkRetries: 2,
  });
}

/** A verifier only (no key needed): stripe.webhooks.constructEvent. */
export const webhookVerifier = new Stripe('sk_test_verifier_only').webhooks;
