import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import type { Db } from '../../../server/db/knex';
import {
  createSecretBox,
  createSealedColumnRegistry,
  rotateMasterKey,
  rotateOrgDataKey,
  keyFingerprint,
  MasterKeyMismatchError,
  SecretUnreadableError,
} from '../../../server/secrets';

async function createOrg(db: Db, name: string): Promise<number> {
  const [row] = await db('organisations').insert({ name, created_at: Date.now() }).returning('id');
  return typeof row === 'object' ? (row as { id: number }).id : (row as number);
}

// A stand-in for a plugin's table with two sealed columns (one nullable).
async function createVault(db: Db): Promise<void> {
  await db.schema.createTable('test_vault', (t) => {
    t.increments('id');
    t.integer('org_id').notNullable();
    t.text('consumer_secret').nullable();
    t.text('private_key').nullable();
  });
}
const vaultSpec = {
  table: 'test_vault',
  idColumn: 'id',
  orgColumn: 'org_id',
  columns: [
    { name: 'consumer_secret', purpose: (row: Record<string, unknown>) => `test_vault.consumer_secret:${String(row.id)}` },
    { name: 'private_key', purpose: (row: Record<string, unknown>) => `test_vault.private_key:${String(row.id)}` },
  ],
};

async function insertVaultRow(db: Db, box: ReturnType<typeof createSecretBox>, orgId: number, secret: string, privateKey: string | null) {
  return db.transaction(async (trx) => {
    const [row] = await trx('test_vault').insert({ org_id: orgId }).returning('id');
    const id = typeof row === 'object' ? (row as { id: number }).id : (row as number);
    await trx('test_vault').where({ id }).update({
      consumer_secret: await box.seal(trx, orgId, `test_vault.consumer_secret:${id}`, secret),
      private_key: privateKey === null ? null : await box.seal(trx, orgId, `test_vault.private_key:${id}`, privateKey),
    });
    return id;
  });
}

async function readVault(db: Db, box: ReturnType<typeof createSecretBox>, id: number) {
  const row = (await db('test_vault').where({ id }).first()) as { org_id: number; consumer_secret: string; private_key: string | null };
  return {
    secret: await box.openString(db, row.org_id, `test_vault.consumer_secret:${id}`, row.consumer_secret),
    privateKey: row.private_key === null ? null : await box.openString(db, row.org_id, `test_vault.private_key:${id}`, row.private_key),
    raw: row,
  };
}

for (const kind of dbKinds()) {
  describe(`secret box on ${kind}`, () => {
    let tdb: TestDatabase;
    let db: Db;
    let orgA: number;
    let orgB: number;
    const masterKey = randomBytes(32);

    before(async () => {
      tdb = await createTestDatabase(kind);
      db = tdb.db;
      orgA = await createOrg(db, 'Alpha Gym');
      orgB = await createOrg(db, 'Beta Venue');
      await createVault(db);
    });
    after(async () => tdb.destroy());

    test('round trip; the first seal creates one data key wrapped by the master key', async () => {
      const box = createSecretBox({ masterKey });
      const sealed = await box.seal(db, orgA, 'demo:1', 'hunter2');
      assert.equal(await box.openString(db, orgA, 'demo:1', sealed), 'hunter2');
      assert.deepEqual(await box.open(db, orgA, 'demo:1', sealed), Buffer.from('hunter2'));
      const keys = await db('org_data_keys').where({ org_id: orgA });
      assert.equal(keys.length, 1);
      assert.equal(keys[0].master_key_id, keyFingerprint(masterKey));
      assert.equal(keys[0].retired_at, null);
      // A second seal reuses the key; a fresh box (another process) opens it from the database.
      const again = await box.seal(db, orgA, 'demo:2', Buffer.from([0, 1, 2, 255]));
      assert.equal((await db('org_data_keys').where({ org_id: orgA })).length, 1);
      const fresh = createSecretBox({ masterKey });
      assert.deepEqual(await fresh.open(db, orgA, 'demo:2', again), Buffer.from([0, 1, 2, 255]));
    });

    test('a value opens only for its own organisation and purpose, and only unaltered', async () => {
      const box = createSecretBox({ masterKey });
      const sealed = await box.seal(db, orgA, 'xero.consumer_secret:7', 'top-secret-value');
      await box.seal(db, orgB, 'warm-up', 'x'); // orgB has its own data key
      const unreadable = (err: unknown) =>
        err instanceof SecretUnreadableError && err.code === 'SECRET_UNREADABLE' && !err.message.includes('top-secret-value');
      await assert.rejects(box.open(db, orgB, 'xero.consumer_secret:7', sealed), unreadable);
      await assert.rejects(box.open(db, orgA, 'xero.consumer_secret:8', sealed), unreadable);
      const parts = sealed.split('.');
      const tampered = [...parts];
      tampered[4] = Buffer.from(Buffer.from(parts[4] ?? '', 'base64url').map((b, i) => (i === 0 ? b ^ 0x80 : b))).toString('base64url');
      await assert.rejects(box.open(db, orgA, 'xero.consumer_secret:7', tampered.join('.')), unreadable);
      await assert.rejects(box.open(db, orgA, 'xero.consumer_secret:7', 'plaintext'), unreadable);
      assert.equal(await box.openString(db, orgA, 'xero.consumer_secret:7', sealed), 'top-secret-value'); // control
    });

    test('a wrapped data key copied to another organisation does not unwrap there', async () => {
      const box = createSecretBox({ masterKey });
      const orgC = await createOrg(db, 'Gamma Clinic');
      const sealed = await box.seal(db, orgA, 'copy', 'value');
      const keyA = await db('org_data_keys').where({ org_id: orgA }).whereNull('retired_at').orderBy('id', 'desc').first();
      await db('org_data_keys').insert({ ...keyA, id: undefined, org_id: orgC });
      await assert.rejects(createSecretBox({ masterKey }).open(db, orgC, 'copy', sealed), SecretUnreadableError);
    });

    test('a box with another master key says which key it expected', async () => {
      const box = createSecretBox({ masterKey });
      const sealed = await box.seal(db, orgA, 'mk', 'v');
      const other = createSecretBox({ masterKey: randomBytes(32) });
      await assert.rejects(other.open(db, orgA, 'mk', sealed), (err: unknown) => {
        return err instanceof MasterKeyMismatchError && err.message.includes(keyFingerprint(masterKey));
      });
    });

    test('a seal inside a transaction that rolls back leaves no data key behind', async () => {
      const box = createSecretBox({ masterKey });
      const orgD = await createOrg(db, 'Delta Pool');
      await assert.rejects(
        db.transaction(async (trx) => {
          await box.seal(trx, orgD, 'p', 'v');
          throw new Error('rollback');
        }),
        /rollback/,
      );
      assert.equal((await db('org_data_keys').where({ org_id: orgD })).length, 0);
      const sealed = await box.seal(db, orgD, 'p', 'v2'); // a new key, never confused with the rolled-back one
      assert.equal(await createSecretBox({ masterKey }).openString(db, orgD, 'p', sealed), 'v2');
    });

    test('master key rotation re-wraps every data key; values stay readable with the new key only', async () => {
      const oldKey = randomBytes(32);
      const newKey = randomBytes(32);
      const tdb2 = await createTestDatabase(kind);
      try {
        const db2 = tdb2.db;
        const o1 = await createOrg(db2, 'One');
        const o2 = await createOrg(db2, 'Two');
        await createVault(db2);
        const box = createSecretBox({ masterKey: oldKey });
        const id1 = await insertVaultRow(db2, box, o1, 'secret-one', 'key-one');
        const id2 = await insertVaultRow(db2, box, o2, 'secret-two', null);
        const before = (await db2('test_vault').orderBy('id')).map((r) => ({ ...r }));

        const result = await rotateMasterKey(db2, oldKey, newKey);
        assert.deepEqual(result, { from: keyFingerprint(oldKey), to: keyFingerprint(newKey), rewrapped: 2, alreadyNew: 0 });
        const keys = await db2('org_data_keys');
        assert.ok(keys.every((k) => k.master_key_id === keyFingerprint(newKey)));
        assert.deepEqual((await db2('test_vault').orderBy('id')).map((r) => ({ ...r })), before); // values untouched

        const newBox = createSecretBox({ masterKey: newKey });
        assert.deepEqual(await readVault(db2, newBox, id1).then((v) => [v.secret, v.privateKey]), ['secret-one', 'key-one']);
        assert.deepEqual(await readVault(db2, newBox, id2).then((v) => [v.secret, v.privateKey]), ['secret-two', null]);
        await assert.rejects(readVault(db2, createSecretBox({ masterKey: oldKey }), id1), MasterKeyMismatchError);

        // Re-running (e.g. the key file could not be replaced the first time) changes nothing.
        assert.deepEqual(await rotateMasterKey(db2, oldKey, newKey), { ...result, rewrapped: 0, alreadyNew: 2 });
        // A third, unrelated key cannot rotate anything, and the failure rolls back as a whole.
        await assert.rejects(rotateMasterKey(db2, randomBytes(32), oldKey), MasterKeyMismatchError);
        assert.ok((await db2('org_data_keys')).every((k) => k.master_key_id === keyFingerprint(newKey)));
      } finally {
        await tdb2.destroy();
      }
    });

    test('data key rotation re-seals every registered column of that organisation only', async () => {
      const registry = createSealedColumnRegistry();
      registry.register(vaultSpec);
      const box = createSecretBox({ masterKey });
      const id1 = await insertVaultRow(db, box, orgA, 'alpha-secret', 'alpha-key');
      const id2 = await insertVaultRow(db, box, orgA, 'alpha-secret-2', null);
      const idB = await insertVaultRow(db, box, orgB, 'beta-secret', 'beta-key');
      const oldKeyIds = (await db('org_data_keys').where({ org_id: orgA }).whereNull('retired_at')).map((k) => k.key_id);
      const rowB = await db('test_vault').where({ id: idB }).first();

      const result = await rotateOrgDataKey(db, box, orgA, { registry });
      assert.deepEqual(result.retired.sort(), oldKeyIds.sort());
      assert.deepEqual(result.resealed, { 'test_vault.consumer_secret': 2, 'test_vault.private_key': 1 });
      const active = await db('org_data_keys').where({ org_id: orgA }).whereNull('retired_at');
      assert.deepEqual(active.map((k) => k.key_id), [result.keyId]);

      const fresh = createSecretBox({ masterKey });
      const v1 = await readVault(db, fresh, id1);
      assert.deepEqual([v1.secret, v1.privateKey], ['alpha-secret', 'alpha-key']);
      assert.equal(v1.raw.consumer_secret.split('.')[1], result.keyId);
      assert.equal(v1.raw.private_key?.split('.')[1], result.keyId);
      const v2 = await readVault(db, fresh, id2);
      assert.deepEqual([v2.secret, v2.privateKey, v2.raw.consumer_secret.split('.')[1]], ['alpha-secret-2', null, result.keyId]);
      assert.deepEqual(await db('test_vault').where({ id: idB }).first(), rowB); // the other organisation is untouched
      assert.equal((await readVault(db, fresh, idB)).secret, 'beta-secret');
      // New seals use the new key.
      assert.equal((await box.seal(db, orgA, 'after', 'x')).split('.')[1], result.keyId);
    });

    test('data key rotation is all or nothing: one unreadable value rolls it back', async () => {
      const registry = createSealedColumnRegistry();
      registry.register(vaultSpec);
      const box = createSecretBox({ masterKey });
      const orgE = await createOrg(db, 'Epsilon');
      const good = await insertVaultRow(db, box, orgE, 'fine', null);
      const bad = await insertVaultRow(db, box, orgE, 'will be damaged', null);
      const goodRow = await db('test_vault').where({ id: good }).first();
      await db('test_vault').where({ id: bad }).update({ consumer_secret: goodRow.consumer_secret }); // wrong purpose for that row
      const keysBefore = await db('org_data_keys').where({ org_id: orgE }).orderBy('id');
      await assert.rejects(rotateOrgDataKey(db, box, orgE, { registry }), SecretUnreadableError);
      assert.deepEqual(await db('org_data_keys').where({ org_id: orgE }).orderBy('id'), keysBefore);
      assert.deepEqual(await db('test_vault').where({ id: good }).first(), goodRow);
    });
  });
}

describe('nothing secret rests in clear in the SQLite file', () => {
  test('a sealed marker is absent from the database and WAL bytes; a plain control marker is present', async () => {
    const tdb = await createTestDatabase('sqlite');
    try {
      const db = tdb.db;
      const masterKey = randomBytes(32);
      const orgId = await createOrg(db, 'Marker Org');
      await createVault(db);
      const marker = `LB-SECRET-MARKER-${randomBytes(8).toString('hex')}`;
      const control = `LB-PLAIN-CONTROL-${randomBytes(8).toString('hex')}`;
      const box = createSecretBox({ masterKey });
      const id = await insertVaultRow(db, box, orgId, marker, `-----BEGIN PRIVATE KEY-----${marker}`);
      // The control is stored in clear on purpose: it proves the scan below would see a plaintext value.
      await db('organisations').where({ id: orgId }).update({ name: control });
      assert.equal((await readVault(db, box, id)).secret, marker);

      const scan = () => {
        const files = [tdb.config.connection, `${tdb.config.connection}-wal`].filter((f) => existsSync(f));
        return Buffer.concat(files.map((f) => readFileSync(f)));
      };
      let bytes = scan();
      assert.ok(bytes.includes(control), 'control marker should be visible in the raw database bytes');
      assert.ok(!bytes.includes(marker), 'the sealed marker must not appear in clear');
      assert.ok(!bytes.includes(masterKey), 'the master key must not be stored');
      assert.ok(!bytes.includes(masterKey.toString('base64')), 'the master key must not be stored (base64)');

      await db.raw('PRAGMA wal_checkpoint(TRUNCATE)'); // and again once the WAL is folded into the main file
      bytes = scan();
      assert.ok(bytes.includes(control));
      assert.ok(!bytes.includes(marker));
    } finally {
      await tdb.destroy();
    }
  });
});
