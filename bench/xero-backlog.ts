// Xero sync under a backlog: Xero calls per sale, and the time to drain N queued sales at Xero's limits as
// a ratio to the theoretical minimum. The real app (Xero plugin, outbox workers with the app's settings)
// against the real emulator over HTTP; calls are counted from the emulator's call log. The run itself is
// bench/xero-harness.ts's runBacklog (shared with bench/xero-paid-backlog.ts), including the time scale.
//
//   npm run bench -- xero-backlog                      # SQLite, 2,000 sales / 200 customers + 300 new customers, clock ×10
//   npm run bench -- xero-backlog --full               # 10,000 sales + 1,000 new customers, clock ×5 (docs/benchmarks.md)
//   npx tsx bench/xero-backlog.ts --pg                 # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-backlog.ts --sales 2000 --scale 10 --customers 200 --new-customer-sales 300 --concurrency 2
//
// Drain times are reported in emulated (= Xero) time.
// Theoretical minimum: every call the drain needs at the sustained rate (60 per minute): ceil(N/50) invoice
// calls, plus for the C distinct customers ceil(C/50) contact lookups and ceil(C/50) contact creations.
// (Xero's window is rolling, so the first 60 calls may go at once: a small backlog can beat "minimum".)
// Scenario rows: returning customers (C customers, sale n → customer n mod C) and "every sale a new
// customer" (the worst case for contacts) on a smaller backlog.
import { benchDbKind, countBy, endpointOf, flag, fullRun, runBacklog, table, tookLine } from './xero-harness';

const startedAt = Date.now();
const full = fullRun();
const SALES = flag('sales', full ? 10_000 : 2_000);
const CUSTOMERS = flag('customers', 200);
const NEW_CUSTOMER_SALES = flag('new-customer-sales', full ? 1_000 : 300);
const SCALE = flag('scale', full ? 5 : 10);
const CONCURRENCY = flag('concurrency', 0); // 0 = the app's WORKER_CONCURRENCY
const kind = benchDbKind();

const runs = [await runBacklog(kind, { scenario: 'returning customers', sales: SALES, customers: CUSTOMERS, scale: SCALE, concurrency: CONCURRENCY })];
if (NEW_CUSTOMER_SALES > 0) runs.push(await runBacklog(kind, { scenario: 'every sale a new customer', sales: NEW_CUSTOMER_SALES, customers: Number.MAX_SAFE_INTEGER, scale: SCALE, concurrency: CONCURRENCY }));

console.log(`Xero sync, backlog drained by the real app against the emulator (${kind}); limits 60/min, 5 in flight, 5,000/day, emulated clock ×${SCALE}`);
console.log(table(
  ['scenario', 'sales', 'customers', 'Xero calls', 'calls/sale', 'min calls', 'drain (emulated)', 'minimum (emulated)', 'ratio'],
  runs.map((r) => {
    const minCalls = Math.ceil(r.sales / 50) + 2 * Math.ceil(r.customers / 50);
    const minS = (minCalls / 60) * 60;
    return [r.scenario, r.sales, r.customers, r.calls.length, (r.calls.length / r.sales).toFixed(4), minCalls, `${(r.drainS / 60).toFixed(2)} min`, `${(minS / 60).toFixed(2)} min`, `×${(r.drainS / minS).toFixed(2)}`];
  }),
));
for (const r of runs) {
  console.log(`${r.scenario}: ${[...countBy(r.calls, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ')}; real drain ${r.realS.toFixed(1)} s, enqueue ${r.enqueueS.toFixed(1)} s`);
}
console.log(tookLine(startedAt));
