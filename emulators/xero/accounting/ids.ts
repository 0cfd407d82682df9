// Identifiers. Seeded records get stable, name-derived UUIDs so that a reset() organisation keeps the
// same tenantId and account ids across restarts (tests and the demo can configure them once).
import { createHash, randomUUID } from 'node:crypto';

export function stableUuid(...parts: string[]): string {
  const hex = createHash('sha1').update(parts.join('\u0000')).digest('hex');
  // Shape it as a version-5, RFC 4122 variant UUID.
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function newId(): string {
  return randomUUID();
}

const SHORT_CODE_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** Xero's organisation short code, e.g. "!aB3dE" (used in deep links). */
export function shortCodeFor(organisationId: string): string {
  const digest = createHash('sha1').update(organisationId).digest();
  let code = '!';
  for (let i = 0; i < 5; i += 1) code += SHORT_CODE_ALPHABET.charAt((digest[i] ?? 0) % SHORT_CODE_ALPHABET.length);
  return code;
}
