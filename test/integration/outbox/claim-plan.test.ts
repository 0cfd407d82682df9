// The claim's cost must be its batch, not the queue. With a long backlog the planners used to fetch every
// due row through the status index, check each one's subject order and sort them all (SQLite never has
// statistics; PostgreSQL has none until its first ANALYZE of a freshly filled table): 53 ms and up to
// 770 ms per claim with 100,000 items waiting, and the Xero worker fell from 505 to 37 invoices a second.
// These tests EXPLAIN the exact statement claimBatch runs, as it runs it, on a backlog that was never
// analysed, and check it walks the id-ordered partial indexes and touches about one batch of rows.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { claimBatch, claimStatement, runClaimStatement, type ClaimOptions } from '../../../server/outbox/claim';
import { rawRows } from '../../../server/outbox/rows';
import { outboxFixture, type OutboxFixture } from './helpers';

const WAITING = 6_000;
const DONE = 2_000;
const TYPES = ['plan.invoice.push', 'plan.note.push'];
// Fair claims: one busy tenant (org 3) with a backlog of its own, then one new item of a quiet tenant (org 4).
const FAIR_TYPE = 'plan.fair.push';
const BUSY = 5_000;

interface PgPlanNode { 'Node Type': string; 'Actual Rows': number; 'Actual Loops': number; 'Index Name'?: string; 'Rows Removed by Filter'?: number; Plans?: PgPlanNode[] }

function* nodes(node: PgPlanNode): Generator<PgPlanNode> {
  yield node;
  for (const child of node.Plans ?? []) yield* nodes(child);
}

for (const kind of dbKinds()) {
  describe(`outbox claim plan (${kind})`, () => {
    let fx: OutboxFixture;
    const now = Date.now();
    const opts = (): ClaimOptions => ({ types: TYPES, workerId: 'plan', leaseMs: 60_000, limit: (t) => (t === TYPES[0] ? 50 : 10), now });

    before(async () => {
      fx = await outboxFixture(kind);
      // History first (done), then a backlog: two organisations and the host's own items (no organisation)
      // interleaved, two types, every item its own subject except a few that wait behind an earlier one.
      const rows = Array.from({ length: DONE + WAITING }, (_, k) => ({
        org_id: k % 7 === 0 ? null : (k % 2) + 1, plugin_id: 'plan', type: TYPES[k % 5 === 3 ? 1 : 0]!, subject: `plan:${k % 3_000 === 1 ? 'shared' : k}`,
        dedupe_key: `plan-${k}`, payload: '{}', status: k < DONE ? 'done' : 'pending', attempts: 0, max_attempts: 5,
        available_at: now - 1_000, created_at: now, updated_at: now, done_at: k < DONE ? now : null,
      }));
      for (let i = 0; i < rows.length; i += 500) await fx.tdb.db('outbox').insert(rows.slice(i, i + 500));
      const fair = Array.from({ length: BUSY + 1 }, (_, k) => ({
        org_id: k < BUSY ? 3 : 4, plugin_id: 'plan', type: FAIR_TYPE, subject: `fair:${k}`, dedupe_key: `fair-${k}`, payload: '{}',
        status: 'pending', attempts: 0, max_attempts: 5, available_at: now - 1_000, created_at: now, updated_at: now,
      }));
      for (let i = 0; i < fair.length; i += 500) await fx.tdb.db('outbox').insert(fair.slice(i, i + 500));
    });
    after(async () => {
      await fx.close();
    });

    it('walks the partial indexes in id order instead of fetching and sorting the whole backlog', async () => {
      const { sql, bindings } = claimStatement(kind === 'pg', opts());
      if (kind === 'sqlite') {
        const plan = await rawRows<{ detail: string }>(fx.tdb.db, `EXPLAIN QUERY PLAN ${sql}`, bindings);
        const details = plan.map((r) => r.detail);
        assert.ok(details.includes('SCAN h USING INDEX outbox_claimable_idx'), `head walks outbox_claimable_idx in id order:\n${details.join('\n')}`);
        assert.ok(details.some((d) => d.startsWith('SEARCH o USING INDEX outbox_claim_batch_idx (type=? AND <expr>=? AND id>?)')), `batch seeks one type and organisation from the head on:\n${details.join('\n')}`);
        assert.ok(!details.some((d) => d.includes('MULTI-INDEX OR')), `no fetch of every due row:\n${details.join('\n')}`);
        return;
      }
      // PostgreSQL: EXPLAIN ANALYZE runs the UPDATE, so inside a transaction that is rolled back.
      const trx = await fx.tdb.db.transaction();
      try {
        const explained = await runClaimStatement(trx, (q) => rawRows<{ 'QUERY PLAN': { Plan: PgPlanNode }[] }>(q, `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, bindings));
        const root = explained[0]!['QUERY PLAN'][0]!.Plan;
        const all = [...nodes(root)];
        const text = JSON.stringify(all.map((n) => [n['Node Type'], n['Index Name'] ?? '', n['Actual Rows'], n['Actual Loops']]));
        assert.ok(!all.some((n) => n['Node Type'] === 'Sort' || n['Node Type'].startsWith('Bitmap')), `no bitmap fetch and sort of the backlog: ${text}`);
        // A batch of 50 out of 6,000 waiting: no node may produce (rows × loops) more than a few batches.
        const widest = Math.max(...all.map((n) => n['Actual Rows'] * n['Actual Loops']));
        assert.ok(widest <= 200, `the widest plan node touched ${widest} rows: ${text}`);
      } finally {
        await trx.rollback();
      }
    });

    it('the fair head seeks past the organisation served last instead of walking its backlog', async () => {
      // Served org 3 last: the head is org 4's one item, behind 5,000 of org 3's; served org 4 last: wrap round.
      for (const afterOrg of [3, 4]) {
        const { sql, bindings } = claimStatement(kind === 'pg', { types: [FAIR_TYPE], workerId: 'plan', leaseMs: 60_000, limit: 50, now, afterOrg });
        if (kind === 'sqlite') {
          const details = (await rawRows<{ detail: string }>(fx.tdb.db, `EXPLAIN QUERY PLAN ${sql}`, bindings)).map((r) => r.detail);
          assert.ok(details.includes('SEARCH f USING INDEX outbox_claim_fair_idx (<expr>>?)'), `head seeks past the cursor in (organisation, id) order:\n${details.join('\n')}`);
          assert.ok(details.includes('SEARCH w USING INDEX outbox_claim_fair_idx (<expr><?)'), `the wrap round stops at the cursor:\n${details.join('\n')}`);
          assert.ok(details.some((d) => d.startsWith('SEARCH o USING INDEX outbox_claim_batch_idx (type=? AND <expr>=? AND id>?)')), `batch as before:\n${details.join('\n')}`);
          assert.ok(!details.some((d) => d.includes('TEMP B-TREE') || d.startsWith('SCAN o') || d.startsWith('SCAN f')), `no sort, no full walk:\n${details.join('\n')}`);
          continue;
        }
        const trx = await fx.tdb.db.transaction();
        try {
          const explained = await runClaimStatement(trx, (q) => rawRows<{ 'QUERY PLAN': { Plan: PgPlanNode }[] }>(q, `EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, bindings));
          const all = [...nodes(explained[0]!['QUERY PLAN'][0]!.Plan)];
          const text = JSON.stringify(all.map((n) => [n['Node Type'], n['Index Name'] ?? '', n['Actual Rows'], n['Actual Loops'], n['Rows Removed by Filter'] ?? 0]));
          assert.ok(all.some((n) => n['Index Name'] === 'outbox_claim_fair_idx'), `walks outbox_claim_fair_idx: ${text}`);
          assert.ok(!all.some((n) => n['Node Type'] === 'Sort' || n['Node Type'].startsWith('Bitmap')), `no bitmap fetch and sort: ${text}`);
          // Walking org 3's backlog to reach org 4 would read 5,000 rows in one node (rows out + rows filtered).
          const widest = Math.max(...all.filter((n) => n['Node Type'] !== 'ModifyTable').map((n) => (n['Actual Rows'] + (n['Node Type'] === 'Seq Scan' ? 0 : n['Rows Removed by Filter'] ?? 0)) * n['Actual Loops']));
          assert.ok(widest <= 200, `afterOrg ${afterOrg}: the widest plan node touched ${widest} rows: ${text}`);
        } finally {
          await trx.rollback();
        }
      }
      const quiet = await claimBatch(fx.tdb.db, { types: [FAIR_TYPE], workerId: 'plan', leaseMs: 60_000, limit: 50, now, afterOrg: 3 });
      assert.deepEqual(quiet.map((i) => [i.orgId, i.dedupeKey]), [[4, `fair-${BUSY}`]], 'the quiet tenant\'s item, not the 5,001st of the backlog');
      const wrapped = await claimBatch(fx.tdb.db, { types: [FAIR_TYPE], workerId: 'plan', leaseMs: 60_000, limit: 50, now, afterOrg: 4 });
      assert.deepEqual(wrapped.map((i) => i.dedupeKey), Array.from({ length: 50 }, (_, k) => `fair-${k}`), 'then round to the busy tenant, oldest first');
    });

    it('claims the oldest eligible item and the next of its type and organisation, the host\'s own items as one organisation', async () => {
      const first = await claimBatch(fx.tdb.db, opts());
      // The oldest waiting item is DONE (k = 2000: org 1, invoice type), and it brings 49 more of org 1's invoices.
      assert.equal(first.length, 50);
      assert.equal(first[0]!.dedupeKey, `plan-${DONE}`);
      assert.ok(first.every((i) => i.orgId === 1 && i.type === TYPES[0]));
      const ids = first.map((i) => i.id);
      assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
      // The host's items (org NULL): make one the oldest eligible by finishing everything before it.
      const hostItem = (await fx.tdb.db('outbox').whereNull('org_id').andWhere('status', 'pending').andWhere('type', TYPES[0]!).orderBy('id').first('id')) as { id: number };
      await fx.tdb.db('outbox').where('id', '<', hostItem.id).whereIn('status', ['pending', 'leased']).update({ status: 'done', done_at: now });
      const hostBatch = await claimBatch(fx.tdb.db, opts());
      assert.equal(hostBatch[0]!.id, Number(hostItem.id));
      assert.equal(hostBatch.length, 50);
      assert.ok(hostBatch.every((i) => i.orgId === null && i.type === TYPES[0]), 'a batch of the host\'s own items only');
    });

    it('an item waits behind an earlier unfinished item of its subject, however deep in the backlog', async () => {
      // plan:shared is the subject of k = 1 (done), 3001 and 6001: 6001 must wait until 3001 is done.
      const [early, late] = (await fx.tdb.db('outbox').where('subject', 'plan:shared').andWhere('status', '<>', 'done').orderBy('id').select('id', 'dedupe_key')) as { id: number; dedupe_key: string }[];
      assert.equal(early!.dedupe_key, 'plan-3001');
      assert.equal(late!.dedupe_key, 'plan-6001');
      await fx.tdb.db('outbox').where('id', '<', late!.id).andWhereNot('id', early!.id).whereIn('status', ['pending', 'leased']).update({ status: 'done', done_at: now });
      await fx.tdb.db('outbox').where('id', early!.id).update({ status: 'pending', lease_owner: null, lease_expires_at: null });
      const next = await claimBatch(fx.tdb.db, { ...opts(), types: [(await fx.tdb.db('outbox').where('id', early!.id).first('type')).type as string] });
      assert.equal(next[0]!.id, Number(early!.id), 'the earlier item of the subject first');
      assert.ok(!next.some((i) => i.id === Number(late!.id)), 'the later one is not in the same claim');
    });
  });
}
