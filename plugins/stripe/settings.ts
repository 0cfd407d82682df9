// The organisation's Stripe settings (provider kit's sealed store): the secret key and the webhook signing
// secret, sealed; the account the key belongs to and a hint of the key, in clear for the page.
import { sealedSettingsStore, type SavedSettings } from '../providerKit';

export const stripeSettings = sealedSettingsStore({
  table: 'stripe_settings',
  idColumn: 'id',
  secrets: { secretKey: 'secret_key', webhookSecret: 'webhook_secret' },
  facts: { accountId: 'account_id', keyHint: 'key_hint' },
});

export type StripeSettings = SavedSettings<'secretKey' | 'webhookSecret', 'accountId' | 'keyHint'>;

/** What the page shows of a key: its kind and mode, and its last four characters. */
export const keyHint = (secretKey: string): string => `${secretKey.slice(0, 8)}…${secretKey.slice(-4)}`;
