// TOTP codes as authenticator apps make them (RFC 6238 test vectors), ±1 step of clock drift and no
// replay: a step already accepted (or an older one) is refused even with the right code.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { URL } from 'node:url';
import { newTotpSecret, normaliseTotpCode, otpauthUri, totpCodeAt, totpStep, verifyTotpCode } from '../../../server/auth/twoFactor/totp';

// RFC 6238 appendix B: the ASCII secret "12345678901234567890", SHA-1; the last 6 of the 8 digits listed.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';
const RFC_VECTORS: [number, string][] = [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037']];

describe('TOTP codes', () => {
  test('match the RFC 6238 test vectors', () => {
    for (const [seconds, code] of RFC_VECTORS) assert.equal(totpCodeAt(RFC_SECRET, seconds * 1000), code, `at ${seconds} s`);
  });

  test('a new secret is 160 random bits in base32, different each time', () => {
    const a = newTotpSecret();
    assert.match(a, /^[A-Z2-7]{32}$/);
    assert.notEqual(a, newTotpSecret());
  });

  test('the otpauth URI names the issuer and account and carries the secret and settings apps expect', () => {
    const uri = new URL(otpauthUri({ secret: RFC_SECRET, issuer: 'Ledgerbridge', account: 'ann@example.com' }));
    assert.equal(uri.protocol, 'otpauth:');
    assert.equal(uri.host, 'totp');
    assert.equal(decodeURIComponent(uri.pathname), '/Ledgerbridge:ann@example.com');
    assert.equal(uri.searchParams.get('secret'), RFC_SECRET);
    assert.equal(uri.searchParams.get('issuer'), 'Ledgerbridge');
    assert.equal(uri.searchParams.get('digits'), '6');
    assert.equal(uri.searchParams.get('period'), '30');
    assert.equal(uri.searchParams.get('algorithm'), 'SHA1');
  });

  test('codes are six digits; spaces are forgiven, anything else is not a code', () => {
    assert.equal(normaliseTotpCode('123 456'), '123456');
    assert.equal(normaliseTotpCode(' 123456 '), '123456');
    for (const bad of ['12345', '1234567', '12345a', '', '１２３４５６', '7k2m-9qxd-h3ps-w8ft']) assert.equal(normaliseTotpCode(bad), null, bad);
  });
});

describe('checking a code', () => {
  const now = 1_800_000_000_000 + 12_000; // 12 s into a step
  const step = totpStep(now);
  const codeAt = (deltaSteps: number) => totpCodeAt(RFC_SECRET, now + deltaSteps * 30_000);
  const check = (code: string, lastUsedStep: number | null = null) => verifyTotpCode({ secret: RFC_SECRET, code, nowMs: now, lastUsedStep });

  test("accepts the current step's code and says which step it was", () => {
    assert.deepEqual(check(codeAt(0)), { ok: true, step });
  });

  test('accepts one step of clock drift either way, and no more', () => {
    assert.deepEqual(check(codeAt(-1)), { ok: true, step: step - 1 });
    assert.deepEqual(check(codeAt(1)), { ok: true, step: step + 1 });
    for (const delta of [-3, -2, 2, 3]) {
      const code = codeAt(delta);
      // A far step's code could equal a near one by chance (1 in a million); skip that case rather than flake.
      if ([-1, 0, 1].some((d) => codeAt(d) === code)) continue;
      assert.deepEqual(check(code), { ok: false, reason: 'wrong' }, `${delta} steps away`);
    }
  });

  test('refuses a replay: the step already used, or any older one, even with the right code', () => {
    assert.deepEqual(check(codeAt(0), step), { ok: false, reason: 'replayed' });
    assert.deepEqual(check(codeAt(-1), step), { ok: false, reason: 'replayed' });
    assert.deepEqual(check(codeAt(-1), step - 1), { ok: false, reason: 'replayed' });
    // A newer step than the last one used is still fine.
    assert.deepEqual(check(codeAt(0), step - 1), { ok: true, step });
    assert.deepEqual(check(codeAt(1), step), { ok: true, step: step + 1 });
  });

  test('refuses a wrong code and anything that is not a code', () => {
    const wrong = String((Number(codeAt(0)) + 1) % 1_000_000).padStart(6, '0');
    if (![-1, 0, 1].some((d) => codeAt(d) === wrong)) assert.deepEqual(check(wrong), { ok: false, reason: 'wrong' });
    assert.deepEqual(check('12345'), { ok: false, reason: 'format' });
    assert.deepEqual(check(''), { ok: false, reason: 'format' });
  });
});
