// What one 50-invoice batch costs the database: the SQL statements the invoice push runs for it, counted with
// knex's `query` event around the handler. A ceiling, so that a change that goes back to one statement per
// sale (per record, per audit row, per note…) fails here rather than only slowing the benches
// (docs/benchmarks.md, "Statements per batch"). Two batches: 50 sales by customers new to Xero (contacts
// looked up and created), then 50 more by the same customers (contacts cached), with history notes on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { OutboxHandler } from '../../../server/outbox';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from '../../e2e/xero/syncFixture';

const BATCH = 50;
const INVOICE_PUSH = 'xero.invoice.push';
/**
 * The most statements one batch may run. Measured: 42 with new customers (three Xero calls: contacts looked
 * up, contacts created, invoices; each call's rate-budget slot is 2 statements on SQLite, 5 on PostgreSQL) and
 * 28 with returning ones; PostgreSQL 54 and 32 (the slots' transactions, its NOTIFY). Before the slot became
 * one conditional insert: 74 and 40 (a slot was about 13). Before the batch's writes were grouped: 515 and
 * 432, one statement or more per sale for each of the sale's read, its record, note, content hash, sync state
 * and audit row. A change that goes back to a statement per sale adds 50.
 */
const MAX_STATEMENTS = { newCustomers: 60, returning: 36 };

const saleOf = (n: number, customer: number) => ({
  currency: 'GBP',
  reference: `ST-${n}`,
  customer: { name: `Counted Customer ${customer}`, email: `counted${customer}@example.com` },
  lines: [
    { description: `Session ${n}`, quantity: 1, unitPrice: `${5 + (n % 7)}.00`, taxCode: 'OUTPUT2' },
    ...(n % 3 === 0 ? [{ description: 'Mat hire', quantity: 1, unitPrice: '3.00', taxCode: 'OUTPUT2' }] : []),
  ],
});

for (const kind of dbKinds()) {
  describe(`SQL statements per invoice batch (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    /** Sell BATCH sales, then let one worker push them as one batch; the statements its handler ran. */
    async function countOneBatch(firstSale: number): Promise<{ statements: number; sqls: string[]; items: number }> {
      for (let n = 0; n < BATCH; n++) await f.sell(saleOf(firstSale + n, n));
      const db = f.x.host.deps.db;
      const real = f.x.host.deps.plugins.handlers.get(INVOICE_PUSH)!;
      const sqls: string[] = [];
      const listen = (q: { sql: string }) => sqls.push(q.sql);
      let finished!: (items: number) => void;
      const batchDone = new Promise<number>((resolve) => (finished = resolve));
      const counted: OutboxHandler = {
        ...real,
        async handle(items, hctx) {
          db.on('query', listen);
          try {
            return await real.handle(items, hctx);
          } finally {
            db.off('query', listen);
            finished(items.length);
          }
        },
      };
      // Only the invoice push: the history notes and receipts it queues stay queued, no other claim runs.
      f.startWorkers({ concurrency: 1, handlers: new Map([[INVOICE_PUSH, counted]]) });
      const items = await batchDone;
      await f.stopWorkers();
      return { statements: sqls.length, sqls, items };
    }

    const summary = (sqls: string[]) => [...sqls.reduce((m, s) => m.set(s.slice(0, 60), (m.get(s.slice(0, 60)) ?? 0) + 1), new Map<string, number>())]
      .sort((a, b) => b[1] - a[1]).map(([s, n]) => `${n}× ${s}`).join('\n');

    it(`50 sales by customers new to Xero: at most ${MAX_STATEMENTS.newCustomers} statements`, async (t) => {
      const { statements, sqls, items } = await countOneBatch(1);
      assert.equal(items, BATCH, 'one claim took the whole batch');
      t.diagnostic(`new customers (${kind}): ${statements} statements`);
      assert.ok(statements <= MAX_STATEMENTS.newCustomers, `${statements} statements for one batch:\n${summary(sqls)}`);
      assert.equal(((await f.books('invoices')) as unknown[]).length, BATCH);
    });

    it(`50 sales by returning customers: at most ${MAX_STATEMENTS.returning} statements`, async (t) => {
      const { statements, sqls, items } = await countOneBatch(1 + BATCH);
      assert.equal(items, BATCH, 'one claim took the whole batch');
      t.diagnostic(`returning customers (${kind}): ${statements} statements`);
      assert.ok(statements <= MAX_STATEMENTS.returning, `${statements} statements for one batch:\n${summary(sqls)}`);
      assert.equal(((await f.books('invoices')) as unknown[]).length, 2 * BATCH);
      const synced = await f.x.host.deps.db('sync_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice', status: 'synced' }).count({ n: '*' });
      assert.equal(Number((synced as { n: number | string }[])[0]!.n), 2 * BATCH);
    });
  });
}
