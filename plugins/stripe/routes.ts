// GET/POST /plugins/stripe (admins), on the provider kit's settings page: the secret key (a new one is
// tested with GET /v1/account, whose id is kept) and the webhook signing secret; either left blank keeps
// the saved one. The page lists recent payouts with what became of each, and charges that need a person.
import type { Router } from 'express';
import type { OutboxItemState, PluginContext } from '../../server/plugins/contract';
import { CredentialRefused, settingsPage } from '../providerKit';
import type { StripeConfig } from './config';
import { stripeClient } from './client';
import { keyHint, stripeSettings } from './settings';
import { CHARGE_RECORD, PAYOUT_INGEST, PAYOUTS_TABLE, type ChargeRecordPayload, type PayoutIngestPayload } from './work';

export function stripeRoutes(ctx: PluginContext<StripeConfig>): Router {
  return settingsPage(ctx, {
    title: 'Stripe',
    store: stripeSettings,
    fields: [
      {
        name: 'secretKey', formField: 'secretKey', pattern: /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/,
        invalid: 'Paste the key that starts sk_live_ or sk_test_ (or a restricted rk_ key) from the Stripe dashboard.',
        missing: 'Enter the secret key (Stripe dashboard → Developers → API keys).',
      },
      {
        name: 'webhookSecret', formField: 'webhookSecret', pattern: /^whsec_[A-Za-z0-9_+/=]{8,}$/,
        invalid: 'Paste the whsec_… signing secret shown on the webhook endpoint in the Stripe dashboard.',
        missing: 'Enter the webhook signing secret (whsec_…) of the endpoint below.',
      },
    ],
    apiSecret: 'secretKey',
    async check(secretKey) {
      try {
        const account = await stripeClient(ctx.config, secretKey).accounts.retrieveCurrent();
        return { accountId: account.id, keyHint: keyHint(secretKey) };
      } catch (err) {
        throw new CredentialRefused(`Stripe refused this key: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    connected: (facts) => `Saved: connected to Stripe account ${facts.accountId}.`,
    activity: {
      payoutsTable: PAYOUTS_TABLE,
      payoutType: PAYOUT_INGEST,
      payoutIdOf: (payload) => (payload as PayoutIngestPayload).payoutId,
      attentionTypes: [CHARGE_RECORD],
      describe: (item: OutboxItemState) => `Charge ${(item.payload as ChargeRecordPayload).chargeId}`,
    },
    // Stripe's own API has a dashboard to add the endpoint in; a Stripe-compatible one (the emulator) has none.
    locals: { webhookUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/webhooks/stripe`, apiBase: ctx.config.apiBase, atStripe: new URL(ctx.config.apiBase).hostname === 'api.stripe.com' },
  });
}
