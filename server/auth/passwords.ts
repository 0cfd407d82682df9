import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ValidationError } from '../errors';

// Password hashes are self-describing: `scrypt$N$r$p$salt$hash` (salt and hash base64url). Keeping the
// cost parameters in the string lets us raise them later and rehash on the next successful login.

export const MIN_PASSWORD_LENGTH = 12;
/** scrypt ignores nothing, but hashing megabytes on every login attempt is a denial-of-service lever. */
export const MAX_PASSWORD_LENGTH = 1024;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** OWASP's scrypt baseline (N=2^17 is stronger but costs ~128 MiB per login; 2^15 is ~32 MiB, ~50 ms). */
export const CURRENT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });
const KEY_LENGTH = 32;
const SALT_LENGTH = 16;

function scrypt(password: string, salt: Buffer, keylen: number, params: ScryptParams): Promise<Buffer> {
  // Node's default maxmem (32 MiB) is exactly 128·N·r for N=2^15, r=8, which it rejects; allow headroom.
  const options: ScryptOptions = { N: params.N, r: params.r, p: params.p, maxmem: 256 * params.N * params.r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(password.normalize('NFKC'), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** Throws a ValidationError (path `password`) that can be shown to the user as it is. */
export function assertPasswordAcceptable(password: string, path = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new ValidationError(
      [{ path, message: `must be at least ${MIN_PASSWORD_LENGTH} characters long (a few unrelated words make a good one)` }],
      'The password is too short',
    );
  }
  if (password.length > MAX_PASSWORD_LENGTH) {
    throw new ValidationError([{ path, message: `must be at most ${MAX_PASSWORD_LENGTH} characters long` }], 'The password is too long');
  }
}

export async function hashPassword(password: string, params: ScryptParams = CURRENT_PARAMS): Promise<string> {
  assertPasswordAcceptable(password);
  const salt = randomBytes(SALT_LENGTH);
  const key = await scrypt(password, salt, KEY_LENGTH, params);
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

interface ParsedHash extends ScryptParams {
  salt: Buffer;
  key: Buffer;
}

function parseHash(stored: string): ParsedHash | null {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return null;
  const [, n, r, p, salt, key] = parts;
  const N = Number(n);
  const R = Number(r);
  const P = Number(p);
  // Refuse absurd parameters from a tampered row rather than allocate gigabytes.
  if (!Number.isInteger(N) || N < 2 || N > 2 ** 20 || (N & (N - 1)) !== 0) return null;
  if (!Number.isInteger(R) || R < 1 || R > 32 || !Number.isInteger(P) || P < 1 || P > 16) return null;
  const saltBuf = Buffer.from(salt ?? '', 'base64url');
  const keyBuf = Buffer.from(key ?? '', 'base64url');
  if (saltBuf.length === 0 || keyBuf.length < 16) return null;
  return { N, r: R, p: P, salt: saltBuf, key: keyBuf };
}

/** Constant-time check. A malformed stored hash never verifies (and never throws). */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parseHash(stored);
  if (!parsed || password.length > MAX_PASSWORD_LENGTH) return false;
  const candidate = await scrypt(password, parsed.salt, parsed.key.length, parsed);
  return timingSafeEqual(candidate, parsed.key);
}

/** True when the stored hash was made with other parameters than today's: rehash after a successful login. */
export function needsRehash(stored: string, params: ScryptParams = CURRENT_PARAMS): boolean {
  const parsed = parseHash(stored);
  if (!parsed) return true;
  return parsed.N !== params.N || parsed.r !== params.r || parsed.p !== params.p || parsed.key.length !== KEY_LENGTH;
}

// Unknown emails still cost one scrypt run, so response time does not reveal which emails have accounts.
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('x'.repeat(MIN_PASSWORD_LENGTH));
  await verifyPassword(password, await dummyHash);
}
