// Keys derived from what is sent, so that sending the same thing again is recognised: the Idempotency-Key
// of a call (Xero answers a repeat within its window with the first answer) and the hash of a payload
// kept with its record.
import { createHash } from 'node:crypto';

/**
 * A deterministic Idempotency-Key (≤ 128 chars) for one call: the operation, the outbox item ids and the
 * exact content sent. The same batch retried within Xero's window gets the first answer back; any change
 * in what is sent (an element dropped after it succeeded) makes a new key.
 */
export function idempotencyKey(operation: string, itemIds: readonly number[], content: string): string {
  const digest = createHash('sha256').update(`${operation}|${[...itemIds].sort((a, b) => a - b).join(',')}|${content}`).digest('hex');
  return `lb-${operation}-${digest.slice(0, 48)}`.slice(0, 128);
}

/** A stable hash of what was sent (key order independent of construction order). */
export function payloadHash(payload: unknown): string {
  return createHash('sha256').update(stableJson(payload)).digest('hex');
}

export function stableJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
}
