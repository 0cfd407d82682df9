// upsertMany (server/db/upsertMany.ts): many upserts in few statements, with the result of upserting them
// one by one in order. On SQLite and PostgreSQL: PostgreSQL refuses one statement that touches a row twice,
// SQLite one with more than 999 values.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { upsertMany, type UpsertRow } from '../../../server/db/upsertMany';

const TABLE = 'upsert_many_test';

for (const kind of dbKinds()) {
  describe(`upsertMany (${kind})`, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind, [], { migrate: false });
      await t.db.schema.createTable(TABLE, (table) => {
        table.increments('id');
        table.string('k').notNullable().unique();
        table.string('a');
        table.string('b');
      });
    });
    after(async () => t?.destroy());

    const row = (k: string, values: { a?: string | null; b?: string | null }, update: string[]): UpsertRow => ({ values: { k, a: null, b: null, ...values }, update });
    const read = async () => Object.fromEntries(((await t.db(TABLE).select('k', 'a', 'b')) as { k: string; a: string | null; b: string | null }[]).map((r) => [r.k, { a: r.a, b: r.b }]));

    it('one key twice in a list: applied in order, as one by one', async () => {
      await upsertMany(t.db, TABLE, ['k'], [row('x', { a: '1', b: '1' }, ['a', 'b']), row('y', { a: 'y' }, ['a']), row('x', { a: '2' }, ['a']), row('x', { b: '3' }, ['b'])]);
      assert.deepEqual((await read()).x, { a: '2', b: '3' });
      assert.deepEqual((await read()).y, { a: 'y', b: null });
    });

    it('a row updates only its own columns: the others keep what is stored', async () => {
      await upsertMany(t.db, TABLE, ['k'], [row('x', { a: 'kept?', b: 'new b' }, ['b']), row('y', { a: 'new a' }, ['a'])]);
      const now = await read();
      assert.deepEqual(now.x, { a: '2', b: 'new b' });
      assert.deepEqual(now.y, { a: 'new a', b: null });
    });

    it('no update columns: an existing row is left alone, a new one inserted', async () => {
      await upsertMany(t.db, TABLE, ['k'], [row('x', { a: 'ignored' }, []), row('z', { a: 'z' }, [])]);
      const now = await read();
      assert.equal(now.x!.a, '2');
      assert.deepEqual(now.z, { a: 'z', b: null });
    });

    it('more rows than one statement may bind: all written', async () => {
      const rows = Array.from({ length: 700 }, (_, n) => row(`bulk-${n}`, { a: String(n), b: 'b' }, ['a', 'b']));
      await upsertMany(t.db, TABLE, ['k'], rows);
      await upsertMany(t.db, TABLE, ['k'], rows.map((r) => ({ ...r, values: { ...r.values, b: 'again' } })));
      const bulk = ((await t.db(TABLE).where('k', 'like', 'bulk-%').select('a', 'b')) as { a: string; b: string }[]);
      assert.equal(bulk.length, 700);
      assert.ok(bulk.every((r) => r.b === 'again'));
    });
  });
}
