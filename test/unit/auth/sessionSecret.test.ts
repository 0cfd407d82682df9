import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveSessionSecret } from '../../../server/auth/session';

test('without SESSION_SECRET a secret is generated once in DATA_DIR with mode 0600 and reused', () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'lb-secret-')), 'nested');
  try {
    const first = resolveSessionSecret({ dataDir, session: { ttlHours: 1, cookieSecure: false } });
    assert.ok(first.length >= 32);
    const file = join(dataDir, 'session.secret');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8').trim(), first);
    assert.equal(resolveSessionSecret({ dataDir, session: { ttlHours: 1, cookieSecure: false } }), first, 'a restart keeps sessions valid');
  } finally {
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});

test('SESSION_SECRET wins and nothing is written', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-secret-'));
  try {
    const secret = 's'.repeat(40);
    assert.equal(resolveSessionSecret({ dataDir, session: { secret, ttlHours: 1, cookieSecure: false } }), secret);
    assert.throws(() => statSync(join(dataDir, 'session.secret')));
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});
