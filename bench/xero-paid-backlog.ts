// Xero calls per PAID sale under a backlog: every sale is paid at the till, so each costs an invoice, a
// payment on it and (for a customer Xero does not know yet) a contact. Counted from the emulator's call log
// and set against the theoretical minimum at Xero's batch size of 50, and the drain time against the
// shortest drain Xero's minute windows allow. The run itself is bench/xero-harness.ts's runBacklog (shared
// with bench/xero-backlog.ts): the real app against the real emulator over HTTP, Xero's limits (60/min,
// 5 in flight, 5,000/day), the emulator's clock and our rate budget S× faster than the wall clock.
//
//   npm run bench -- xero-paid-backlog                 # SQLite, 1,000 paid sales / 100 customers + 300 new customers, clock ×10
//   npm run bench -- xero-paid-backlog --full          # 5,000 paid sales / 200 customers + 1,000 new customers (docs/benchmarks.md)
//   npx tsx bench/xero-paid-backlog.ts --pg            # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-paid-backlog.ts --sales 5000 --customers 200 --new-customer-sales 1000 --scale 10
//
// Minimum calls for N paid sales of C distinct customers: ceil(N/50) PUT Invoices + ceil(N/50) PUT Payments
// + ceil(C/50) contact lookups (GET Contacts, to never create a duplicate) + ceil(C/50) PUT Contacts.
// Minimum drain: Xero serves at most 60 calls in any minute, so from an idle minute call k (0-based) can
// go no earlier than floor(k/60) minutes in: M calls need floor((M−1)/60) whole minutes before the last
// one can start (a backlog of 100 calls cannot drain in 100/60 = 1.67 min, it needs 1 min + the last call;
// one of 130 needs 2). The ratio compares the measured drain (to the end of the last call that was not a
// History note, a courtesy sent later) to that, in emulated (= Xero) time.
import { benchDbKind, countBy, endpointOf, flag, fullRun, runBacklog, table, tookLine } from './xero-harness';

const startedAt = Date.now();
const full = fullRun();
const SALES = flag('sales', full ? 5_000 : 1_000);
const CUSTOMERS = flag('customers', full ? 200 : 100);
const NEW_CUSTOMER_SALES = flag('new-customer-sales', full ? 1_000 : 300);
const SCALE = flag('scale', 10);
const BATCH = 50;
const kind = benchDbKind();

const runs = [await runBacklog(kind, { scenario: 'returning customers', sales: SALES, customers: CUSTOMERS, scale: SCALE, paid: true })];
if (NEW_CUSTOMER_SALES > 0) runs.push(await runBacklog(kind, { scenario: 'every sale a new customer', sales: NEW_CUSTOMER_SALES, customers: Number.MAX_SAFE_INTEGER, scale: SCALE, paid: true }));

const rows = runs.map((r) => {
  const sync = r.calls.filter((c) => !endpointOf(c).endsWith('/History'));
  const minCalls = 2 * Math.ceil(r.sales / BATCH) + 2 * Math.ceil(r.customers / BATCH);
  return { r, sync, minCalls, minS: Math.floor((minCalls - 1) / 60) * 60 };
});
for (const { r, sync } of rows) console.log(`${r.scenario}: ${[...countBy(sync, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ')}; real drain ${r.realS.toFixed(1)} s, enqueue ${r.enqueueS.toFixed(1)} s`);
console.log(`\nXero calls per paid sale, backlog drained by the real app against the emulator (${kind}); limits 60/min, 5 in flight, 5,000/day; emulated clock ×${SCALE}`);
console.log('(figures taken on a shared, loaded machine; drain times in emulated = Xero time)');
console.log(table(
  ['scenario', 'paid sales', 'customers', 'Xero calls', 'calls/paid sale', 'minimum calls', 'calls vs minimum', 'drain', 'minimum drain', 'drain vs minimum'],
  rows.map(({ r, sync, minCalls, minS }) => [
    r.scenario, r.sales, r.customers, sync.length, (sync.length / r.sales).toFixed(4), minCalls, `×${(sync.length / minCalls).toFixed(2)}`,
    `${(r.lastSyncCallS / 60).toFixed(2)} min`, `${(minS / 60).toFixed(2)} min`, minS > 0 ? `×${(r.lastSyncCallS / minS).toFixed(2)}` : '-',
  ]),
));
console.log(tookLine(startedAt));
