import { z } from 'zod';
import { cronSetting } from '../../server/plugins/contract';

// The Xero plugin's settings, read from XERO_* environment variables and validated at boot.
// Base URLs are configurable because legacy private-app customers run against Xero-compatible
// endpoints, and because tests and the demo point everything at the local emulator.

// accounting.attachments: a sale's receipt is attached to its invoice (Xero settings, Receipts).
export const GRANULAR_SCOPES = [
  'offline_access', 'accounting.invoices', 'accounting.payments', 'accounting.banktransactions',
  'accounting.contacts', 'accounting.settings.read', 'accounting.attachments',
  // Expired gift vouchers' balances move to revenue by a manual journal (sync/voucherJournals.ts).
  'accounting.manualjournals',
];
export const LEGACY_SCOPES = ['offline_access', 'accounting.transactions', 'accounting.contacts', 'accounting.settings.read', 'accounting.attachments'];

/** Croner parses the pattern when constructed; a paused job starts nothing. */
const url = (what: string) => z.url({ message: `must be an absolute URL (${what})` });

export const XeroConfigSchema = z
  .object({
    XERO_API_URL: url('e.g. https://api.xero.com').default('https://api.xero.com'),
    XERO_IDENTITY_URL: url('e.g. https://identity.xero.com').default('https://identity.xero.com'),
    // Xero's web app, for links to records (deep links); the emulator serves the same paths.
    XERO_APP_URL: url('e.g. https://go.xero.com').default('https://go.xero.com'),
    XERO_CLIENT_ID: z.string().min(1).optional(),
    XERO_CLIENT_SECRET: z.string().min(1).optional(),
    XERO_REDIRECT_URI: url('e.g. https://books.example.com/plugins/xero/oauth2/callback').optional(),
    XERO_SCOPES: z.string().optional(),
    XERO_SCOPE_SET: z.enum(['granular', 'legacy'], { message: 'must be granular or legacy' }).default('granular'),
    XERO_HTTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(20_000),
    // Real-time sync: how long a sale arriving on an idle queue waits for others to share its Xero call
    // (sync/coalesce.ts). 0 pushes every sale the moment it commits.
    XERO_SYNC_COALESCE_MS: z.coerce.number({ message: 'must be a number of milliseconds' }).int().min(0).max(5_000).default(200),
    // The nightly payout sweep (payouts/schedule.ts): cron in UTC, or "off".
    XERO_PAYOUT_SWEEP_CRON: cronSetting('40 3 * * *'),
    // Webhooks (incoming/webhook.ts): the signing key Xero's developer portal shows for the install's
    // OAuth2 app. Unset: /webhooks/xero refuses everything and the polling sweep covers every connection.
    XERO_WEBHOOK_KEY: z.string().min(1).optional(),
    // The polling sweep (incoming/poll.ts) for connections Xero sends no webhooks for: cron in UTC, or "off".
    XERO_POLL_CRON: cronSetting('*/15 * * * *'),
  })
  .superRefine((v, ctx) => {
    if (Boolean(v.XERO_CLIENT_ID) !== Boolean(v.XERO_CLIENT_SECRET)) {
      ctx.addIssue({ code: 'custom', path: ['XERO_CLIENT_SECRET'], message: 'XERO_CLIENT_ID and XERO_CLIENT_SECRET go together: set both or neither' });
    }
  })
  .transform((v) => ({
    apiUrl: v.XERO_API_URL.replace(/\/+$/, ''),
    identityUrl: v.XERO_IDENTITY_URL.replace(/\/+$/, ''),
    appUrl: v.XERO_APP_URL.replace(/\/+$/, ''),
    oauth2: v.XERO_CLIENT_ID && v.XERO_CLIENT_SECRET ? { clientId: v.XERO_CLIENT_ID, clientSecret: v.XERO_CLIENT_SECRET } : undefined,
    redirectUri: v.XERO_REDIRECT_URI,
    scopes: v.XERO_SCOPES ? v.XERO_SCOPES.split(/[\s,]+/).filter(Boolean) : v.XERO_SCOPE_SET === 'legacy' ? LEGACY_SCOPES : GRANULAR_SCOPES,
    httpTimeoutMs: v.XERO_HTTP_TIMEOUT_MS,
    coalesceMs: v.XERO_SYNC_COALESCE_MS,
    payoutSweepCron: v.XERO_PAYOUT_SWEEP_CRON,
    webhookKey: v.XERO_WEBHOOK_KEY,
    pollCron: v.XERO_POLL_CRON,
  }));

export type XeroConfig = z.infer<typeof XeroConfigSchema>;

/** The Accounting API base (`…/api.xro/2.0`) that xero-node's AccountingApi takes as basePath. */
export const accountingBasePath = (cfg: XeroConfig): string => `${cfg.apiUrl}/api.xro/2.0`;
