import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CURRENT_PARAMS, MIN_PASSWORD_LENGTH, hashPassword, needsRehash, verifyPassword } from '../../../server/auth/passwords';
import { ValidationError } from '../../../server/errors';

// Cheap parameters where the cost does not matter to the behaviour under test.
const FAST = { N: 2 ** 10, r: 8, p: 1 };

test('a hash verifies its own password and no other', async () => {
  const hash = await hashPassword('correct horse battery', FAST);
  assert.equal(await verifyPassword('correct horse battery', hash), true);
  assert.equal(await verifyPassword('correct horse batterY', hash), false);
  assert.equal(await verifyPassword('', hash), false);
});

test('the hash string carries the scrypt parameters and a per-password salt', async () => {
  const a = await hashPassword('same password here', FAST);
  const b = await hashPassword('same password here', FAST);
  assert.match(a, /^scrypt\$1024\$8\$1\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
  assert.notEqual(a, b, 'two hashes of one password differ (random salt)');
  assert.equal(await verifyPassword('same password here', b), true);
});

test('default parameters are the current ones and produce a verifiable hash', async () => {
  const hash = await hashPassword('a long enough password');
  assert.ok(hash.startsWith(`scrypt$${CURRENT_PARAMS.N}$${CURRENT_PARAMS.r}$${CURRENT_PARAMS.p}$`));
  assert.equal(await verifyPassword('a long enough password', hash), true);
  assert.equal(needsRehash(hash), false);
});

test('needsRehash is true for other parameters and for unreadable hashes', async () => {
  assert.equal(needsRehash(await hashPassword('a long enough password', FAST)), true);
  assert.equal(needsRehash('bcrypt$2b$...'), true);
});

test(`passwords shorter than ${MIN_PASSWORD_LENGTH} characters are refused with a clear message`, async () => {
  await assert.rejects(hashPassword('short', FAST), (err: unknown) => {
    assert.ok(err instanceof ValidationError);
    assert.equal(err.issues[0]?.path, 'password');
    assert.match(err.issues[0]?.message ?? '', /at least 12 characters/);
    return true;
  });
  await hashPassword('x'.repeat(MIN_PASSWORD_LENGTH), FAST); // exactly the minimum is fine
});

test('malformed or tampered stored hashes never verify and never throw', async () => {
  for (const stored of ['', 'plain', 'scrypt$1024$8$1$salt', 'scrypt$1000$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA', `scrypt$${2 ** 30}$8$1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA`]) {
    assert.equal(await verifyPassword('whatever password', stored), false, stored);
  }
});
