// Xero sync under a backlog: Xero calls per sale, and the time to drain N queued sales at Xero's limits as
// a ratio to the theoretical minimum. The real app (Xero plugin, outbox workers with the app's settings)
// against the real emulator over HTTP; calls are counted from the emulator's call log.
//
//   npx tsx bench/xero-backlog.ts                      # SQLite, 10,000 sales, time scale ×5
//   npx tsx bench/xero-backlog.ts --pg                 # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-backlog.ts --sales 2000 --scale 10 --customers 200 --concurrency 2
//
// Time scale: draining 10,000 sales at 60 calls/minute is minutes of pure waiting, so the emulator's clock
// runs S times faster than the wall clock (clockSpeed S: its rolling minute is 60/S real seconds) and the
// rate budget reads that same clock (the budget reads time through RateBudgetOptions.now, Date.now by
// default; the bench gives it the emulator's clock and timeScale S so it sleeps and defers in real ms).
// Xero's limits stay exactly 60/min, 5 in flight, 5,000/day on both sides. Only OAuth 1.0a's ±5 min
// timestamp check is widened: our signatures carry the wall clock, which the fast clock leaves behind.
// Drain times are reported in emulated (= Xero) time.
// Theoretical minimum: every call the drain needs at the sustained rate (60 per minute): ceil(N/50) invoice
// calls, plus for the C distinct customers ceil(C/50) contact lookups and ceil(C/50) contact creations.
// (Xero's window is rolling, so the first 60 calls may go at once: a small backlog can beat "minimum".)
// Scenario rows: returning customers (C customers, sale n → customer n mod C) and "every sale a new
// customer" (the worst case for contacts) on a smaller backlog.
import { benchDbKind, countBy, drained, endpointOf, flag, saleBody, startBenchApp, table } from './xero-harness';

const SALES = flag('sales', 10_000);
const CUSTOMERS = flag('customers', 200);
const NEW_CUSTOMER_SALES = flag('new-customer-sales', 1_000);
const SCALE = flag('scale', 5);
const CONCURRENCY = flag('concurrency', 0); // 0 = the app's WORKER_CONCURRENCY
const kind = benchDbKind();

interface Row {
  scenario: string;
  sales: number;
  customers: number;
  calls: Map<string, number>;
  total: number;
  minCalls: number;
  realS: number;
  emulatedS: number;
  enqueueS: number;
}

async function run(scenario: string, sales: number, customers: number): Promise<Row> {
  const app = await startBenchApp(kind, { emulator: { clockSpeed: SCALE }, budgetOnEmulatorClock: true });
  const clock = app.f.emu.emulator.clock;
  try {
    await app.setLimits({ perMinute: 60, perDay: 5_000, concurrent: 5, oauth1MaxSkewMs: 7 * 86_400_000 });
    // The backlog: N sales committed while no worker runs (each sale's transaction enqueues its item).
    const t0 = performance.now();
    for (let n = 0; n < sales; n++) await app.f.sell(saleBody(n, customers >= sales ? n : n % customers));
    const enqueueS = (performance.now() - t0) / 1000;
    const since = await app.lastSeq();
    const started = performance.now();
    const emulatedStart = clock.now();
    app.startWorkers(CONCURRENCY || undefined);
    await drained(app, 30 * 60_000);
    const realS = (performance.now() - started) / 1000;
    const emulatedS = (clock.now() - emulatedStart) / 1000;
    await app.stopWorkers();
    const calls = (await app.calls(since)).filter((c) => c.status !== 0);
    const invoices = Number((await app.f.counts() as { invoices?: number }).invoices ?? NaN);
    if (invoices !== sales) throw new Error(`${scenario}: ${invoices} invoices in Xero for ${sales} sales`);
    const refused = calls.filter((c) => c.status >= 400).length;
    if (refused > 0) console.log(`(${scenario}: ${refused} calls refused by Xero, e.g. ${calls.find((c) => c.status >= 400)?.status})`);
    const uniqueCustomers = Math.min(customers, sales);
    const minCalls = Math.ceil(sales / 50) + 2 * Math.ceil(uniqueCustomers / 50);
    return { scenario, sales, customers: uniqueCustomers, calls: countBy(calls, endpointOf), total: calls.length, minCalls, realS, emulatedS, enqueueS };
  } finally {
    await app.close();
  }
}

const rows = [await run('returning customers', SALES, CUSTOMERS)];
if (NEW_CUSTOMER_SALES > 0) rows.push(await run('every sale a new customer', NEW_CUSTOMER_SALES, Number.MAX_SAFE_INTEGER));

console.log(`Xero sync, backlog drained by the real app against the emulator (${kind}); limits 60/min, 5 in flight, 5,000/day, emulated clock ×${SCALE}`);
console.log(table(
  ['scenario', 'sales', 'customers', 'Xero calls', 'calls/sale', 'min calls', 'drain (emulated)', 'minimum (emulated)', 'ratio'],
  rows.map((r) => {
    const minS = (r.minCalls / 60) * 60;
    return [r.scenario, r.sales, r.customers, r.total, (r.total / r.sales).toFixed(4), r.minCalls, `${(r.emulatedS / 60).toFixed(2)} min`, `${(minS / 60).toFixed(2)} min`, `×${(r.emulatedS / minS).toFixed(2)}`];
  }),
));
for (const r of rows) {
  console.log(`${r.scenario}: ${[...r.calls].map(([k, v]) => `${k} ${v}`).join(', ')}; real drain ${r.realS.toFixed(1)} s, enqueue ${r.enqueueS.toFixed(1)} s`);
}
