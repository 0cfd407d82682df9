import { z } from 'zod';
import { cronSetting } from '../../server/plugins/contract';

// The GoCardless plugin's settings, from GOCARDLESS_* environment variables, validated at boot. Per
// organisation settings (access token, webhook secret) live in the database, sealed (settings.ts).
// The API base is configurable so tests and the demo can point it at the emulator.

export const GoCardlessConfigSchema = z
  .object({
    GOCARDLESS_API_BASE: z.url({ message: 'must be an absolute URL, e.g. https://api.gocardless.com' }).default('https://api.gocardless.com'),
    GOCARDLESS_HTTP_TIMEOUT_MS: z.coerce.number().int().min(500).max(120_000).default(20_000),
    /** Webhook events older than this are refused (GoCardless signs no timestamp; the event's created_at is the clock). */
    GOCARDLESS_WEBHOOK_MAX_AGE_HOURS: z.coerce.number().min(0.1).max(24 * 30).default(24),
    /** When the nightly sweep runs (cron, UTC), or "off". */
    GOCARDLESS_SWEEP_CRON: cronSetting('20 3 * * *'),
    /** How far back the sweep looks for paid payouts and payment events. */
    GOCARDLESS_SWEEP_DAYS: z.coerce.number().int().min(1).max(180).default(7),
  })
  .transform((v) => ({
    apiBase: v.GOCARDLESS_API_BASE.replace(/\/+$/, ''),
    httpTimeoutMs: v.GOCARDLESS_HTTP_TIMEOUT_MS,
    webhookMaxAgeMs: Math.round(v.GOCARDLESS_WEBHOOK_MAX_AGE_HOURS * 3_600_000),
    sweepCron: v.GOCARDLESS_SWEEP_CRON,
    sweepDays: v.GOCARDLESS_SWEEP_DAYS,
  }));

export type GoCardlessConfig = z.infer<typeof GoCardlessConfigSchema>;
