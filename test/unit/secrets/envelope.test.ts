import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { keyFingerprint, openWithKey, parseEnvelope, sealWithKey, EnvelopeError } from '../../../server/secrets/envelope';

const key = randomBytes(32);

/** Flip one bit of one base64url part of an envelope, keeping it well-formed. */
function flip(sealed: string, partIndex: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[partIndex] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[partIndex] = bytes.toString('base64url');
  return parts.join('.');
}

test('seal then open returns the plaintext; each seal uses a fresh IV', () => {
  const a = sealWithKey(key, 'k1', 'org:1:x', Buffer.from('consumer secret'));
  const b = sealWithKey(key, 'k1', 'org:1:x', Buffer.from('consumer secret'));
  assert.notEqual(a, b);
  assert.match(a, /^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]+$/);
  assert.equal(openWithKey(key, parseEnvelope(a), 'org:1:x').toString(), 'consumer secret');
  assert.equal(openWithKey(key, parseEnvelope(b), 'org:1:x').toString(), 'consumer secret');
});

test('the sealed string does not contain the plaintext', () => {
  const sealed = sealWithKey(key, 'k1', 'org:1:x', Buffer.from('PLAIN-MARKER'));
  assert.ok(!sealed.includes('PLAIN-MARKER'));
  assert.ok(!sealed.includes(Buffer.from('PLAIN-MARKER').toString('base64url')));
});

test('altered ciphertext, tag or IV, another AAD, key id or key fail to open', () => {
  const sealed = sealWithKey(key, 'k1', 'org:1:x', Buffer.from('secret'));
  const opens = (s: string, aad = 'org:1:x', k = key) => openWithKey(k, parseEnvelope(s), aad);
  assert.equal(opens(sealed).toString(), 'secret'); // control: the untouched value opens
  assert.throws(() => opens(flip(sealed, 4)), EnvelopeError);
  assert.throws(() => opens(flip(sealed, 3)), EnvelopeError);
  assert.throws(() => opens(flip(sealed, 2)), EnvelopeError);
  assert.throws(() => opens(sealed, 'org:2:x'), EnvelopeError);
  assert.throws(() => opens(sealed, 'org:1:y'), EnvelopeError);
  assert.throws(() => opens(sealed.replace('.k1.', '.k2.')), EnvelopeError);
  assert.throws(() => opens(sealed, 'org:1:x', randomBytes(32)), EnvelopeError);
});

test('malformed envelopes are rejected with a message that does not echo the input', () => {
  for (const bad of ['', 'hello', 'v2.k.a.b.c', 'v1.k.!!.b.c', 'v1.k1.AAAA.AAAA.AAAA', 'v1..AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA.']) {
    assert.throws(() => parseEnvelope(bad), (err: Error) => err instanceof EnvelopeError && (bad.length < 8 || !err.message.includes(bad)));
  }
});

test('keyFingerprint is 8 hex digits, stable, and differs between keys', () => {
  assert.match(keyFingerprint(key), /^[0-9a-f]{8}$/);
  assert.equal(keyFingerprint(Buffer.from(key)), keyFingerprint(key));
  assert.notEqual(keyFingerprint(randomBytes(32)), keyFingerprint(key));
});
