// Two processes on one SQLite file (web and worker): a transaction that reads and then writes must wait
// for the other's write lock, not fail with SQLITE_BUSY. Two knex instances are two connections, as two
// processes would hold. With a deferred BEGIN the second transaction reads a snapshot from before the
// first commits and its write is refused outright (SQLITE_BUSY); BEGIN IMMEDIATE makes it wait its turn.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Db } from '../../../server/db/knex';

let dir: string;
let first: Db;
let second: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lb-sqlite-lock-'));
  const file = join(dir, 'shared.sqlite');
  first = createDb({ client: 'sqlite', connection: file, poolMax: 1 });
  second = createDb({ client: 'sqlite', connection: file, poolMax: 1 });
  await first.schema.createTable('counters', (t) => {
    t.integer('id').primary();
    t.integer('value').notNullable();
  });
  await first('counters').insert({ id: 1, value: 0 });
});

after(async () => {
  await first.destroy();
  await second.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('a read-then-write transaction waits for another connection\'s write instead of failing', async () => {
  let releaseFirst!: () => void;
  const firstHolds = new Promise<void>((resolve) => (releaseFirst = resolve));
  let firstWrote!: () => void;
  const firstHasWritten = new Promise<void>((resolve) => (firstWrote = resolve));

  const writer = first.transaction(async (trx) => {
    await trx('counters').where({ id: 1 }).increment('value', 1);
    firstWrote();
    await firstHolds;
  });
  await firstHasWritten;

  const readThenWrite = second.transaction(async (trx) => {
    const row = await trx('counters').where({ id: 1 }).first();
    await trx('counters').where({ id: 1 }).update({ value: Number(row.value) + 10 });
  });
  // Let the second transaction start (and, with a deferred BEGIN, take its stale snapshot) before the first commits.
  await new Promise((r) => setTimeout(r, 100));
  releaseFirst();

  await writer;
  await readThenWrite;
  const final = await first('counters').where({ id: 1 }).first();
  assert.equal(Number(final.value), 11, 'both increments applied, in turn');
});
