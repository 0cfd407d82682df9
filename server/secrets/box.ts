import type { Queryable } from '../db/knex';
import { EnvelopeError, keyFingerprint, openWithKey, parseEnvelope, sealWithKey, KEY_BYTES } from './envelope';
import { activeDataKeyRow, dataKeyRow, insertDataKey, unwrapDataKey } from './dataKeys';
import { SecretUnreadableError } from './errors';

// Seal/open secrets under the organisation's data key. Every call names its database handle, so a seal
// can join the caller's transaction (the secret and the row that holds it commit together).

export interface SecretBox {
  /** Fingerprint of the master key this box unwraps data keys with. */
  readonly masterKeyId: string;
  /** Encrypt under the organisation's active data key (created on first use), bound to `purpose`. */
  seal(db: Queryable, orgId: number, purpose: string, plaintext: string | Buffer): Promise<string>;
  /** Decrypt a value sealed for the same organisation and purpose; throws SecretUnreadableError otherwise. */
  open(db: Queryable, orgId: number, purpose: string, sealed: string): Promise<Buffer>;
  openString(db: Queryable, orgId: number, purpose: string, sealed: string): Promise<string>;
  /** Create a new active data key for the organisation (rotation); returns its id. Older keys stay until retired. */
  createDataKey(db: Queryable, orgId: number): Promise<string>;
  /** Seal with a specific data key (rotation re-seals under the new key before it is visible to others). */
  sealWithDataKey(db: Queryable, orgId: number, keyId: string, purpose: string, plaintext: string | Buffer): Promise<string>;
}

export interface SecretBoxOptions {
  masterKey: Buffer;
  /** Unwrapped data keys kept in memory (LRU); unwrapping costs a query and an AES operation. */
  cacheSize?: number;
}

/** The AAD of a sealed value: the organisation and the caller's purpose (table, column, row). */
export const valueAad = (orgId: number, purpose: string): string => `org:${orgId}:${purpose}`;

export function createSecretBox(opts: SecretBoxOptions): SecretBox {
  const { masterKey } = opts;
  if (masterKey.length !== KEY_BYTES) throw new Error(`the master key must be ${KEY_BYTES} bytes`);
  const masterKeyId = keyFingerprint(masterKey);
  const cacheSize = opts.cacheSize ?? 1000;
  // Key ids are random and never reused, so an entry can only ever be the right key for its id, even one
  // cached from a transaction that later rolled back. Master-key rotation re-wraps but never changes keys.
  const cache = new Map<string, Buffer>();

  const remember = (orgId: number, keyId: string, key: Buffer): Buffer => {
    const slot = `${orgId}:${keyId}`;
    cache.delete(slot);
    cache.set(slot, key);
    if (cache.size > cacheSize) {
      const oldest = cache.keys().next().value;
      if (oldest !== undefined) cache.delete(oldest);
    }
    return key;
  };

  async function dataKey(db: Queryable, orgId: number, keyId: string, purpose: string): Promise<Buffer> {
    const slot = `${orgId}:${keyId}`;
    const hit = cache.get(slot);
    if (hit) return remember(orgId, keyId, hit);
    const row = await dataKeyRow(db, orgId, keyId);
    if (!row) {
      throw new SecretUnreadableError({ orgId, purpose, reason: `it was sealed under data key ${keyId}, which this organisation does not have` });
    }
    return remember(orgId, keyId, unwrapDataKey(masterKey, row));
  }

  async function activeKey(db: Queryable, orgId: number): Promise<{ keyId: string; key: Buffer }> {
    // Looked up on every seal (one indexed query) so a rotation made by another process takes effect at once.
    const row = await activeDataKeyRow(db, orgId);
    if (row) return { keyId: row.key_id, key: await dataKey(db, orgId, row.key_id, 'data key') };
    const created = await insertDataKey(db, masterKey, orgId);
    remember(orgId, created.keyId, created.key);
    return created;
  }

  const toBuffer = (plaintext: string | Buffer): Buffer => (typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext);
  const checkPurpose = (purpose: string): void => {
    if (purpose.length === 0) throw new Error('a sealed value needs a purpose (e.g. "xero_connections.private_key:12")');
  };

  const box: SecretBox = {
    masterKeyId,
    async seal(db, orgId, purpose, plaintext) {
      checkPurpose(purpose);
      const { keyId, key } = await activeKey(db, orgId);
      return sealWithKey(key, keyId, valueAad(orgId, purpose), toBuffer(plaintext));
    },
    async createDataKey(db, orgId) {
      const created = await insertDataKey(db, masterKey, orgId);
      remember(orgId, created.keyId, created.key);
      return created.keyId;
    },
    async sealWithDataKey(db, orgId, keyId, purpose, plaintext) {
      checkPurpose(purpose);
      const key = await dataKey(db, orgId, keyId, purpose);
      return sealWithKey(key, keyId, valueAad(orgId, purpose), toBuffer(plaintext));
    },
    async open(db, orgId, purpose, sealed) {
      checkPurpose(purpose);
      try {
        const envelope = parseEnvelope(sealed);
        const key = await dataKey(db, orgId, envelope.keyId, purpose);
        return openWithKey(key, envelope, valueAad(orgId, purpose));
      } catch (err) {
        if (err instanceof EnvelopeError) throw new SecretUnreadableError({ orgId, purpose, reason: err.message });
        throw err;
      }
    },
    async openString(db, orgId, purpose, sealed) {
      return (await box.open(db, orgId, purpose, sealed)).toString('utf8');
    },
  };
  return box;
}
