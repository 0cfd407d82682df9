import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, fsyncSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { AppConfig } from '../config';
import { ConfigError } from '../errors';
import { KEY_BYTES } from './envelope';

// The master key only wraps the per-organisation data keys. It comes from MASTER_KEY (base64), or else
// from a key file that is created on first run. The key file must be readable by its owner only: a key
// that anyone on the host can read protects nothing, so boot refuses it rather than warn.

/** Decode a base64 master key; throws a message-only Error (never echoing the value) when it is not 32 bytes. */
export function parseMasterKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  // Buffer.from(…, 'base64') silently skips junk, so check the alphabet and the round trip as well.
  const key = Buffer.from(trimmed, 'base64');
  const canonical = key.toString('base64');
  const sameText = trimmed.replace(/=+$/, '') === canonical.replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]+=*$/.test(trimmed) || !sameText || key.length !== KEY_BYTES) {
    throw new ConfigError([
      `${source}: must hold ${KEY_BYTES} random bytes, base64-encoded (create one with: openssl rand -base64 32)`,
    ]);
  }
  return key;
}

/** `MASTER_KEY` if set, else the key file at `config.masterKeyFile` (created with mode 0600 on first run). */
export function loadMasterKey(config: Pick<AppConfig, 'masterKey' | 'masterKeyFile'>): Buffer {
  if (config.masterKey) return parseMasterKey(config.masterKey, 'MASTER_KEY');
  return readOrCreateKeyFile(config.masterKeyFile);
}

export function readOrCreateKeyFile(path: string): Buffer {
  try {
    return readKeyFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  createKeyFile(path, randomBytes(KEY_BYTES));
  // Read back what is on disk: if another process won the race to create it, that key is the key.
  return readKeyFile(path);
}

/** Read an existing key file; refuses group/world-accessible files and malformed contents. */
export function readKeyFile(path: string): Buffer {
  const stat = statSync(path);
  if (!stat.isFile()) throw new ConfigError([`MASTER_KEY_FILE: ${path} is not a regular file`]);
  // POSIX permission bits mean nothing on Windows; there the file lives in a private data folder.
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new ConfigError([
      `MASTER_KEY_FILE: ${path} is readable by others (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `it must be 0600. Fix it with: chmod 600 ${path}`,
    ]);
  }
  return parseMasterKey(readFileSync(path, 'utf8'), `MASTER_KEY_FILE (${path})`);
}

/**
 * Write `key` to `path` with mode 0600, atomically and without ever replacing an existing file:
 * the key goes to a private temporary file first, then link() publishes it (link fails if `path`
 * exists), so a concurrent reader never sees a half-written key and two first runs never clobber.
 * Returns false if the file already existed.
 */
export function createKeyFile(path: string, key: Buffer): boolean {
  const tmp = writePrivateTemp(path, key);
  try {
    linkSync(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    unlinkSync(tmp);
  }
}

/** Replace the key file with `key` (mode 0600) atomically: a crash leaves either the old or the new key. */
export function replaceKeyFile(path: string, key: Buffer): void {
  const tmp = writePrivateTemp(path, key);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

/** The key, base64, in a new 0600 file beside `path` (same directory, so link/rename stay atomic). */
function writePrivateTemp(path: string, key: Buffer): string {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', 0o600);
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
    chmodSync(tmp, 0o600); // open()'s mode is reduced by umask, never widened; be explicit anyway
  } finally {
    closeSync(fd);
  }
  return tmp;
}
