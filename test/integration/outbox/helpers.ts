// Shared set-up for the outbox integration tests: a fresh database with a writer and its notifier.
import { createTestDatabase, type DbKind, type TestDatabase } from '../../support/db';
import { createLogger } from '../../../server/logger';
import { createOutboxNotifier, type OutboxNotifier } from '../../../server/outbox/notifier';
import { createOutboxWriter } from '../../../server/outbox/writer';
import type { EnqueueInput, OutboxWriter } from '../../../server/outbox/types';
import type { Queryable } from '../../../server/db/knex';

export const silentLogger = createLogger({ level: process.env.OUTBOX_TEST_LOG ?? 'silent' });

export interface OutboxFixture {
  tdb: TestDatabase;
  notifier: OutboxNotifier;
  writer: OutboxWriter;
  close(): Promise<void>;
}

export async function outboxFixture(kind: DbKind): Promise<OutboxFixture> {
  const tdb = await createTestDatabase(kind);
  const notifier = createOutboxNotifier({ db: tdb.db, logger: silentLogger });
  const writer = createOutboxWriter({ notifier, defaultMaxAttempts: 5 });
  return {
    tdb, notifier, writer,
    async close() {
      await notifier.close();
      await tdb.destroy();
    },
  };
}

let seq = 0;
/** An item with sensible defaults; override what the test is about. */
export function item(overrides: Partial<EnqueueInput> = {}): EnqueueInput {
  seq++;
  return { type: 'test.thing.push', orgId: 1, dedupeKey: `k-${process.pid}-${seq}`, payload: { n: seq }, ...overrides };
}

export async function enqueueAll(db: Queryable, writer: OutboxWriter, items: EnqueueInput[]): Promise<number[]> {
  const ids: number[] = [];
  for (const i of items) ids.push((await writer.enqueue(db, i)).id);
  return ids;
}

export async function statusOf(db: Queryable, id: number): Promise<{ status: string; attempts: number; last_error: string | null; available_at: number; lease_owner: string | null; lease_expires_at: number | null }> {
  const row = await db('outbox').where({ id }).first('status', 'attempts', 'last_error', 'available_at', 'lease_owner', 'lease_expires_at');
  if (!row) throw new Error(`no outbox item ${id}`);
  return { ...row, attempts: Number(row.attempts), available_at: Number(row.available_at) };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `check` is true, or fail after `timeoutMs`. */
export async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}
