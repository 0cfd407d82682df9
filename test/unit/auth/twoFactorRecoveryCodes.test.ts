// Recovery codes: ten, unguessable (80 bits each), easy to read and type back, stored only as a hash
// that depends on the user; typing them back forgives case, spaces, dashes and look-alike letters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RECOVERY_CODE_COUNT, generateRecoveryCodes, hashRecoveryCode, normaliseRecoveryCode } from '../../../server/auth/twoFactor/recoveryCodes';

const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/;

test('ten distinct codes in groups of four, with no i, l, o or u to misread', () => {
  const codes = generateRecoveryCodes();
  assert.equal(codes.length, RECOVERY_CODE_COUNT);
  assert.equal(RECOVERY_CODE_COUNT, 10);
  assert.equal(new Set(codes).size, codes.length);
  for (const code of codes) assert.match(code, FORMAT);
});

test('every symbol of the alphabet turns up and none is favoured (no modulo bias)', () => {
  const counts = new Map<string, number>();
  for (const code of generateRecoveryCodes(2000)) for (const ch of code.replace(/-/g, '')) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, 32);
  const expected = (2000 * 16) / 32;
  for (const [ch, n] of counts) assert.ok(Math.abs(n - expected) < expected * 0.2, `${ch} appeared ${n} times, expected about ${expected}`);
});

test('typing a code back forgives case, spaces, dashes and I/L/O read as 1/1/0', () => {
  assert.equal(normaliseRecoveryCode('7K2M-9QXD-H3PS-W8FT'), '7k2m9qxdh3psw8ft');
  assert.equal(normaliseRecoveryCode(' 7k2m 9qxd h3ps w8ft '), '7k2m9qxdh3psw8ft');
  assert.equal(normaliseRecoveryCode('1k2m-9qxd-h3ps-w8f0'), normaliseRecoveryCode('lk2m-9qxd-h3ps-w8fO'));
  for (const bad of ['', '123456', '7k2m-9qxd-h3ps', '7k2m-9qxd-h3ps-w8ft-aaaa', '7k2m-9qxd-h3ps-w8fu', '7k2m-9qxd-h3ps-w8f!']) {
    assert.equal(normaliseRecoveryCode(bad), null, bad);
  }
});

test('the stored hash is SHA-256 hex, never the code, the same however it is typed, and differs per user', () => {
  const [code] = generateRecoveryCodes(1) as [string];
  const hash = hashRecoveryCode(7, code)!;
  assert.match(hash, /^[0-9a-f]{64}$/);
  assert.ok(!hash.includes(code.replace(/-/g, '')));
  assert.equal(hashRecoveryCode(7, code.toUpperCase().replace(/-/g, ' ')), hash);
  assert.notEqual(hashRecoveryCode(8, code), hash, 'the same code of another user hashes differently');
  assert.equal(hashRecoveryCode(7, 'not a code'), null);
});
