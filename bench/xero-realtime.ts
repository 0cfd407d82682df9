// Real-time Xero sync: latency from a sale's COMMIT to its invoice being in Xero, at a steady rate of sales,
// with Xero's real limits (60 calls/minute, 5 in flight, 5,000/day) and the emulator's clock at real speed.
// Two variants in one run, each on a fresh app + emulator: the idle coalescing window off (every sale is
// claimed the moment it commits) and on (XERO_SYNC_COALESCE_MS, default of the plugin).
//
//   npx tsx bench/xero-realtime.ts                       # SQLite, 2 sales/s for 60 s
//   npx tsx bench/xero-realtime.ts --pg                  # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-realtime.ts --rate 2 --seconds 60 --customers 30 --coalesce 200
//
// "In Xero" = the end of the emulator's PUT /Invoices call that created the invoice (its call log: arrival
// on the emulated clock + duration), matched to the sale by its invoice number. Customers are regulars:
// a warm-up sells one sale to each first (contacts created and cached), whose calls are then aged out of
// both rate windows (emulator clock +61 s, our budget's call rows 61 s older) so the run starts with a
// fresh minute, as a till that has been quiet for a minute would.
import { nowMs } from '../server/db/knex';
import { benchDbKind, countBy, drained, endpointOf, flag, quantile, saleBody, sleep, startBenchApp, table } from './xero-harness';

const RATE = flag('rate', 2);
const SECONDS = flag('seconds', 60);
const CUSTOMERS = flag('customers', 30);
const COALESCE = flag('coalesce', -1); // -1: the plugin's default window
const kind = benchDbKind();

interface Result {
  variant: string;
  sales: number;
  latencies: number[];
  calls: Map<string, number>;
  invoiceCalls: number;
  total: number;
  refused: number;
}

async function run(variant: string, env: Record<string, string>): Promise<Result> {
  const app = await startBenchApp(kind, { env });
  try {
    const db = app.f.x.host.deps.db;
    app.startWorkers();
    // Warm-up: every regular customer's contact exists and is cached.
    for (let c = 0; c < CUSTOMERS; c++) await app.f.sell(saleBody(1_000_000 + c, c));
    await drained(app, 120_000);
    await fetch(`${app.f.emu.url}/_emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 61_000 }) });
    await db('xero_rate_calls').update({ at: db.raw('at - 61000') });
    const clock = (await (await fetch(`${app.f.emu.url}/_emulator/clock`)).json()) as { now: number };
    const offset = clock.now - Date.now(); // emulated − wall
    const since = await app.lastSeq();

    const committed = new Map<number, number>(); // sale id → wall ms of its COMMIT
    const total = Math.round(RATE * SECONDS);
    const start = Date.now();
    for (let k = 0; k < total; k++) {
      const due = start + (k * 1000) / RATE;
      if (due > Date.now()) await sleep(due - Date.now());
      const sale = await app.f.sell(saleBody(k, k % CUSTOMERS));
      committed.set(sale.id, nowMs());
    }
    await drained(app, 180_000);
    await app.stopWorkers();

    const numbers = new Map<string, number>(); // invoice number → sale id
    const rows = await db('xero_records').where({ entity_type: 'sale', record_type: 'invoice' }).whereIn('entity_id', [...committed.keys()]).select('entity_id', 'number');
    for (const r of rows as { entity_id: number; number: string }[]) numbers.set(r.number, Number(r.entity_id));
    const calls = (await app.calls(since)).filter((c) => c.status !== 0);
    const inXero = new Map<number, number>();
    for (const c of calls) {
      if (endpointOf(c) !== 'PUT Invoices' || c.status !== 200 || !c.body) continue;
      const body = JSON.parse(c.body) as { Invoices?: { InvoiceNumber?: string }[] };
      for (const inv of body.Invoices ?? []) {
        const saleId = numbers.get(inv.InvoiceNumber ?? '');
        if (saleId !== undefined && !inXero.has(saleId)) inXero.set(saleId, c.at - offset + c.durationMs);
      }
    }
    const latencies = [...committed].map(([id, at]) => {
      const landed = inXero.get(id);
      if (landed === undefined) throw new Error(`${variant}: no PUT /Invoices call created sale ${id}'s invoice`);
      return landed - at;
    });
    const byEndpoint = countBy(calls, endpointOf);
    return {
      variant, sales: total, latencies, calls: byEndpoint, total: calls.length,
      invoiceCalls: calls.filter((c) => endpointOf(c) === 'PUT Invoices' && c.status === 200).length,
      refused: calls.filter((c) => c.status === 429).length,
    };
  } finally {
    await app.close();
  }
}

const results = [
  await run('pushed at once (window 0)', { XERO_SYNC_COALESCE_MS: '0' }),
  await run(`idle coalescing (${COALESCE >= 0 ? `${COALESCE} ms` : 'default'})`, COALESCE >= 0 ? { XERO_SYNC_COALESCE_MS: String(COALESCE) } : {}),
];

console.log(`Xero real-time sync (${kind}): ${RATE} sales/s for ${SECONDS} s, ${CUSTOMERS} regular customers, Xero limits 60/min, 5 in flight, clock ×1`);
console.log(table(
  ['variant', 'sales', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'invoice calls', 'sales/call', 'Xero calls', 'calls/sale', '429s'],
  results.map((r) => {
    const s = [...r.latencies].sort((a, b) => a - b);
    return [r.variant, r.sales, quantile(s, 0.5).toFixed(0), quantile(s, 0.9).toFixed(0), quantile(s, 0.99).toFixed(0), s.at(-1)!.toFixed(0),
      r.invoiceCalls, (r.sales / r.invoiceCalls).toFixed(2), r.total, (r.total / r.sales).toFixed(3), r.refused];
  }),
));
for (const r of results) console.log(`${r.variant}: ${[...r.calls].map(([k, v]) => `${k} ${v}`).join(', ')}`);
