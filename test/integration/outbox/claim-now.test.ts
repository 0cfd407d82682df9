// A claim sees the queue as of when it runs, not as of when it was asked for. On SQLite (one connection) a
// claim waits behind the transactions ahead of it — sales committing items due "now" — and once read its
// clock before waiting, so it left out every item that came due while it waited; the next claim then took
// them as a batch of their own: one more Xero call, often for a single sale (bench/xero-latency.ts).
// SQLite only: on PostgreSQL a claim does not wait for another connection's transaction.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { claimBatch } from '../../../server/outbox/claim';
import { item, outboxFixture, sleep } from './helpers';

describe('outbox claim on a busy connection (sqlite)', () => {
  it('takes an item that came due while the claim waited for the connection', async () => {
    const fx = await outboxFixture('sqlite');
    try {
      const type = 'claimnow.thing.push';
      const trx = await fx.tdb.db.transaction(); // holds SQLite's only connection
      const claiming = claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: 60_000, limit: 10 });
      await sleep(50);
      const { id } = await fx.writer.enqueue(trx, item({ type, availableAt: Date.now() })); // due after the claim was asked for
      await trx.commit();
      const claimed = await claiming;
      assert.deepEqual(claimed.map((i) => i.id), [id], 'the claim took the item committed while it waited');
    } finally {
      await fx.close();
    }
  });
});
