// Identifier shapes that look like Xero's, so product code that validates or stores them (column
// widths, regexes) meets realistic values.
import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function fromAlphabet(alphabet: string, length: number): string {
  let out = '';
  for (let i = 0; i < length; i += 1) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** OAuth 1.0a private apps: 30 upper-case alphanumerics for both key and secret. */
export const newConsumerKey = (): string => fromAlphabet(UPPER_ALNUM, 30);
export const newConsumerSecret = (): string => fromAlphabet(UPPER_ALNUM, 30);
/** OAuth2 client ids are 32 upper-case hex digits. */
export const newClientId = (): string => randomBytes(16).toString('hex').toUpperCase();
/** OAuth2 client secrets are 48 url-safe characters. */
export const newClientSecret = (): string => randomBytes(36).toString('base64url');
export const newOpaqueToken = (): string => randomBytes(32).toString('hex');
export const newHexId = (): string => randomBytes(16).toString('hex');
export const newUuid = (): string => randomUUID();
