// Real-time Xero sync: latency from a sale's COMMIT to its invoice being in Xero, at a steady rate of sales,
// with Xero's real limits (60 calls/minute, 5 in flight, 5,000/day), the emulator's clock at real speed and
// Xero answering at once (bench/xero-latency.ts is the same run at Xero's real answer time). Two variants in
// one run, each on a fresh app + emulator: the idle coalescing window off (every sale is claimed the moment
// it commits) and on (XERO_SYNC_COALESCE_MS, default of the plugin). The run itself is
// bench/xero-harness.ts's runRealtime (warm-up of regular customers, a fresh minute, sales at a steady rate).
//
//   npx tsx bench/xero-realtime.ts                       # SQLite, 2 sales/s for 60 s
//   npx tsx bench/xero-realtime.ts --pg                  # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-realtime.ts --rate 2 --seconds 60 --customers 30 --coalesce 200
import { arrivalsFlag, benchDbKind, countBy, endpointOf, flag, latencySummary, printRealtimeCalls, printTimeline, runRealtime, table, tookLine } from './xero-harness';

const startedAt = Date.now();
const RATE = flag('rate', 2);
const SECONDS = flag('seconds', 60);
const CUSTOMERS = flag('customers', 30);
const COALESCE = flag('coalesce', -1); // -1: the plugin's default window
const ARRIVALS = arrivalsFlag();
const kind = benchDbKind();

const common = { rate: RATE, arrivals: ARRIVALS, seconds: SECONDS, customers: CUSTOMERS, trace: Boolean(process.env.BENCH_TRACE) };
const runs = [
  await runRealtime(kind, { ...common, label: 'pushed at once (window 0)', env: { XERO_SYNC_COALESCE_MS: '0' } }),
  await runRealtime(kind, { ...common, label: `idle coalescing (${COALESCE >= 0 ? `${COALESCE} ms` : 'default'})`, ...(COALESCE >= 0 ? { env: { XERO_SYNC_COALESCE_MS: String(COALESCE) } } : {}) }),
];

printRealtimeCalls(runs);
printTimeline(runs);
console.log(`\nXero real-time sync (${kind}): ${RATE} sales/s for ${SECONDS} s, ${CUSTOMERS} regular customers, Xero limits 60/min, 5 in flight, clock ×1`);
console.log(table(
  ['variant', 'sales', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'invoice calls', 'sales/call', 'Xero calls', 'calls/sale', '429s'],
  runs.map((r) => {
    const s = latencySummary(r);
    return [r.label, r.sales, s.p50, s.p90, s.p99, s.max, r.invoiceCalls, (r.sales / r.invoiceCalls).toFixed(2), r.calls.length, (r.calls.length / r.sales).toFixed(3),
      r.calls.filter((c) => c.status === 429).length];
  }),
));
for (const r of runs) console.log(`${r.label}: ${[...countBy(r.calls, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(tookLine(startedAt));
