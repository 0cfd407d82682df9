// What the Xero rate budget (plugins/xero/engine/rateBudget.ts) costs the worker per Xero call: one granted
// acquire + release, its SQL statements (knex's `query` event), its wall time and this process's CPU for it
// (process.cpuUsage: the JavaScript and the database driver; on SQLite also the engine, which runs in-process;
// PostgreSQL's own work is in its server processes, not here). One tenant with 3,000 calls already made
// today; callers one at a time, then 5 at once (a worker process's in-flight limit). The limits per minute
// and day are raised so every call is granted: this measures the grant, not a wait.
//   npx tsx bench/rate-budget.ts                  (SQLite; PostgreSQL too with BENCH_PG_URL)
//   npm run bench -- rate-budget [--calls=2000]
import { createTestDatabase, type DbKind } from '../test/support/db';
import { xeroPlugin } from '../plugins/xero';
import { RateBudget } from '../plugins/xero/engine/rateBudget';
import type { MigrationOwner } from '../server/db/migrate';

const CALLS = Number(process.argv.find((a) => a.startsWith('--calls='))?.slice('--calls='.length) ?? 1000);
if (!(CALLS > 0)) throw new RangeError('--calls must be a positive number');
const kinds: DbKind[] = process.env.BENCH_PG_URL ? ['sqlite', 'pg'] : ['sqlite'];
if (process.env.BENCH_PG_URL) process.env.TEST_PG_URL = process.env.BENCH_PG_URL;
const DAY = 86_400_000;

console.log(`rate budget: ${CALLS} granted calls (acquire + release) per row, one tenant with 3,000 calls today`);
console.log('database  callers  statements/call  wall ms/call  CPU µs/call');
for (const kind of kinds) {
  const t = await createTestDatabase(kind, [xeroPlugin as unknown as MigrationOwner]);
  const budget = new RateBudget({ db: t.db });
  const key = 'tenant:bench';
  await budget.setLimits(key, { perMinute: 1_000_000, perDay: 1_000_000_000 });
  const now = Date.now();
  for (let i = 0; i < 3000; i += 500) {
    await t.db('xero_rate_calls').insert(Array.from({ length: 500 }, (_, j) => ({ tenant_key: key, at: now - DAY + 60_000 + (i + j) * 20_000 })));
  }
  if (kind === 'pg') await t.db.raw('ANALYZE xero_rate_calls');
  await (await budget.acquire(key)).release(); // warm: the tenant's row, the prepared paths, the day-old prune
  for (const callers of [1, 5]) {
    let statements = 0;
    const count = () => statements++;
    t.db.on('query', count);
    const cpu = process.cpuUsage();
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: callers }, async () => {
      while (next++ < CALLS) await (await budget.acquire(key)).release();
    }));
    const wall = performance.now() - start;
    const used = process.cpuUsage(cpu);
    t.db.off('query', count);
    console.log(`${kind.padEnd(8)}  ${String(callers).padStart(7)}  ${(statements / CALLS).toFixed(1).padStart(15)}  ${(wall / CALLS).toFixed(2).padStart(12)}  ${((used.user + used.system) / CALLS).toFixed(0).padStart(11)}`);
  }
  await t.destroy();
}
