import { HOTP, Secret, TOTP } from 'otpauth';

// Time-based one-time codes (RFC 6238) as authenticator apps make them: SHA-1, 6 digits, 30-second steps
// (the only settings every app honours). Pure: the caller passes the time and the last step it accepted,
// and stores the step this returns, so a code is good once.

export const TOTP_DIGITS = 6;
export const TOTP_PERIOD_SECONDS = 30;
/** Steps accepted either side of now: a phone whose clock is up to ~30 s off still works. */
export const TOTP_DRIFT_STEPS = 1;
/** 160 bits, the HMAC-SHA1 block RFC 4226 recommends. */
const SECRET_BYTES = 20;

export const CODE_FORMAT_MESSAGE = `must be the ${TOTP_DIGITS}-digit code from your authenticator app`;

/** A new random secret, base32 (what the app and the manual-entry box take). */
export function newTotpSecret(): string {
  return new Secret({ size: SECRET_BYTES }).base32;
}

/** The otpauth:// URI an authenticator app scans: `issuer` and `account` are what the app shows. */
export function otpauthUri(opts: { secret: string; issuer: string; account: string }): string {
  return new TOTP({
    issuer: opts.issuer,
    label: opts.account,
    secret: Secret.fromBase32(opts.secret),
    algorithm: 'SHA1',
    digits: TOTP_DIGITS,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The time step `nowMs` falls in. */
export const totpStep = (nowMs: number): number => Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);

/** The code for a time (tests and the browser journey compute what a phone would show). */
export function totpCodeAt(secret: string, nowMs: number): string {
  return HOTP.generate({ secret: Secret.fromBase32(secret), counter: totpStep(nowMs), digits: TOTP_DIGITS });
}

/** Digits only, spaces allowed ("123 456" as some apps show it); null when it cannot be a code. */
export function normaliseTotpCode(input: string): string | null {
  const code = input.replace(/\s+/g, '');
  return new RegExp(`^\\d{${TOTP_DIGITS}}$`).test(code) ? code : null;
}

export type TotpCheck = { ok: true; step: number } | { ok: false; reason: 'format' | 'wrong' | 'replayed' };

/**
 * Checks `code` against the steps around `nowMs`. A step at or before `lastUsedStep` is refused even when
 * the code matches: that is the replay of a code already used (or older than one already used).
 */
export function verifyTotpCode(opts: { secret: string; code: string; nowMs: number; lastUsedStep: number | null }): TotpCheck {
  const code = normaliseTotpCode(opts.code);
  if (code === null) return { ok: false, reason: 'format' };
  const secret = Secret.fromBase32(opts.secret);
  const now = totpStep(opts.nowMs);
  // Nearest first, so a code that happens to match two steps is taken as the current one.
  const candidates = [now, now - 1, now + 1].filter((s) => Math.abs(s - now) <= TOTP_DRIFT_STEPS);
  let replayed = false;
  for (const step of candidates) {
    // window 0: exactly this step; the library compares in constant time.
    if (HOTP.validate({ token: code, secret, counter: step, digits: TOTP_DIGITS, window: 0 }) === null) continue;
    if (opts.lastUsedStep !== null && step <= opts.lastUsedStep) {
      replayed = true;
      continue;
    }
    return { ok: true, step };
  }
  return { ok: false, reason: replayed ? 'replayed' : 'wrong' };
}
