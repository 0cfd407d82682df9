import { createHash, randomBytes } from 'node:crypto';

// Recovery codes: a person who lost their phone logs in with one of these instead of a code. Each is
// shown once, stored only as a hash, and works once.
//
// 16 characters of Crockford's base32 (no i, l, o, u: nothing to misread when typing from paper) carry
// 80 random bits. That much entropy is why a fast hash is enough here, unlike passwords: nobody can try
// 2^80 candidates against a leaked hash. The user id is hashed in, so equal hashes never link two users.

export const RECOVERY_CODE_COUNT = 10;
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const CODE_CHARS = 16;
const GROUP = 4;

export const RECOVERY_CODE_FORMAT_MESSAGE = 'must be a recovery code like 7k2m-9qxd-h3ps-w8ft';

/** `count` new codes, formatted for reading: `7k2m-9qxd-h3ps-w8ft`. */
export function generateRecoveryCodes(count = RECOVERY_CODE_COUNT): string[] {
  const codes = new Set<string>();
  while (codes.size < count) {
    // 32 symbols divide 256 exactly, so masking a random byte to 5 bits picks each with equal chance.
    const chars = [...randomBytes(CODE_CHARS)].map((b) => ALPHABET[b & 31]!).join('');
    codes.add(chars.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-'));
  }
  return [...codes];
}

/**
 * The code as it is hashed: lower case, without spaces or dashes, with the letters people confuse with
 * digits read as those digits (Crockford's rule). Null when the input cannot be a recovery code.
 */
export function normaliseRecoveryCode(input: string): string | null {
  const chars = input.toLowerCase().replace(/[\s-]+/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (chars.length !== CODE_CHARS) return null;
  for (const ch of chars) if (!ALPHABET.includes(ch)) return null;
  return chars;
}

/** The stored form of a recovery code of `userId` (hex SHA-256); null when `code` is not one. */
export function hashRecoveryCode(userId: number, code: string): string | null {
  const normalised = normaliseRecoveryCode(code);
  if (normalised === null) return null;
  return createHash('sha256').update(`ledgerbridge.recovery-code:${userId}:${normalised}`).digest('hex');
}
