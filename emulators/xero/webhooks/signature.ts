// Xero signs every webhook body: x-xero-signature = base64(HMAC-SHA256(raw body, the app's webhook key)).
import { createHmac, randomBytes } from 'node:crypto';

export function signWebhookBody(body: string | Buffer, key: string): string {
  return createHmac('sha256', key).update(body).digest('base64');
}

/** A webhook key as the developer portal shows it (Xero's are 88 base64 characters). */
export function newWebhookKey(): string {
  return randomBytes(66).toString('base64');
}

/** The payload's `entropy`: 20 upper-case letters, as in Xero's deliveries. */
export function newEntropy(): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  return [...randomBytes(20)].map((b) => letters[b % 26]).join('');
}
