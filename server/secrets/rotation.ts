import type { Db, Queryable } from '../db/knex';
import { isPostgres, nowMs } from '../db/knex';
import { keyFingerprint } from './envelope';
import { DATA_KEYS_TABLE, unwrapDataKey, wrapDataKey, type DataKeyRow } from './dataKeys';
import { MasterKeyMismatchError } from './errors';
import type { SecretBox } from './box';
import type { SealedColumnRegistry } from './registry';

// Two rotations, each in one transaction so a failure changes nothing:
// - master key: unwrap every data key with the old master key and wrap it with the new one. The data keys
//   themselves, and therefore every sealed value, stay as they are.
// - an organisation's data key: create a new key, retire the old ones, and re-seal every registered
//   column of that organisation under the new key. Retired keys are kept (not deleted) so a value sealed
//   by a concurrent writer just before the commit stays readable; the next rotation re-seals it.

export interface MasterRotationResult {
  from: string;
  to: string;
  rewrapped: number;
  /** Rows already wrapped by the new key (a re-run after the key file could not be replaced). */
  alreadyNew: number;
}

export async function rotateMasterKey(db: Db, oldKey: Buffer, newKey: Buffer): Promise<MasterRotationResult> {
  const from = keyFingerprint(oldKey);
  const to = keyFingerprint(newKey);
  if (from === to) throw new Error('the new master key is the same as the current one');
  return db.transaction(async (trx) => {
    const rows = await lockRows(trx, trx<DataKeyRow>(DATA_KEYS_TABLE).select('*').orderBy('id'));
    let rewrapped = 0;
    let alreadyNew = 0;
    for (const row of rows) {
      if (row.master_key_id === to) {
        unwrapDataKey(newKey, row); // proves the new key really opens it before counting it as done
        alreadyNew += 1;
        continue;
      }
      if (row.master_key_id !== from) throw new MasterKeyMismatchError({ orgId: row.org_id, wrappedBy: row.master_key_id, loaded: from });
      const dataKey = unwrapDataKey(oldKey, row);
      await trx(DATA_KEYS_TABLE)
        .where({ id: row.id })
        .update({ wrapped_key: wrapDataKey(newKey, row.org_id, row.key_id, dataKey), master_key_id: to });
      dataKey.fill(0);
      rewrapped += 1;
    }
    return { from, to, rewrapped, alreadyNew };
  });
}

export interface OrgRotationResult {
  keyId: string;
  retired: string[];
  /** Sealed values re-sealed under the new key, per `table.column`. */
  resealed: Record<string, number>;
}

export async function rotateOrgDataKey(
  db: Db,
  box: SecretBox,
  orgId: number,
  opts: { registry: SealedColumnRegistry },
): Promise<OrgRotationResult> {
  const registry = opts.registry;
  return db.transaction(async (trx) => {
    const previous = await lockRows(
      trx,
      trx<DataKeyRow>(DATA_KEYS_TABLE).where({ org_id: orgId }).whereNull('retired_at').select('key_id'),
    );
    const keyId = await box.createDataKey(trx, orgId);
    const retired = previous.map((r) => r.key_id);
    if (retired.length > 0) {
      await trx(DATA_KEYS_TABLE).where({ org_id: orgId }).whereIn('key_id', retired).update({ retired_at: nowMs() });
    }
    const resealed: Record<string, number> = {};
    for (const spec of registry.list()) {
      const rows = await lockRows(trx, trx(spec.table).where(spec.orgColumn, orgId).select('*'));
      for (const row of rows as Record<string, unknown>[]) {
        const changes: Record<string, string> = {};
        for (const column of spec.columns) {
          const sealed = row[column.name];
          if (sealed === null || sealed === undefined) continue;
          const purpose = column.purpose(row);
          const plaintext = await box.open(trx, orgId, purpose, String(sealed));
          changes[column.name] = await box.sealWithDataKey(trx, orgId, keyId, purpose, plaintext);
          plaintext.fill(0);
          const counter = `${spec.table}.${column.name}`;
          resealed[counter] = (resealed[counter] ?? 0) + 1;
        }
        if (Object.keys(changes).length > 0) {
          await trx(spec.table).where(spec.idColumn, row[spec.idColumn] as string | number).update(changes);
        }
      }
    }
    return { keyId, retired, resealed };
  });
}

/** On PostgreSQL lock what is about to be rewritten; SQLite's single writer already serialises. */
function lockRows<T>(db: Queryable, query: { forUpdate(): unknown } & PromiseLike<T>): PromiseLike<T> {
  return isPostgres(db) ? (query.forUpdate() as PromiseLike<T>) : query;
}
