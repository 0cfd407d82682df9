// Housekeeping deletes only what has expired: Idempotency-Key replies past their window and outbox
// items delivered before the retention cut-off. Pending, failed and dead items are never touched.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { claimBatch } from '../../../server/outbox/claim';
import { complete, fail } from '../../../server/outbox/transitions';
import { purgeExpired } from '../../../server/housekeeping/purge';
import { enqueueAll, item, outboxFixture, type OutboxFixture } from '../outbox/helpers';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

for (const kind of dbKinds()) {
  describe(`housekeeping purge (${kind})`, () => {
    let fx: OutboxFixture;
    before(async () => {
      fx = await outboxFixture(kind);
    });
    after(async () => {
      await fx.close();
    });

    it('drops idempotency replies older than the TTL and keeps the rest', async () => {
      const now = Date.now();
      const row = (key: string, age: number) => ({ org_id: 1, key, request_hash: 'h', status_code: 201, response_body: '{}', created_at: now - age });
      await fx.tdb.db('api_idempotency').insert([row('old', 25 * HOUR), row('edge', 24 * HOUR - 1), row('new', 1000)]);

      const counts = await purgeExpired(fx.tdb.db, { idempotencyTtlMs: 24 * HOUR, outboxRetentionMs: 30 * DAY }, now);

      assert.equal(counts.idempotencyKeys, 1);
      const left = (await fx.tdb.db('api_idempotency').orderBy('key').pluck('key')) as string[];
      assert.deepEqual(left, ['edge', 'new']);
    });

    it('drops only done outbox items delivered before the retention cut-off', async () => {
      const type = 'test.housekeeping.push';
      const now = Date.now();
      const [oldDone, recentDone, dead, pending] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type }), item({ type }), item({ type, maxAttempts: 1 }), item({ type })]);
      const claimed = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: 60_000, limit: 3 });
      await complete(fx.tdb.db, claimed.filter((i) => i.id === oldDone), 'w', now - 31 * DAY);
      await complete(fx.tdb.db, claimed.filter((i) => i.id === recentDone), 'w', now - 29 * DAY);
      await fail(fx.tdb.db, claimed.filter((i) => i.id === dead), 'w', 'permanent');

      const counts = await purgeExpired(fx.tdb.db, { idempotencyTtlMs: 24 * HOUR, outboxRetentionMs: 30 * DAY }, now);

      assert.equal(counts.outboxItems, 1);
      const ids = ((await fx.tdb.db('outbox').where({ type }).pluck('id')) as number[]).map(Number).sort((a, b) => a - b);
      assert.deepEqual(ids, [recentDone, dead, pending].map(Number).sort((a, b) => a - b));
    });
  });
}
