// The queue's rules, on each database: dedupe, transactional enqueue, ordering by subject, batching per
// type and organisation, retries to dead, pause/resume, fencing and expired leases.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { claimBatch, reapExhaustedLeases } from '../../../server/outbox/claim';
import { complete, completeInTrx, defer, fail, holdLease, LeaseLostError, pause, retry } from '../../../server/outbox/transitions';
import { listOutbox, purgeDone, retryItems } from '../../../server/outbox/admin';
import { enqueueAll, item, outboxFixture, sleep, statusOf, type OutboxFixture } from './helpers';

const LEASE = 60_000;

for (const kind of dbKinds()) {
  describe(`outbox queue (${kind})`, () => {
    let fx: OutboxFixture;
    // Each test uses its own types so the tests in this file do not see each other's items.
    let typeSeq = 0;
    const freshType = () => `test.t${++typeSeq}.push`;
    before(async () => {
      fx = await outboxFixture(kind);
    });
    after(async () => {
      await fx.close();
    });

    it('dedupes on the key: the second enqueue returns the first item, created: false', async () => {
      const type = freshType();
      const first = await fx.writer.enqueue(fx.tdb.db, item({ type, dedupeKey: `dupe-${type}`, payload: { original: true } }));
      // Inside a transaction the duplicate must not abort it (PostgreSQL would, on a raised unique violation).
      const second = await fx.tdb.db.transaction(async (trx) => {
        const again = await fx.writer.enqueue(trx, item({ type, dedupeKey: `dupe-${type}`, payload: { other: true } }));
        await trx('outbox').count({ n: '*' }); // the transaction is still usable
        return again;
      });
      assert.equal(first.created, true);
      assert.deepEqual(second, { id: first.id, created: false });
      const rows = await fx.tdb.db('outbox').where({ dedupe_key: `dupe-${type}` });
      assert.equal(rows.length, 1);
      assert.deepEqual(JSON.parse(rows[0].payload), { original: true }, 'the first payload stays');
      assert.equal(rows[0].plugin_id, 'test');
    });

    it('enqueue in a rolled-back transaction leaves nothing and wakes nobody; a committed one wakes once', async () => {
      const type = freshType();
      const wakes: (string | null)[] = [];
      const unsubscribe = fx.notifier.subscribe((t) => wakes.push(t));
      await fx.notifier.ready();
      try {
        await assert.rejects(
          fx.tdb.db.transaction(async (trx) => {
            await fx.writer.enqueue(trx, item({ type }));
            throw new Error('sale failed');
          }),
          /sale failed/,
        );
        // knex resolves (not rejects) executionPromise on a plain rollback(): must still not wake.
        const trx = await fx.tdb.db.transaction();
        await fx.writer.enqueue(trx, item({ type }));
        await trx.rollback();
        // A savepoint that rolls back inside a transaction that commits: its item is gone, so no wake either.
        await fx.tdb.db.transaction(async (outer) => {
          await outer.transaction(async (savepoint) => {
            await fx.writer.enqueue(savepoint, item({ type }));
            throw new Error('line rejected');
          }).catch(() => undefined);
        });
        await sleep(300); // long enough for a NOTIFY to arrive if one had been sent
        assert.equal(await fx.tdb.db('outbox').where({ type }).count({ n: '*' }).first().then((r) => Number(r?.n)), 0);
        assert.deepEqual(wakes.filter((t) => t === type), []);

        await fx.tdb.db.transaction(async (trx2) => {
          await fx.writer.enqueue(trx2, item({ type }));
          await fx.writer.enqueue(trx2, item({ type }));
          await sleep(50);
          assert.deepEqual(wakes.filter((t) => t === type), [], 'no wake before COMMIT');
        });
        await sleep(kind === 'pg' ? 300 : 20);
        // In-process wake at once; on PostgreSQL the NOTIFY comes back too (one per transaction and type).
        assert.equal(wakes.filter((t) => t === type).length, kind === 'pg' ? 2 : 1);
      } finally {
        unsubscribe();
      }
    });

    it('runs items of one subject strictly in order; a dead earlier item blocks the later ones', async () => {
      const type = freshType();
      const subject = `sale:${type}`;
      const [first, second] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, subject }), item({ type, subject })]);
      const claim = () => claimBatch(fx.tdb.db, { types: [type], workerId: 'w1', leaseMs: LEASE, limit: 10 });

      const a = await claim();
      assert.deepEqual(a.map((i) => i.id), [first], 'only the first of the subject');
      assert.deepEqual(await claim(), [], 'second waits while the first is leased');
      assert.deepEqual(await retry(fx.tdb.db, a[0]!, 'w1', { error: 'timeout', retryAfterMs: 0 }), []);
      assert.equal((await statusOf(fx.tdb.db, first!)).status, 'pending');
      await sleep(300); // past the retry floor
      const b = await claim();
      assert.deepEqual(b.map((i) => i.id), [first], 'while the first is retrying the second still waits');
      assert.deepEqual(await complete(fx.tdb.db, b, 'w1'), []);
      const c = await claim();
      assert.deepEqual(c.map((i) => i.id), [second], 'goes once the first is done');

      const [third, fourth] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, subject: `${subject}-b` }), item({ type, subject: `${subject}-b` })]);
      const d = await claim();
      assert.deepEqual(d.map((i) => i.id), [third]);
      await fail(fx.tdb.db, d, 'w1', 'invalid tax code');
      assert.deepEqual(await claim(), [], 'a dead earlier item keeps blocking: order is never broken silently');
      await retryItems(fx.tdb.db, { ids: [third!] });
      const e = await claim();
      assert.deepEqual(e.map((i) => i.id), [third]);
      await complete(fx.tdb.db, e, 'w1');
      assert.deepEqual((await claim()).map((i) => i.id), [fourth]);
    });

    it('batches by type and organisation, oldest first, up to the batch size', async () => {
      const type = freshType();
      const other = freshType();
      const ids = await enqueueAll(fx.tdb.db, fx.writer, [
        item({ type, orgId: 1 }), item({ type, orgId: 2 }), item({ type: other, orgId: 1 }), item({ type, orgId: 1 }),
        item({ type, orgId: 1 }), item({ type, orgId: 1 }),
      ]);
      const limits = new Map([[type, 3], [other, 10]]);
      const claim = () => claimBatch(fx.tdb.db, { types: [type, other], workerId: 'w', leaseMs: LEASE, limit: (t) => limits.get(t) ?? 1 });
      assert.deepEqual((await claim()).map((i) => i.id), [ids[0], ids[3], ids[4]], 'org 1, batch size 3');
      assert.deepEqual((await claim()).map((i) => i.id), [ids[1]], 'then the oldest remaining: org 2');
      assert.deepEqual((await claim()).map((i) => i.id), [ids[2]], 'then the other type');
      const last = await claim();
      assert.deepEqual(last.map((i) => [i.id, i.attempts, i.orgId]), [[ids[5], 1, 1]]);
      assert.deepEqual(await claim(), []);
    });

    it('retries with backoff, then goes dead after max attempts with the last error kept', async () => {
      const type = freshType();
      const [id] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, maxAttempts: 3 })]);
      for (let attempt = 1; attempt <= 3; attempt++) {
        const [claimed] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1, now: Date.now() + attempt * 10 * 60_000 });
        assert.ok(claimed, `attempt ${attempt} claimed`);
        assert.equal(claimed.attempts, attempt);
        const before = Date.now();
        await retry(fx.tdb.db, claimed, 'w', { error: `HTTP 503 (attempt ${attempt})` });
        const row = await statusOf(fx.tdb.db, id!);
        if (attempt < 3) {
          assert.equal(row.status, 'pending');
          assert.ok(row.available_at >= before + 250, 'not before the floor');
        }
      }
      const row = await statusOf(fx.tdb.db, id!);
      assert.equal(row.status, 'dead');
      assert.equal(row.last_error, 'HTTP 503 (attempt 3)');
      assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1, now: Date.now() + 10 * 3_600_000 }), []);
    });

    it('pauses without spending the attempt, and resumes per organisation and plugin', async () => {
      const type = freshType();
      const [mine, otherOrg] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, orgId: 7 }), item({ type, orgId: 8 })]);
      const first = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1 });
      const second = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1 });
      await pause(fx.tdb.db, [...first, ...second], 'w', 'connection revoked');
      assert.deepEqual(await statusOf(fx.tdb.db, mine!).then((r) => [r.status, r.attempts]), ['paused', 0]);
      assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 5 }), []);
      assert.equal(await fx.writer.resumePaused(fx.tdb.db, { orgId: 7, typePrefix: 'tes' }), 0, 'a prefix is a whole plugin id');
      assert.equal(await fx.writer.resumePaused(fx.tdb.db, { orgId: 7, typePrefix: 'test' }), 1);
      assert.equal((await statusOf(fx.tdb.db, mine!)).status, 'pending');
      assert.equal((await statusOf(fx.tdb.db, otherOrg!)).status, 'paused');
    });

    it('defers without spending the attempt: an item that steps aside more often than its attempts never goes dead', async () => {
      // A history note steps aside while a venue sells non-stop; counted as retries, its 100 attempts ran out.
      const type = freshType();
      const [id] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, maxAttempts: 2 })]);
      let at = Date.now();
      for (let round = 1; round <= 5; round++) {
        const [claimed] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1, now: at });
        assert.ok(claimed, `round ${round} claimed`);
        assert.equal(claimed.attempts, round, 'attempts counts claims');
        assert.deepEqual(await defer(fx.tdb.db, claimed, 'w', { reason: 'waits for the stream', delayMs: 60_000 }, at), []);
        const row = await statusOf(fx.tdb.db, id!);
        assert.deepEqual([row.status, row.attempts, Number(row.available_at), row.last_error], ['pending', round, at + 60_000, 'waits for the stream']);
        const { max_attempts: max } = await fx.tdb.db('outbox').where({ id }).first('max_attempts');
        assert.equal(Number(max), 2 + round, 'each step-aside added one to the allowance: none of the 2 attempts was used');
        assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1, now: at + 59_999 }), [], 'not before its delay');
        at += 60_000;
      }
      const [last] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 1, now: at });
      assert.deepEqual(await complete(fx.tdb.db, last!, 'w'), []);
      assert.equal((await statusOf(fx.tdb.db, id!)).status, 'done');
      await assert.rejects(defer(fx.tdb.db, last!, 'w', { reason: 'x', delayMs: -1 }), /delayMs/);
    });

    it('fences: after the lease expired and another worker claimed, the old owner changes nothing', async () => {
      const type = freshType();
      const [id] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type })]);
      const t0 = Date.now();
      const [old] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'old', leaseMs: 1_000, limit: 1, now: t0 });
      assert.ok(old);
      assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'new', leaseMs: 1_000, limit: 1, now: t0 + 999 }), [], 'lease still held');
      const [again] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'new', leaseMs: LEASE, limit: 1, now: t0 + 1_000 });
      assert.equal(again?.id, id);
      assert.equal(again?.attempts, 2);

      assert.deepEqual(await complete(fx.tdb.db, old, 'old'), [id], 'completion rejected');
      assert.deepEqual(await retry(fx.tdb.db, old, 'old', { error: 'x' }), [id]);
      assert.deepEqual(await fail(fx.tdb.db, old, 'old', 'x'), [id]);
      assert.deepEqual(await pause(fx.tdb.db, old, 'old', 'x'), [id]);
      assert.deepEqual(await defer(fx.tdb.db, old, 'old', { reason: 'x', delayMs: 1 }), [id]);
      await assert.rejects(
        fx.tdb.db.transaction(async (trx) => {
          await trx('outbox').where({ id }).update({ last_error: 'effect that must roll back' });
          await completeInTrx(trx, old, 'old');
        }),
        LeaseLostError,
      );
      const row = await statusOf(fx.tdb.db, id!);
      assert.deepEqual([row.status, row.lease_owner, row.last_error], ['leased', 'new', null]);
      assert.deepEqual(await complete(fx.tdb.db, again!, 'new'), []);
      assert.equal((await statusOf(fx.tdb.db, id!)).status, 'done');
    });

    it('holds a lease for a call in flight: no other worker claims the item until then; fenced like every change', async () => {
      const type = freshType();
      const [id, other] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type }), item({ type })]);
      const t0 = Date.now();
      const batch = await claimBatch(fx.tdb.db, { types: [type], workerId: 'a', leaseMs: 1_000, limit: 2, now: t0 });
      assert.equal(batch.length, 2);
      // Held for the first item only, until t0 + 10 s: past the claim's lease, the second item comes back, the first does not.
      assert.deepEqual(await holdLease(fx.tdb.db, batch[0]!, 'a', t0 + 10_000, t0 + 900), []);
      const taken = await claimBatch(fx.tdb.db, { types: [type], workerId: 'b', leaseMs: 1_000, limit: 2, now: t0 + 1_000 });
      assert.deepEqual(taken.map((i) => i.id), [other]);
      assert.deepEqual(await complete(fx.tdb.db, taken, 'b'), []);
      // A shorter hold never shortens the lease.
      assert.deepEqual(await holdLease(fx.tdb.db, batch[0]!, 'a', t0 + 2_000, t0 + 1_500), []);
      assert.equal(Number((await statusOf(fx.tdb.db, id!)).lease_expires_at), t0 + 10_000);
      assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'b', leaseMs: 1_000, limit: 2, now: t0 + 9_999 }), [], 'held until t0 + 10 s');
      // The second item is b's now (done): a cannot hold it, so must not send it, and changes nothing of it.
      assert.deepEqual(await holdLease(fx.tdb.db, batch, 'a', t0 + 20_000, t0 + 9_999), [other]);
      const otherRow = await statusOf(fx.tdb.db, other!);
      assert.deepEqual([otherRow.status, otherRow.lease_owner], ['done', 'b']);
      const [again] = await claimBatch(fx.tdb.db, { types: [type], workerId: 'b', leaseMs: 1_000, limit: 1, now: t0 + 20_000 });
      assert.equal(again?.id, id, 'claimable once the hold has passed');
    });

    it('an expired lease on the final attempt goes dead, with the reason', async () => {
      const type = freshType();
      const [id] = await enqueueAll(fx.tdb.db, fx.writer, [item({ type, maxAttempts: 1 })]);
      const t0 = Date.now();
      await claimBatch(fx.tdb.db, { types: [type], workerId: 'crashed', leaseMs: 1_000, limit: 1, now: t0 });
      assert.deepEqual(await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: 1_000, limit: 1, now: t0 + 5_000 }), [], 'no attempts left');
      assert.equal(await reapExhaustedLeases(fx.tdb.db, t0 + 500), 0, 'lease not expired yet');
      assert.ok((await reapExhaustedLeases(fx.tdb.db, t0 + 5_000)) >= 1);
      const row = await statusOf(fx.tdb.db, id!);
      assert.equal(row.status, 'dead');
      assert.match(row.last_error ?? '', /lease expired during the final attempt \(1 of 1\) held by crashed/);
    });

    it('admin: lists by status and type, retries dead items, purges old done items', async () => {
      const type = freshType();
      const ids = await enqueueAll(fx.tdb.db, fx.writer, [item({ type }), item({ type }), item({ type })]);
      const claimed = await claimBatch(fx.tdb.db, { types: [type], workerId: 'w', leaseMs: LEASE, limit: 3 });
      await complete(fx.tdb.db, claimed[0]!, 'w', Date.now() - 3 * 86_400_000);
      await fail(fx.tdb.db, claimed[1]!, 'w', 'bad account code');
      await complete(fx.tdb.db, claimed[2]!, 'w');
      const dead = await listOutbox(fx.tdb.db, { status: 'dead', type, limit: 10 });
      assert.deepEqual(dead.map((d) => [d.id, d.lastError]), [[ids[1], 'bad account code']]);
      assert.equal(await retryItems(fx.tdb.db, { status: 'dead', type }), 1);
      assert.deepEqual(await statusOf(fx.tdb.db, ids[1]!).then((r) => [r.status, r.attempts]), ['pending', 0]);
      assert.equal(await retryItems(fx.tdb.db, { ids: [ids[2]!] }), 0, 'a done item is not retried');
      assert.equal(await purgeDone(fx.tdb.db, { olderThanMs: 86_400_000 }), 1);
      assert.deepEqual((await listOutbox(fx.tdb.db, { type, limit: 10 })).map((r) => r.id), [ids[2], ids[1]]);
    });
  });
}
