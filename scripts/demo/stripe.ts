// Stripe in the demo: the Stripe emulator in the demo's process (12111 preferred), the organisation's
// Stripe settings saved as the settings page saves them (the key tested with GET /v1/account, both secrets
// sealed by the plugin's store), a webhook endpoint at the emulator for our /webhooks/stripe, and the
// card side of the day: charges that name their sale (metadata ledgerbridge_sale_id, as a booking
// system's checkout sets it), refunds at Stripe, one charge taken outside the booking system, and days
// of Stripe's clock so its automatic payouts are made and paid.
import { createServer, type Server } from 'node:http';
import { createStripeEmulator, SEEDED_KEYS } from '../../emulators/stripe/app';
import type { BootedHost } from '../../server/boot';
import { STRIPE_API_VERSION } from '../../plugins/stripe/client';
import { keyHint, stripeSettings } from '../../plugins/stripe/settings';
import { listenPreferring } from './ports';

export const DAY_MS = 86_400_000;

export interface RunningStripe {
  url: string;
  secretKey: string;
  close(): Promise<void>;
}

export async function startStripeEmulator(): Promise<RunningStripe> {
  const emulator = createStripeEmulator({});
  const server: Server = createServer(emulator.app);
  const port = await listenPreferring(server, 12111);
  return {
    url: `http://127.0.0.1:${port}`,
    secretKey: SEEDED_KEYS.GB,
    async close() {
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
      await emulator.close();
    },
  };
}

type Form = Record<string, string>;

async function stripeCall<T>(stripe: RunningStripe, method: 'GET' | 'POST', path: string, form?: Form, idempotencyKey?: string): Promise<T> {
  const res = await fetch(`${stripe.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${stripe.secretKey}`,
      // The version the product is pinned to (plugins/stripe/client.ts), as the product's own client sends it.
      'stripe-version': STRIPE_API_VERSION,
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
    },
    ...(form ? { body: new URLSearchParams(form).toString() } : {}),
  });
  if (!res.ok) throw new Error(`Stripe emulator ${method} ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

async function control<T>(stripe: RunningStripe, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${stripe.url}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`Stripe emulator control ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/**
 * Save the organisation's Stripe settings the way the settings page does: the key is tested against
 * Stripe (its account id kept) and the webhook endpoint's signing secret saved with it, both sealed.
 * `webhookBase` is where the emulator reaches the app.
 */
export async function configureDemoStripe(host: BootedHost, orgId: number, stripe: RunningStripe, webhookBase: string): Promise<string> {
  const plugin = host.deps.plugins.plugins.find((p) => p.definition.id === 'stripe');
  if (!plugin) throw new Error('the demo needs the Stripe plugin installed');
  const account = await stripeCall<{ id: string }>(stripe, 'GET', '/v1/account');
  const endpoint = await stripeCall<{ secret: string }>(stripe, 'POST', '/v1/webhook_endpoints', {
    url: `${webhookBase}/webhooks/stripe`,
    'enabled_events[0]': 'charge.succeeded',
    'enabled_events[1]': 'payout.paid',
  });
  await host.deps.db.transaction((trx) =>
    stripeSettings.save(trx, plugin.context.secrets, {
      orgId, secrets: { secretKey: stripe.secretKey, webhookSecret: endpoint.secret }, facts: { accountId: account.id, keyHint: keyHint(stripe.secretKey) }, by: 'demo', now: Date.now(),
    }),
  );
  return account.id;
}

export interface CardCharge {
  chargeId: string;
  amountMinor: number;
}

/** A card payment at the booking system's checkout: the payment intent carries our sale id. */
export async function chargeForSale(stripe: RunningStripe, sale: { id: number; saleName: string; amountMinor: number; email: string | null; description: string }, key: string): Promise<CardCharge> {
  const pi = await stripeCall<{ latest_charge: string; status: string }>(stripe, 'POST', '/v1/payment_intents', {
    amount: String(sale.amountMinor), currency: 'gbp', payment_method: 'pm_card_gb', confirm: 'true',
    description: sale.description, 'metadata[ledgerbridge_sale_id]': String(sale.id),
    ...(sale.email ? { receipt_email: sale.email } : {}),
  }, key);
  if (pi.status !== 'succeeded') throw new Error(`the Stripe emulator did not take the card payment for ${sale.saleName}: ${pi.status}`);
  return { chargeId: pi.latest_charge, amountMinor: sale.amountMinor };
}

/** A payment taken in the Stripe dashboard (over the phone): nothing names our sale. */
export async function chargeWithoutSale(stripe: RunningStripe, amountMinor: number, description: string, key: string): Promise<CardCharge> {
  const pi = await stripeCall<{ latest_charge: string }>(stripe, 'POST', '/v1/payment_intents', {
    amount: String(amountMinor), currency: 'gbp', payment_method: 'pm_card_gb', confirm: 'true', description,
  }, key);
  return { chargeId: pi.latest_charge, amountMinor };
}

export async function refundAtStripe(stripe: RunningStripe, chargeId: string, amountMinor: number | null, key: string): Promise<string> {
  const refund = await stripeCall<{ id: string }>(stripe, 'POST', '/v1/refunds', { charge: chargeId, ...(amountMinor === null ? {} : { amount: String(amountMinor) }) }, key);
  return refund.id;
}

/**
 * Stripe's clock forward one day at a time (its automatic payout runs once a day, on that day's available
 * balance); each step waits until the webhooks it caused were delivered.
 */
export async function advanceStripeDays(stripe: RunningStripe, days: number): Promise<void> {
  for (let d = 0; d < days; d++) {
    await control(stripe, '/clock/advance', { ms: DAY_MS });
    await control(stripe, '/webhooks/flush', {});
  }
}

export async function paidStripePayouts(stripe: RunningStripe): Promise<{ id: string; amount: number }[]> {
  return (await stripeCall<{ data: { id: string; amount: number }[] }>(stripe, 'GET', '/v1/payouts?status=paid&limit=100')).data;
}
