// Real time at Xero's real answer time: a sale's COMMIT → its invoice in Xero, p50/p99, at 2 and at 10 sales
// a second for one tenant, with every Xero call answered 300–600 ms late (the emulator's injected latency,
// uniform, seeded) and Xero's limits (60 calls/minute, 5 in flight, 5,000/day) at real speed. Both rates in
// one run, each on a fresh app + emulator, the plugin's default settings (idle coalescing on). The run
// itself is bench/xero-harness.ts's runRealtime (shared with bench/xero-realtime.ts).
// Goals (issue 16): p99 < 1.5 s at 2/s, < 3 s at 10/s.
//
//   npm run bench -- xero-latency                          # SQLite, 2/s for 60 s and 10/s for 30 s
//   npx tsx bench/xero-latency.ts --pg                     # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-latency.ts --seconds-slow 60 --seconds-fast 60 --customers 30 --min-ms 300 --max-ms 600 --seed 16
//   npx tsx bench/xero-latency.ts --notes-after 600                # wait up to 10 min after each stream for its history notes (default 150 s, 0: none)
//   --slow-only / --fast-only run one rate; --poisson: sales arrive as a seeded Poisson process of that rate
//   instead of one every 1/rate s; BENCH_TRACE=1 lists every call with the sales it carried.
//
// The latency of each call is listed per endpoint, and the breakdown says where a slow sale's time went:
// waiting to be claimed (coalescing window, the budget, other work ahead) vs its own PUT /Invoices, and each
// sale's timeline (accepted → due → claimed → slot asked → granted → at Xero → answered → recorded) is
// summed up stage by stage (printTimeline). The calls are counted by kind during the stream and after it:
// history notes (one per invoice) wait while the stream is busy, and the run keeps its workers going up to
// --notes-after seconds after the stream to count the notes that go once it pauses, and those still waiting.
import { arrivalsFlag, benchDbKind, flag, notesIn, latencySummary, printRealtimeCalls, printTimeline, runRealtime, table, tookLine } from './xero-harness';

const startedAt = Date.now();
const SLOW_SECONDS = flag('seconds-slow', 60);
const FAST_SECONDS = flag('seconds-fast', 30);
const CUSTOMERS = flag('customers', 30);
const LATENCY = { minMs: flag('min-ms', 300), maxMs: flag('max-ms', 600), seed: flag('seed', 16) };
const ARRIVALS = arrivalsFlag();
/** How long to keep the workers running after each stream for its history notes (0: not at all). */
const NOTES_AFTER_S = flag('notes-after', 150);
const kind = benchDbKind();

const goals = new Map([[2, 1500], [10, 3000]]);
const RATES = process.argv.includes('--fast-only') ? [10] : process.argv.includes('--slow-only') ? [2] : [2, 10];
const runs = [];
for (const rate of RATES) {
  runs.push(await runRealtime(kind, {
    label: `${rate}/s`, rate, arrivals: ARRIVALS, seconds: rate === 2 ? SLOW_SECONDS : FAST_SECONDS, customers: CUSTOMERS, latency: LATENCY, trace: Boolean(process.env.BENCH_TRACE), notesAfterS: NOTES_AFTER_S,
  }));
}

printRealtimeCalls(runs);
printTimeline(runs);
console.log(`\nSale → invoice in Xero (${kind}), one tenant, ${CUSTOMERS} regular customers, every Xero call ${LATENCY.minMs}–${LATENCY.maxMs} ms (seed ${LATENCY.seed}), limits 60/min, 5 in flight, clock ×1`);
console.log('(figures taken on a shared, loaded machine)');
console.log(table(
  ['rate', 'sales', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'goal p99', 'invoice calls', 'sales/call', 'Xero calls', 'calls/sale', 'notes during', 'notes after', 'notes left'],
  runs.map((r) => {
    const s = latencySummary(r);
    const goal = goals.get(r.rate);
    return [r.label, r.sales, s.p50, s.p90, s.p99, s.max, goal ? `< ${goal} ${s.p99 < goal ? 'met' : 'MISSED'}` : '-', r.invoiceCalls,
      (r.sales / r.invoiceCalls).toFixed(2), r.calls.length, (r.calls.length / r.sales).toFixed(3), notesIn(r.calls), notesIn(r.callsAfter), r.notes.left];
  }),
));
console.log(tookLine(startedAt));
