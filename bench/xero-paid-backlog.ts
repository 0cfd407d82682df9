// Xero calls per PAID sale under a backlog: every sale is paid at the till, so each costs an invoice, a
// payment on it and (for a customer Xero does not know yet) a contact. Counted from the emulator's call log
// and set against the theoretical minimum at Xero's batch size of 50, and the drain time against the
// shortest drain Xero's minute windows allow. The real app (Xero plugin, outbox workers with the app's
// settings) against the real emulator over HTTP, Xero's limits (60/min, 5 in flight, 5,000/day).
//
//   npm run bench -- xero-paid-backlog                 # SQLite, 5,000 paid sales / 200 customers + 1,000 new customers, clock ×10
//   npx tsx bench/xero-paid-backlog.ts --pg            # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-paid-backlog.ts --sales 5000 --customers 200 --new-customer-sales 1000 --scale 10
//
// Minimum calls for N paid sales of C distinct customers: ceil(N/50) PUT Invoices + ceil(N/50) PUT Payments
// + ceil(C/50) contact lookups (GET Contacts, to never create a duplicate) + ceil(C/50) PUT Contacts.
// Minimum drain: Xero serves at most 60 calls in any minute, so from an idle minute call k (0-based) can
// go no earlier than floor(k/60) minutes in: M calls need floor((M−1)/60) whole minutes before the last
// one can start (a backlog of 100 calls cannot drain in 100/60 = 1.67 min, it needs 1 min + the last call;
// one of 130 needs 2). The ratio compares the measured drain to that, in emulated (= Xero) time.
// Time scale: as bench/xero-backlog.ts, the emulator's clock and our rate budget run S× faster than the
// wall clock; only OAuth 1.0a's ±5 min timestamp check is widened.
import { benchDbKind, countBy, drained, endpointOf, flag, saleBody, startBenchApp, table } from './xero-harness';

const SALES = flag('sales', 5_000);
const CUSTOMERS = flag('customers', 200);
const NEW_CUSTOMER_SALES = flag('new-customer-sales', 1_000);
const SCALE = flag('scale', 10);
const BATCH = 50;
const kind = benchDbKind();

/** A sale paid in full in cash at the till (saleBody's lines are tax-inclusive: the total is their sum). */
export function paidSaleBody(n: number, customer: number): Record<string, unknown> {
  const body = saleBody(n, customer);
  const lines = body.lines as { unitPrice: string; quantity: number }[];
  const total = lines.reduce((sum, l) => sum + Number(l.unitPrice) * l.quantity, 0);
  return { ...body, payments: [{ method: 'cash', amount: total.toFixed(2), providerRef: `till-${n}` }] };
}

interface Row {
  scenario: string;
  sales: number;
  customers: number;
  calls: Map<string, number>;
  total: number;
  minCalls: number;
  emulatedS: number;
  minS: number;
  realS: number;
}

async function run(scenario: string, sales: number, customers: number): Promise<Row> {
  const app = await startBenchApp(kind, { emulator: { clockSpeed: SCALE }, budgetOnEmulatorClock: true });
  const clock = app.f.emu.emulator.clock;
  try {
    await app.setLimits({ perMinute: 60, perDay: 5_000, concurrent: 5, oauth1MaxSkewMs: 7 * 86_400_000 });
    for (let n = 0; n < sales; n++) await app.f.sell(paidSaleBody(n, customers >= sales ? n : n % customers));
    const since = await app.lastSeq();
    const started = performance.now();
    const emulatedStart = clock.now();
    app.startWorkers();
    await drained(app, 30 * 60_000);
    const realS = (performance.now() - started) / 1000;
    await app.stopWorkers();
    const calls = (await app.calls(since)).filter((c) => c.status !== 0);
    // The drain ends when the last sync call is answered (history notes, a courtesy sent later, excluded).
    const sync = calls.filter((c) => !endpointOf(c).endsWith('/History'));
    const last = sync.reduce((end, c) => Math.max(end, c.at + c.durationMs * SCALE), emulatedStart);
    const counts = (await app.f.counts()) as { invoices?: number; payments?: number };
    if (counts.invoices !== sales || counts.payments !== sales) throw new Error(`${scenario}: ${counts.invoices} invoices and ${counts.payments} payments in Xero for ${sales} paid sales`);
    const refused = calls.filter((c) => c.status >= 400);
    if (refused.length > 0) console.log(`(${scenario}: ${refused.length} calls refused by Xero, e.g. ${refused[0]!.status} ${endpointOf(refused[0]!)})`);
    const uniqueCustomers = Math.min(customers, sales);
    const minCalls = 2 * Math.ceil(sales / BATCH) + 2 * Math.ceil(uniqueCustomers / BATCH);
    return {
      scenario, sales, customers: uniqueCustomers, calls: countBy(sync, endpointOf), total: sync.length, minCalls,
      emulatedS: (last - emulatedStart) / 1000, minS: Math.floor((minCalls - 1) / 60) * 60, realS,
    };
  } finally {
    await app.close();
  }
}

const rows = [await run('returning customers', SALES, CUSTOMERS)];
if (NEW_CUSTOMER_SALES > 0) rows.push(await run('every sale a new customer', NEW_CUSTOMER_SALES, Number.MAX_SAFE_INTEGER));

for (const r of rows) console.log(`${r.scenario}: ${[...r.calls].map(([k, v]) => `${k} ${v}`).join(', ')}; real drain ${r.realS.toFixed(1)} s`);
console.log(`\nXero calls per paid sale, backlog drained by the real app against the emulator (${kind}); limits 60/min, 5 in flight, 5,000/day; emulated clock ×${SCALE}`);
console.log('(figures taken on a shared, loaded machine; drain times in emulated = Xero time)');
console.log(table(
  ['scenario', 'paid sales', 'customers', 'Xero calls', 'calls/paid sale', 'minimum calls', 'calls vs minimum', 'drain', 'minimum drain', 'drain vs minimum'],
  rows.map((r) => [
    r.scenario, r.sales, r.customers, r.total, (r.total / r.sales).toFixed(4), r.minCalls, `×${(r.total / r.minCalls).toFixed(2)}`,
    `${(r.emulatedS / 60).toFixed(2)} min`, `${(r.minS / 60).toFixed(2)} min`, r.minS > 0 ? `×${(r.emulatedS / r.minS).toFixed(2)}` : '-',
  ]),
));
