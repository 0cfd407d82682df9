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
//   npx tsx bench/xero-paid-backlog.ts --sales 0 --new-customer-sales 0            # the booking-money mix alone
//   npx tsx bench/xero-paid-backlog.ts --mix-plain 200 --deposits 100 --overpaid 100 --mix-customers 50
//
// Then the booking-money mix (issue 17; bench/xero-money-harness.ts, default 200 plain paid sales, 100 bookings
// with a deposit, 100 overpaid sales and 100 later sales paid from that credit; --full 1,000 / 500 / 500):
// three backlogs on one app (the day's sales; the sales paid from credit; the service day, when the bookings'
// invoices post and their deposits are allocated), Xero calls counted per record kind against each kind's
// minimum (moneyMixMinimum: ⌈n/50⌉ for what Xero takes in batches of 50, one call per allocation, since Xero's
// Allocations endpoints take one prepayment or overpayment each, and no lookups).
//
// Minimum calls for N paid sales of C distinct customers: ceil(N/50) PUT Invoices + ceil(N/50) PUT Payments
// + ceil(C/50) contact lookups (GET Contacts, to never create a duplicate) + ceil(C/50) PUT Contacts.
// Minimum drain: Xero serves at most 60 calls in any minute, so from an idle minute call k (0-based) can
// go no earlier than floor(k/60) minutes in: M calls need floor((M−1)/60) whole minutes before the last
// one can start (a backlog of 100 calls cannot drain in 100/60 = 1.67 min, it needs 1 min + the last call;
// one of 130 needs 2). The ratio compares the measured drain (to the end of the last call that was not a
// History note, a courtesy sent later) to that, in emulated (= Xero) time.
import { benchDbKind, countBy, endpointOf, flag, fullRun, runBacklog, table, tookLine } from './xero-harness';
import { moneyMixMinimum, recordKindOf, runMoneyMix } from './xero-money-harness';

const startedAt = Date.now();
const full = fullRun();
const SALES = flag('sales', full ? 5_000 : 1_000);
const CUSTOMERS = flag('customers', full ? 200 : 100);
const NEW_CUSTOMER_SALES = flag('new-customer-sales', full ? 1_000 : 300);
const SCALE = flag('scale', 10);
// The booking-money mix (issue 17; bench/xero-money-harness.ts): plain paid sales, bookings with a deposit,
// overpaid sales and as many later sales paid from that credit. --deposits=0 --overpaid=0 leaves it out.
const MIX_PLAIN = flag('mix-plain', full ? 1_000 : 200);
const MIX_DEPOSITS = flag('deposits', full ? 500 : 100);
const MIX_OVERPAID = flag('overpaid', full ? 500 : 100);
const MIX_CUSTOMERS = flag('mix-customers', 50);
const BATCH = 50;
const kind = benchDbKind();

const runs = SALES > 0 ? [await runBacklog(kind, { scenario: 'returning customers', sales: SALES, customers: CUSTOMERS, scale: SCALE, paid: true })] : [];
if (NEW_CUSTOMER_SALES > 0) runs.push(await runBacklog(kind, { scenario: 'every sale a new customer', sales: NEW_CUSTOMER_SALES, customers: Number.MAX_SAFE_INTEGER, scale: SCALE, paid: true }));

const rows = runs.map((r) => {
  const sync = r.calls.filter((c) => !endpointOf(c).endsWith('/History'));
  const minCalls = 2 * Math.ceil(r.sales / BATCH) + 2 * Math.ceil(r.customers / BATCH);
  return { r, sync, minCalls, minS: Math.floor((minCalls - 1) / 60) * 60 };
});
for (const { r, sync } of rows) console.log(`${r.scenario}: ${[...countBy(sync, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ')}; real drain ${r.realS.toFixed(1)} s, enqueue ${r.enqueueS.toFixed(1)} s`);
if (rows.length > 0) console.log(`\nXero calls per paid sale, backlog drained by the real app against the emulator (${kind}); limits 60/min, 5 in flight, 5,000/day; emulated clock ×${SCALE}`);
if (rows.length > 0) console.log('(figures taken on a shared, loaded machine; drain times in emulated = Xero time)');
if (rows.length > 0) console.log(table(
  ['scenario', 'paid sales', 'customers', 'Xero calls', 'calls/paid sale', 'minimum calls', 'calls vs minimum', 'drain', 'minimum drain', 'drain vs minimum'],
  rows.map(({ r, sync, minCalls, minS }) => [
    r.scenario, r.sales, r.customers, sync.length, (sync.length / r.sales).toFixed(4), minCalls, `×${(sync.length / minCalls).toFixed(2)}`,
    `${(r.lastSyncCallS / 60).toFixed(2)} min`, `${(minS / 60).toFixed(2)} min`, minS > 0 ? `×${(r.lastSyncCallS / minS).toFixed(2)}` : '-',
  ]),
));

if (MIX_DEPOSITS + MIX_OVERPAID > 0) {
  const mix = await runMoneyMix(kind, { plain: MIX_PLAIN, deposits: MIX_DEPOSITS, overpaid: MIX_OVERPAID, customers: MIX_CUSTOMERS, scale: SCALE });
  const minimum = moneyMixMinimum(mix.o, mix.customers);
  const all = mix.phases.flatMap((p) => p.calls);
  for (const p of mix.phases) {
    console.log(`${p.name}: ${[...countBy(p.calls, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ')}; drain ${(p.lastSyncCallS / 60).toFixed(2)} min (Xero time), real ${p.realS.toFixed(1)} s`);
  }
  const counted = all.filter((c) => recordKindOf(c) !== 'history notes');
  const byKind = countBy(counted, recordKindOf);
  const refusedByKind = countBy(counted.filter((c) => c.status === 429), recordKindOf);
  const records: Record<string, number> = {
    contacts: mix.customers, invoices: mix.o.plain + mix.o.deposits + 2 * mix.o.overpaid, payments: mix.o.plain + mix.o.overpaid,
    'prepayments (deposits)': mix.o.deposits, overpayments: mix.o.overpaid, 'deposit allocations': mix.o.deposits, 'credit allocations': mix.o.overpaid, lookups: 0,
  };
  const kinds = [...new Set([...minimum.keys(), ...byKind.keys()])];
  const paidSales = mix.o.plain + mix.o.deposits + 2 * mix.o.overpaid;
  const sync = [...byKind.values()].reduce((a, b) => a + b, 0);
  const minTotal = [...minimum.values()].reduce((a, b) => a + b, 0);
  console.log(`\nBooking-money mix (${kind}; enqueue ${mix.enqueueS.toFixed(1)} s): ${mix.o.plain} plain paid sales, ${mix.o.deposits} bookings with a deposit, ${mix.o.overpaid} overpaid sales and ${mix.o.overpaid} later sales paid from that credit; ${mix.customers} customers`);
  console.log(table(
    ['record kind', 'records', 'Xero calls', 'of them 429', 'calls/paid sale', 'minimum calls', 'calls vs minimum'],
    [
      ...kinds.map((k) => {
        const calls = byKind.get(k) ?? 0;
        const min = minimum.get(k) ?? 0;
        return [k, records[k] ?? '-', calls, refusedByKind.get(k) ?? 0, (calls / paidSales).toFixed(4), min, min > 0 ? `×${(calls / min).toFixed(2)}` : calls === 0 ? '×1.00' : '-'];
      }),
      ['all (per paid sale)', paidSales, sync, [...refusedByKind.values()].reduce((a, b) => a + b, 0), (sync / paidSales).toFixed(4), minTotal, `×${(sync / minTotal).toFixed(2)}`],
    ],
  ));
  const notes = all.filter((c) => recordKindOf(c) === 'history notes').length;
  if (notes > 0) console.log(`(and ${notes} history notes, a courtesy sent after the sync, not counted above)`);
}
console.log(tookLine(startedAt));
