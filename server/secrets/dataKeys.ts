import { randomBytes } from 'node:crypto';
import type { Queryable } from '../db/knex';
import { nowMs } from '../db/knex';
import { KEY_BYTES, keyFingerprint, openWithKey, parseEnvelope, sealWithKey, EnvelopeError } from './envelope';
import { MasterKeyMismatchError, SecretUnreadableError } from './errors';

// Storage of per-organisation data keys. A data key is wrapped under the master key with an AAD that
// names its organisation and key id, so a wrapped key copied to another organisation's row cannot be
// unwrapped there.

export interface DataKeyRow {
  id: number;
  org_id: number;
  key_id: string;
  wrapped_key: string;
  master_key_id: string;
  created_at: number;
  retired_at: number | null;
}

export const DATA_KEYS_TABLE = 'org_data_keys';

export const wrapAad = (orgId: number, keyId: string): string => `datakey:org:${orgId}:key:${keyId}`;

export function wrapDataKey(masterKey: Buffer, orgId: number, keyId: string, dataKey: Buffer): string {
  return sealWithKey(masterKey, keyFingerprint(masterKey), wrapAad(orgId, keyId), dataKey);
}

export function unwrapDataKey(masterKey: Buffer, row: Pick<DataKeyRow, 'org_id' | 'key_id' | 'wrapped_key' | 'master_key_id'>): Buffer {
  const loaded = keyFingerprint(masterKey);
  if (row.master_key_id !== loaded) {
    throw new MasterKeyMismatchError({ orgId: row.org_id, wrappedBy: row.master_key_id, loaded });
  }
  try {
    const envelope = parseEnvelope(row.wrapped_key);
    if (envelope.keyId !== loaded) throw new EnvelopeError('wrapped under another master key');
    const key = openWithKey(masterKey, envelope, wrapAad(row.org_id, row.key_id));
    if (key.length !== KEY_BYTES) throw new EnvelopeError('unwrapped data key has the wrong length');
    return key;
  } catch (err) {
    if (!(err instanceof EnvelopeError)) throw err;
    throw new SecretUnreadableError({ orgId: row.org_id, purpose: `data key ${row.key_id}`, reason: err.message });
  }
}

/** The newest unretired data key of an organisation, if any. */
export async function activeDataKeyRow(db: Queryable, orgId: number): Promise<DataKeyRow | undefined> {
  return db<DataKeyRow>(DATA_KEYS_TABLE).where({ org_id: orgId }).whereNull('retired_at').orderBy('id', 'desc').first();
}

export async function dataKeyRow(db: Queryable, orgId: number, keyId: string): Promise<DataKeyRow | undefined> {
  return db<DataKeyRow>(DATA_KEYS_TABLE).where({ org_id: orgId, key_id: keyId }).first();
}

/** Create (and store wrapped) a fresh random data key for `orgId`; returns its id and material. */
export async function insertDataKey(db: Queryable, masterKey: Buffer, orgId: number): Promise<{ keyId: string; key: Buffer }> {
  const keyId = randomBytes(8).toString('hex');
  const key = randomBytes(KEY_BYTES);
  await db(DATA_KEYS_TABLE).insert({
    org_id: orgId,
    key_id: keyId,
    wrapped_key: wrapDataKey(masterKey, orgId, keyId, key),
    master_key_id: keyFingerprint(masterKey),
    created_at: nowMs(),
    retired_at: null,
  });
  return { keyId, key };
}
