// The booking-money mix of bench/xero-paid-backlog.ts (issue 17): beside plain paid sales, bookings paid
// with a deposit before their invoice exists, and sales overpaid whose credit pays a later sale. Not a
// benchmark itself (scripts/run-bench.mjs skips *-harness.ts). One app and emulator, three backlogs drained
// in turn, each as bench/xero-harness.ts's runBacklog drains one:
//   1. the day's sales: P plain paid sales, D bookings (service date next month, the organisation's invoices
//      dated on the service date) each with a deposit taken at booking, K sales each overpaid by 5.00;
//   2. later: K sales, each of an overpaying customer, paid 5.00 from that customer's credit;
//   3. the service day comes (our clock and Xero's): the D invoices are posted and their deposits allocated.
import { instantOfWallHour } from '../plugins/xero/sync/nextRunAt';
import { setMappings } from '../test/e2e/xero/syncFixture';
import type { DbKind } from '../test/support/db';
import { drainBacklog, endpointOf, paidSaleBody, saleBody, startBacklogApp, type CallRecord } from './xero-harness';

const DAY = 86_400_000;
const londonDay = (ms: number) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date(ms));
const totalOf = (body: Record<string, unknown>) => (body.lines as { unitPrice: string; quantity: number }[]).reduce((sum, l) => sum + Number(l.unitPrice) * l.quantity, 0);

export interface MoneyMixOptions {
  plain: number;
  deposits: number;
  overpaid: number;
  /** Returning customers of the plain sales and bookings (sale n → customer n mod customers). */
  customers: number;
  scale: number;
}

export interface MoneyMixPhase { name: string; calls: CallRecord[]; realS: number; lastSyncCallS: number }

export interface MoneyMixRun {
  o: MoneyMixOptions;
  phases: MoneyMixPhase[];
  /** Distinct customers among all the sales (the overpaying customers are their own). */
  customers: number;
  enqueueS: number;
}

/** The kind of Xero record a call writes or reads ("lookups" are GETs that reconcile before a resend). */
export function recordKindOf(c: CallRecord): string {
  const e = endpointOf(c);
  if (e.endsWith('/History')) return 'history notes';
  if (/^(GET|PUT|POST) Contacts/.test(e)) return 'contacts';
  if (c.method === 'GET') return 'lookups';
  if (e === 'PUT Invoices' || e === 'POST Invoices') return 'invoices';
  if (e === 'PUT Payments') return 'payments';
  if (e === 'PUT Prepayments/{id}/Allocations') return 'deposit allocations';
  if (e === 'PUT Overpayments/{id}/Allocations') return 'credit allocations';
  if (e === 'PUT BankTransactions') {
    const types = new Set(((JSON.parse(c.body ?? '{}') as { BankTransactions?: { Type?: string }[] }).BankTransactions ?? []).map((t) => t.Type));
    if (types.size === 1 && types.has('RECEIVE-PREPAYMENT')) return 'prepayments (deposits)';
    if (types.size === 1 && types.has('RECEIVE-OVERPAYMENT')) return 'overpayments';
    return `bank transactions (${[...types].join(' + ')})`;
  }
  return e;
}

export async function runMoneyMix(kind: DbKind, o: MoneyMixOptions): Promise<MoneyMixRun> {
  // Xero's clock moves a month on in phase 3; our OAuth 1.0a signatures carry the wall clock.
  const app = await startBacklogApp(kind, o.scale, { oauth1MaxSkewMs: 90 * DAY });
  const { f } = app;
  const db = f.x.host.deps.db;
  try {
    await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
    const serviceDate = londonDay(Date.now() + 31 * DAY);
    const t0 = performance.now();
    let n = 0;
    for (let i = 0; i < o.plain; i++, n++) await f.sell(paidSaleBody(n, n % o.customers));
    for (let i = 0; i < o.deposits; i++, n++) {
      await f.sell({ ...saleBody(n, n % o.customers), reference: `BOOKING-${n}`, serviceDate, payments: [{ method: 'cash', amount: '4.00', providerRef: `deposit-${n}` }] });
    }
    const creditCustomer = (i: number) => 1_000_000 + i;
    for (let i = 0; i < o.overpaid; i++, n++) {
      const body = saleBody(n, creditCustomer(i));
      const sale = await f.sell(body);
      await f.pay(sale.id, { method: 'cash', amount: (totalOf(body) + 5).toFixed(2), providerRef: `over-${n}` });
    }
    const enqueueS = (performance.now() - t0) / 1000;
    const phases: MoneyMixPhase[] = [];
    const drain = async (name: string, heldBeyondMs?: number) => {
      const d = await drainBacklog(app, { scenario: name, scale: o.scale, ...(heldBeyondMs === undefined ? {} : { heldBeyondMs }) });
      phases.push({ name, calls: d.calls, realS: d.realS, lastSyncCallS: d.lastSyncCallS });
    };
    // The bookings' invoices wait a month: not waited for here (a rate-budget deferral is seconds, not days).
    await drain('1. sales, bookings with deposits, overpaid sales', DAY);

    for (let i = 0; i < o.overpaid; i++, n++) {
      const sale = await f.sell(saleBody(n, creditCustomer(i)));
      await f.pay(sale.id, { method: 'customer_credit', amount: '5.00' });
    }
    await drain('2. later sales paid from credit', DAY);

    // The service day begins, for Ledgerbridge's clock and Xero's. The outbox claims on the wall clock, so
    // the items held for that day (due a month from now in wall time) are made due now: the month passing.
    const [y, m, d] = serviceDate.split('-').map(Number) as [number, number, number];
    const skew = instantOfWallHour(y, m, d, 0, 'Europe/London') + 60_000 - Date.now();
    const clock = f.x.ctx.clock;
    clock.now = () => Date.now() + skew;
    f.emu.emulator.clock.advance(skew);
    await db('outbox').where({ org_id: f.org.orgId, status: 'pending' }).where('available_at', '>', Date.now()).update({ available_at: Date.now() });
    await drain('3. service day: booking invoices, deposits allocated');

    const counts = (await f.counts()) as { invoices?: number; payments?: number; bankTransactions?: number };
    const expect = { invoices: o.plain + o.deposits + 2 * o.overpaid, payments: o.plain + o.overpaid, bankTransactions: o.deposits + o.overpaid };
    for (const [k, v] of Object.entries(expect)) {
      if (counts[k as keyof typeof counts] !== v) throw new Error(`booking-money mix: ${counts[k as keyof typeof counts]} ${k} in Xero, expected ${v}`);
    }
    const unsynced = await db('sync_records').where({ org_id: f.org.orgId }).whereNot({ status: 'synced' }).select('entity_type', 'entity_id', 'record_type', 'status', 'error');
    if (unsynced.length > 0) throw new Error(`booking-money mix: ${unsynced.length} records not synced, e.g. ${JSON.stringify(unsynced[0])}`);
    return { o, phases, customers: Math.min(o.customers, o.plain + o.deposits) + o.overpaid, enqueueS };
  } finally {
    await app.close();
  }
}

/**
 * The fewest calls each kind of record needs, at Xero's 50 per batch where Xero takes a batch (invoices,
 * payments, bank transactions, contacts) and one call per prepayment or overpayment allocated (Xero's
 * Allocations endpoints take one prepayment or overpayment each). Records that only exist after a phase
 * cannot share a batch with earlier ones: invoices are ⌈(P+K)/50⌉ + ⌈K/50⌉ + ⌈D/50⌉ over the three phases.
 */
export function moneyMixMinimum(o: MoneyMixOptions, customers: number): Map<string, number> {
  const b = (x: number) => Math.ceil(x / 50);
  return new Map([
    ['contacts', 2 * b(customers)],
    ['invoices', b(o.plain + o.overpaid) + b(o.overpaid) + b(o.deposits)],
    ['payments', b(o.plain + o.overpaid)],
    ['prepayments (deposits)', b(o.deposits)],
    ['overpayments', b(o.overpaid)],
    ['deposit allocations', o.deposits],
    ['credit allocations', o.overpaid],
    ['lookups', 0],
  ]);
}
