import { z } from 'zod';
import { cronSetting } from '../../server/plugins/contract';

// The Stripe plugin's settings from STRIPE_* environment variables. The API base is configurable so tests
// and the demo point the official stripe package at the local emulator (host/port/protocol from the URL).
export const StripeConfigSchema = z
  .object({
    STRIPE_API_BASE: z.url({ message: 'must be an absolute URL, e.g. https://api.stripe.com or http://127.0.0.1:12111' }).default('https://api.stripe.com'),
    // When the nightly sweep runs (cron, UTC, or off) and how far back it looks for paid payouts.
    STRIPE_SWEEP_CRON: cronSetting('30 2 * * *'),
    STRIPE_SWEEP_DAYS: z.coerce.number().int().min(1).max(90).default(7),
    STRIPE_HTTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(20_000),
  })
  .transform((v) => ({ apiBase: v.STRIPE_API_BASE.replace(/\/+$/, ''), sweepCron: v.STRIPE_SWEEP_CRON, sweepDays: v.STRIPE_SWEEP_DAYS, httpTimeoutMs: v.STRIPE_HTTP_TIMEOUT_MS }));

export type StripeConfig = z.infer<typeof StripeConfigSchema>;
