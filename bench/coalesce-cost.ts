// What the Xero plugin's coalescing adds to a sale's transaction (plugins/xero/sync/coalesce.ts: a few
// reads of the sale's own organisation's queue), with an empty queue and with ANOTHER organisation's
// 100,000 due items waiting: the second must cost about the first, or one tenant's backlog slows
// every other tenant's sales. `npx tsx bench/coalesce-cost.ts` (PostgreSQL too with BENCH_PG_URL).
// Then with the tenant's own minute full (60 calls in the last minute, 5,000 in its day, as the rate budget
// keeps them): the pacing bucket replays the minute's calls, so the sale's transaction reads up to 60 rows.
import { createTestDatabase, type DbKind } from '../test/support/db';
import { coalescedAvailableAt } from '../plugins/xero/sync/coalesce';
import { xeroPlugin } from '../plugins/xero';
import { pluginMigrationOwners } from '../server/plugins/registry';
import type { PluginDefinition, PluginOutbox } from '../server/plugins/contract';
import { createPluginOutbox } from '../server/outbox/pluginOutbox';
import { createOutboxWriter } from '../server/outbox/writer';
import { createOutboxNotifier } from '../server/outbox/notifier';
import { createLogger } from '../server/logger';

const CALLS = 200;
const BACKLOG = 100_000;
const DAY_CALLS = 5_000;
const kinds: DbKind[] = process.env.BENCH_PG_URL ? ['sqlite', 'pg'] : ['sqlite'];
if (process.env.BENCH_PG_URL) process.env.TEST_PG_URL = process.env.BENCH_PG_URL;

async function msPerCall(outbox: PluginOutbox, db: Parameters<typeof coalescedAvailableAt>[1], now: number): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) await coalescedAvailableAt({ outbox }, db, { orgId: 2, type: 'xero.invoice.push', tenantKey: 'bench', baseMs: 200, now });
  return (performance.now() - start) / CALLS;
}

console.log(`coalescing reads per sale (organisation 2), ${CALLS} calls each`);
for (const kind of kinds) {
  const t = await createTestDatabase(kind, pluginMigrationOwners([xeroPlugin as unknown as PluginDefinition<unknown>]));
  const notifier = createOutboxNotifier({ db: t.db, logger: createLogger({ level: 'silent' }) });
  const outbox = createPluginOutbox('xero', createOutboxWriter({ notifier, defaultMaxAttempts: 12 }));
  const now = Date.now();
  await msPerCall(outbox, t.db, now); // warm-up (JIT, connection, statement caches), not counted: the first pass ran slowest
  const empty = await msPerCall(outbox, t.db, now);
  const row = (i: number) => ({ plugin_id: 'xero', type: 'xero.invoice.push', org_id: 1, status: 'pending', available_at: now - 1000, attempts: 0, max_attempts: 12, dedupe_key: `b${i}`, payload: '{}', created_at: now, updated_at: now });
  for (let i = 0; i < BACKLOG; i += 500) await t.db('outbox').insert(Array.from({ length: 500 }, (_, j) => row(i + j)));
  if (kind === 'pg') await t.db.raw('ANALYZE outbox');
  const behind = await msPerCall(outbox, t.db, now);
  // The tenant's day of calls (the budget deletes rows older than a day), the last 60 inside the minute.
  const calls = Array.from({ length: DAY_CALLS }, (_, i) => ({ tenant_key: 'bench', at: i < 60 ? now - 59_000 + i * 980 : now - 60_000 - Math.floor(((i - 60) * 86_340_000) / DAY_CALLS) }));
  for (let i = 0; i < calls.length; i += 500) await t.db('xero_rate_calls').insert(calls.slice(i, i + 500));
  if (kind === 'pg') await t.db.raw('ANALYZE xero_rate_calls');
  const fullMinute = await msPerCall(outbox, t.db, now);
  console.log(`${kind.padEnd(6)}  empty queue ${empty.toFixed(2)} ms  ·  behind organisation 1's ${BACKLOG.toLocaleString('en')} due items ${behind.toFixed(2)} ms  (×${(behind / empty).toFixed(2)})`
    + `  ·  and the tenant's minute full (60 calls, ${DAY_CALLS.toLocaleString('en')} in its day) ${fullMinute.toFixed(2)} ms  (×${(fullMinute / empty).toFixed(2)})`);
  await notifier.close();
  await t.destroy();
}
