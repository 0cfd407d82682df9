// Xero's API limits and the emulator's knobs for them. Defaults are Xero's published numbers; tests
// and benchmarks lower or raise them through createXeroEmulator({ limits }) or POST /_emulator/limits.

export interface LimitsConfig {
  /** Calls per tenant per app in a rolling minute. */
  perMinute: number;
  /** Calls in flight per tenant per app. */
  concurrent: number;
  /** Calls per tenant per app in a rolling 24 hours. */
  perDay: number;
  /** Calls per app across all tenants in a rolling minute. */
  appPerMinute: number;
  /** How long an Idempotency-Key is remembered. */
  idempotencyWindowMs: number;
  /** OAuth 1.0a: accepted distance between oauth_timestamp and the emulator clock. */
  oauth1MaxSkewMs: number;
  /** Largest request body accepted (Xero: 3.5 MB per write). */
  maxBodyBytes: number;
  /** Largest file accepted by …/Attachments/{FileName} (Xero: 10 MB), which is not held to maxBodyBytes. */
  maxAttachmentBytes: number;
}

export const XERO_LIMITS: Readonly<LimitsConfig> = Object.freeze({
  perMinute: 60,
  concurrent: 5,
  perDay: 5000,
  appPerMinute: 10_000,
  idempotencyWindowMs: 5 * 60_000,
  oauth1MaxSkewMs: 5 * 60_000,
  maxBodyBytes: 3.5 * 1024 * 1024,
  maxAttachmentBytes: 10 * 1024 * 1024,
});

/** An upload to …/{id}/Attachments/{FileName}: read up to maxAttachmentBytes instead of maxBodyBytes. */
export const isAttachmentUpload = (method: string, path: string): boolean =>
  (method === 'PUT' || method === 'POST') && /^\/api\.xro\/2\.0\/[^/]+\/[^/]+\/Attachments\/[^/]+$/i.test(path);

/** Merge a partial update, refusing anything that is not a positive integer (or a non-negative window). */
export function mergeLimits(current: LimitsConfig, update: unknown): LimitsConfig {
  if (typeof update !== 'object' || update === null || Array.isArray(update)) throw new TypeError('limits must be an object');
  const next: LimitsConfig = { ...current };
  for (const [key, value] of Object.entries(update)) {
    if (!(key in XERO_LIMITS)) throw new TypeError(`unknown limit "${key}"; known: ${Object.keys(XERO_LIMITS).join(', ')}`);
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || (value === 0 && !key.endsWith('Ms'))) {
      throw new TypeError(`${key} must be a ${key.endsWith('Ms') ? 'non-negative' : 'positive'} integer`);
    }
    next[key as keyof LimitsConfig] = value;
  }
  return next;
}
