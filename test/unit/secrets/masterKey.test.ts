import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../server/errors';
import { loadMasterKey, parseMasterKey, replaceKeyFile } from '../../../server/secrets/masterKey';

const posix = process.platform !== 'win32';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lb-mk-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('MASTER_KEY wins over the key file and is decoded from base64', (t) => {
  const dir = tempDir(t);
  const key = randomBytes(32);
  const loaded = loadMasterKey({ masterKey: key.toString('base64'), masterKeyFile: join(dir, 'master.key') });
  assert.deepEqual(loaded, key);
  assert.deepEqual(readdirSync(dir), []); // no file is created when the environment has the key
});

test('a malformed MASTER_KEY is refused without echoing it', () => {
  for (const bad of ['c2hvcnQ=', `${randomBytes(32).toString('base64')}!!`, randomBytes(33).toString('base64')]) {
    assert.throws(
      () => parseMasterKey(bad, 'MASTER_KEY'),
      (err: Error) => err instanceof ConfigError && /32 random bytes/.test(err.message) && !err.message.includes(bad),
    );
  }
});

test('first run creates the key file with mode 0600; later runs reuse it', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'nested', 'master.key');
  const first = loadMasterKey({ masterKeyFile: file });
  assert.equal(first.length, 32);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(Buffer.from(readFileSync(file, 'utf8').trim(), 'base64'), first);
  const again = loadMasterKey({ masterKeyFile: file });
  assert.deepEqual(again, first);
  assert.deepEqual(readdirSync(join(dir, 'nested')), ['master.key']); // no temporary file left behind
});

test('a key file readable by group or others is refused with a chmod hint', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'master.key');
  loadMasterKey({ masterKeyFile: file });
  for (const mode of [0o640, 0o604, 0o644]) {
    chmodSync(file, mode);
    assert.throws(
      () => loadMasterKey({ masterKeyFile: file }),
      (err: Error) => err instanceof ConfigError && err.message.includes('chmod 600') && err.message.includes(mode.toString(8)),
    );
  }
  chmodSync(file, 0o600);
  assert.equal(loadMasterKey({ masterKeyFile: file }).length, 32); // control: fixed permissions load again
});

test('a malformed key file is refused, not replaced', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'master.key');
  writeFileSync(file, 'not a key\n', { mode: 0o600 });
  assert.throws(() => loadMasterKey({ masterKeyFile: file }), (err: Error) => err instanceof ConfigError && /MASTER_KEY_FILE/.test(err.message));
  assert.equal(readFileSync(file, 'utf8'), 'not a key\n');
});

test('replaceKeyFile swaps in a new key with mode 0600', { skip: !posix }, (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'master.key');
  const old = loadMasterKey({ masterKeyFile: file });
  const next = randomBytes(32);
  replaceKeyFile(file, next);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const loaded = loadMasterKey({ masterKeyFile: file });
  assert.deepEqual(loaded, next);
  assert.notDeepEqual(loaded, old);
  assert.deepEqual(readdirSync(dir), ['master.key']);
});
