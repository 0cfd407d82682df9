// Fair claims across organisations, on each database. Workers take organisations in turn (claim.ts,
// afterOrg): one tenant's backlog must delay another tenant's new item by about one batch per worker, not by
// the backlog. Before, claims took the oldest item first, so a quiet tenant's sale waited for every older
// item of every other tenant (31 s p95 behind 4,000 sales in bench/scale-workers.ts).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { claimBatch, orgCursorAfter } from '../../../server/outbox/claim';
import { complete } from '../../../server/outbox/transitions';
import { startOutboxWorkers } from '../../../server/outbox/worker';
import type { LeasedItem } from '../../../server/outbox/rows';
import type { OutboxItem } from '../../../server/outbox/types';
import { item, outboxFixture, silentLogger, waitFor, type OutboxFixture } from './helpers';

const LEASE = 60_000;
const BACKLOG = 1_000;

for (const kind of dbKinds()) {
  describe(`outbox fairness across organisations (${kind})`, () => {
    let fx: OutboxFixture;
    let typeSeq = 0;
    const freshType = () => `test.fair${kind}${++typeSeq}.push`;
    before(async () => {
      fx = await outboxFixture(kind);
    });
    after(async () => {
      await fx.close();
    });

    /** Org `orgId`'s backlog of `n` due items, written in bulk (one transaction). */
    async function backlog(type: string, orgId: number | null, n: number): Promise<void> {
      await fx.tdb.db.transaction(async (trx) => {
        for (let k = 0; k < n; k++) await fx.writer.enqueue(trx, item({ type, orgId }));
      });
    }

    /** A worker as startOutboxWorkers runs one: its own cursor, carried from claim to claim. */
    function claimer(types: string[], workerId: string, batch = 10) {
      let cursor: number | null = null;
      return async (): Promise<LeasedItem[]> => {
        const claimed = await claimBatch(fx.tdb.db, { types, workerId, leaseMs: LEASE, limit: batch, afterOrg: cursor });
        cursor = orgCursorAfter(claimed, cursor);
        return claimed;
      };
    }

    for (const [label, busy, quiet] of [['a higher organisation key', 5, 9], ['a lower organisation key', 9, 5], ['the host (no organisation)', 5, null]] as const) {
      it(`a new item of ${label} is claimed within 2 claims of one worker behind ${BACKLOG} due items`, async () => {
        const type = freshType();
        await backlog(type, busy, BACKLOG);
        const claim = claimer([type], 'w1');
        const first = await claim();
        assert.ok(first.length === 10 && first.every((i) => i.orgId === busy), 'the backlog is being served');
        const quietId = (await fx.writer.enqueue(fx.tdb.db, item({ type, orgId: quiet }))).id;
        const next = [await claim(), await claim()];
        assert.ok(next.some((b) => b.some((i) => i.id === quietId)), `quiet item claimed within 2 claims: ${JSON.stringify(next.map((b) => b.map((i) => i.orgId)))}`);
        assert.ok(next.every((b) => b.every((i) => i.orgId === b[0]!.orgId)), 'one organisation per batch');
        // The busy tenant is not starved either: it is served again right after.
        assert.ok(next.some((b) => b[0]?.orgId === busy));
      });
    }

    it('with 2 workers (each its own cursor) the new item is claimed within the next 2 claims', async () => {
      const type = freshType();
      await backlog(type, 3, BACKLOG);
      const w1 = claimer([type], 'w1');
      const w2 = claimer([type], 'w2');
      const firsts = [await w1(), await w2()];
      assert.ok(firsts.every((b) => b.length === 10 && b[0]!.orgId === 3));
      assert.notEqual(firsts[0]![0]!.id, firsts[1]![0]!.id, 'no item is leased twice');
      const quietId = (await fx.writer.enqueue(fx.tdb.db, item({ type, orgId: 4 }))).id;
      const next = [await w1(), await w2()];
      assert.ok(next.some((b) => b.some((i) => i.id === quietId)), `quiet item claimed: ${JSON.stringify(next.map((b) => b.map((i) => i.orgId)))}`);
    });

    it('every organisation with work is served once per round, and subject order holds inside each', async () => {
      const type = freshType();
      // Org 7's first item holds back the second (same subject); orgs 6 and 8 have plain backlogs.
      await backlog(type, 6, 50);
      const [s1, s2] = [
        (await fx.writer.enqueue(fx.tdb.db, item({ type, orgId: 7, subject: 'sale:7-1' }))).id,
        (await fx.writer.enqueue(fx.tdb.db, item({ type, orgId: 7, subject: 'sale:7-1' }))).id,
      ];
      await backlog(type, 8, 50);
      const claim = claimer([type], 'w1', 5);
      const round = [await claim(), await claim(), await claim()];
      assert.deepEqual(round.map((b) => b[0]!.orgId), [6, 7, 8], 'organisations in turn');
      assert.deepEqual(round[1]!.map((i) => i.id), [s1], 'the later item of the subject waits for the earlier one');
      // While s1 is leased, the round skips org 7 (nothing eligible there) and wraps round.
      const again = [await claim(), await claim()];
      assert.deepEqual(again.map((b) => b[0]!.orgId), [6, 8]);
      await complete(fx.tdb.db, round[1]!, 'w1');
      const after = [await claim(), await claim()];
      assert.deepEqual(after.map((b) => b[0]!.orgId), [6, 7]);
      assert.deepEqual(after[1]!.map((i) => i.id), [s2], 'then the later one');
    });

    it('a worker drains a backlog and a quiet tenant\'s items go through within a batch or two each', async () => {
      const type = freshType();
      await backlog(type, 11, BACKLOG);
      const order: (number | null)[] = [];
      let quietSent = 0;
      const quietIds: number[] = [];
      const quietBatchAt: number[] = [];
      const workers = startOutboxWorkers({
        db: fx.tdb.db, concurrency: 1, leaseMs: LEASE, pollMs: 60_000, logger: silentLogger, notifier: fx.notifier,
        handlers: new Map([[type, {
          batchSize: 20,
          async handle(items: OutboxItem[]) {
            order.push(items[0]!.orgId);
            if (items[0]!.orgId === 12) quietBatchAt.push(order.length);
            // A new quiet-tenant item arrives while every 5th batch of the backlog is in flight.
            if (items[0]!.orgId === 11 && order.length % 5 === 1 && quietSent < 3) {
              quietSent++;
              quietIds.push((await fx.writer.enqueue(fx.tdb.db, item({ type, orgId: 12 }))).id);
              quietBatchAt.push(-order.length);
            }
            return items.map(() => ({ status: 'done' as const }));
          },
        }]]),
      });
      try {
        await waitFor(async () => Number(((await fx.tdb.db('outbox').where({ type, status: 'done' }).count({ n: '*' })) as { n: string }[])[0]!.n) === BACKLOG + 3, 60_000, 'the backlog to drain');
      } finally {
        await workers.stop();
      }
      // Each quiet item was enqueued during batch k of the backlog and handled in batch k + 1.
      const enqueuedAt = quietBatchAt.filter((n) => n < 0).map((n) => -n);
      const handledAt = quietBatchAt.filter((n) => n > 0);
      assert.equal(quietIds.length, 3);
      assert.deepEqual(handledAt, enqueuedAt.map((k) => k + 1), `batches by organisation: ${order.join(',')}`);
    });
  });
}
