import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

// The sealed form of a secret: `v1.<keyId>.<iv>.<tag>.<ciphertext>` (base64url parts).
// AES-256-GCM with a fresh 96-bit IV per seal. The AAD is never stored: the caller recomputes it from
// where the value lives (organisation + purpose), so a value copied to another row or organisation
// fails authentication instead of opening. The version and key id are bound into the AAD as well, so
// they cannot be swapped either.

export const ENVELOPE_VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
export const KEY_BYTES = 32;

export interface Envelope {
  version: string;
  keyId: string;
  iv: Buffer;
  tag: Buffer;
  ciphertext: Buffer;
}

const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const B64URL = /^[A-Za-z0-9_-]*$/;

export class EnvelopeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvelopeError';
  }
}

function fullAad(version: string, keyId: string, aad: string): Buffer {
  return Buffer.from(`ledgerbridge:${version}:${keyId}:${aad}`, 'utf8');
}

function assertKey(key: Buffer): void {
  if (key.length !== KEY_BYTES) throw new EnvelopeError(`key must be ${KEY_BYTES} bytes`);
}

/** Encrypt `plaintext` under `key` (identified by `keyId`), bound to `aad`. */
export function sealWithKey(key: Buffer, keyId: string, aad: string, plaintext: Buffer): string {
  assertKey(key);
  if (!KEY_ID.test(keyId)) throw new EnvelopeError('key id must be 1-64 url-safe characters');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(fullAad(ENVELOPE_VERSION, keyId, aad));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [ENVELOPE_VERSION, keyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
}

/** Split a sealed string into its parts; throws EnvelopeError on anything malformed. */
export function parseEnvelope(sealed: string): Envelope {
  const parts = sealed.split('.');
  if (parts.length !== 5) throw new EnvelopeError('not a sealed value (expected 5 dot-separated parts)');
  const [version, keyId, iv, tag, ciphertext] = parts as [string, string, string, string, string];
  if (version !== ENVELOPE_VERSION) throw new EnvelopeError(`unsupported envelope version "${version.slice(0, 8)}"`);
  if (!KEY_ID.test(keyId)) throw new EnvelopeError('malformed key id');
  for (const part of [iv, tag, ciphertext]) if (!B64URL.test(part)) throw new EnvelopeError('malformed base64url part');
  const env = {
    version,
    keyId,
    iv: Buffer.from(iv, 'base64url'),
    tag: Buffer.from(tag, 'base64url'),
    ciphertext: Buffer.from(ciphertext, 'base64url'),
  };
  if (env.iv.length !== IV_BYTES) throw new EnvelopeError('malformed IV');
  if (env.tag.length !== TAG_BYTES) throw new EnvelopeError('malformed authentication tag');
  return env;
}

/** Decrypt and authenticate; throws EnvelopeError if anything (ciphertext, tag, key, AAD) does not match. */
export function openWithKey(key: Buffer, envelope: Envelope, aad: string): Buffer {
  assertKey(key);
  const decipher = createDecipheriv('aes-256-gcm', key, envelope.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(fullAad(envelope.version, envelope.keyId, aad));
  decipher.setAuthTag(envelope.tag);
  try {
    return Buffer.concat([decipher.update(envelope.ciphertext), decipher.final()]);
  } catch {
    // OpenSSL's message says nothing useful and must not be confused with a bug: say what it means.
    throw new EnvelopeError('authentication failed (altered, or sealed for another record or key)');
  }
}

/** A short, stable, non-secret name for a key: the first 8 hex digits of its SHA-256. */
export function keyFingerprint(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 8);
}
