// Shared set-up of the Xero sync benchmarks (not a benchmark itself: scripts/run-bench.mjs skips
// *-harness.ts). The real app — bootHost with the Xero plugin, an organisation connected as a private app
// (test/e2e/xero/syncFixture.ts's connect step), the plugin's real outbox handlers run by startOutboxWorkers
// with the app's worker settings — against the real Xero emulator on a real port, and readers of the
// emulator's call log.
//
// Database: SQLite by default; `--pg` (or BENCH_PG_URL / DATABASE_URL set to a postgres:// URL) runs on
// PostgreSQL in a fresh schema.
import { nowMs } from '../server/db/knex';
import { startOutboxWorkers, type OutboxWorkers } from '../server/outbox';
import { createSale } from '../server/domain/sales';
import { recordPayment } from '../server/domain/payments';
import type { OutboxHandler, PluginDefinition, Principal } from '../server/plugins/contract';
import { xeroPlugin } from '../plugins/xero';
import { xeroHandlers } from '../plugins/xero/handlers';
import { HISTORY_NOTE as HISTORY_NOTE_TYPE } from '../plugins/xero/sync/types';
import type { XeroServiceOptions } from '../plugins/xero/engine/services';
import { RateBudget, tenantKeyOf, type RateLimits } from '../plugins/xero/engine/rateBudget';
import type { XeroEmulatorOptions } from '../emulators/xero/app';
import { connectPrivateApp, setMappings } from '../test/e2e/xero/syncFixture';
import { bootXeroApp, seedOrg, startXeroEmulator, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../test/support/xero';
import type { DbKind } from '../test/support/db';
import { arrivalTimes, type Arrivals } from '../test/support/pacingModel';

/** SQLite unless --pg or a postgres:// BENCH_PG_URL / DATABASE_URL is given. */
export function benchDbKind(): DbKind {
  const url = process.env.BENCH_PG_URL ?? (process.env.DATABASE_URL?.startsWith('postgres') ? process.env.DATABASE_URL : undefined) ?? process.env.TEST_PG_URL;
  const wantPg = process.argv.includes('--pg') || Boolean(process.env.BENCH_PG_URL) || Boolean(process.env.DATABASE_URL?.startsWith('postgres'));
  if (!wantPg) return 'sqlite';
  if (!url) throw new Error('--pg needs BENCH_PG_URL (or DATABASE_URL / TEST_PG_URL), e.g. postgres://postgres@127.0.0.1:5432/test');
  process.env.TEST_PG_URL = url; // createTestDatabase makes its schema under this URL
  return 'pg';
}

/** `--name value` or `--name=value` from the command line, else the fallback. */
export function flag(name: string, fallback: number): number {
  const args = process.argv;
  const eq = args.find((a) => a.startsWith(`--${name}=`));
  const raw = eq ? eq.slice(name.length + 3) : args.includes(`--${name}`) ? args[args.indexOf(`--${name}`) + 1] : undefined;
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`--${name} must be a number, got ${raw}`);
  return n;
}

/** What the benchmarks drive: the app, its organisation connected to the emulator, and the emulator. */
export interface BenchFixture {
  emu: RunningEmulator;
  x: XeroTestApp;
  org: SeededOrg;
  tenantId: string;
  sell(body: Record<string, unknown>): Promise<{ id: number }>;
  /** A payment recorded on an existing sale, as the sale page or POST /api/v1/sales/{id}/payments does. */
  pay(saleId: number, body: Record<string, unknown>): Promise<void>;
  counts(): Promise<Record<string, number>>;
}

export interface BenchApp {
  f: BenchFixture;
  kind: DbKind;
  workers?: OutboxWorkers;
  startWorkers(concurrency?: number): OutboxWorkers;
  stopWorkers(): Promise<void>;
  /** Xero's limits for this tenant, set on both sides: the emulator and our database-held rate budget. */
  setLimits(limits: Partial<RateLimits> & { oauth1MaxSkewMs?: number }): Promise<void>;
  /** The emulator's call log (Accounting API calls only) after sequence number `since`. */
  calls(since?: number): Promise<CallRecord[]>;
  lastSeq(): Promise<number>;
  close(): Promise<void>;
}

export interface CallRecord {
  seq: number;
  at: number;
  method: string;
  url: string;
  body: string | null;
  status: number;
  durationMs: number;
}

export interface BenchAppOptions {
  emulator?: XeroEmulatorOptions;
  env?: Record<string, string>;
  /**
   * The rate budget reads the emulator's clock (same process), so both agree on time when the emulator
   * runs fast (`emulator.clockSpeed`, fixed for the run); waits are converted back to real time by that
   * speed (RateBudgetOptions.timeScale).
   */
  budgetOnEmulatorClock?: boolean;
  /** Record when each handler batch starts and each rate-budget slot is asked for and granted (runRealtime's timeline). */
  timeline?: DispatchTimeline;
}

/**
 * What the real-time bench records of the dispatch path, in wall ms, without touching production logging:
 * when a handler is handed each item (its claim), and every rate-budget acquire (asked → granted). Bench-only:
 * the handlers are wrapped here and RateBudget.prototype.acquire is wrapped while a run records.
 */
export interface DispatchTimeline {
  /** Outbox item id → wall ms of each time a handler was handed it. */
  handled: Map<number, number[]>;
  /** Every granted rate-budget slot: when it was asked for and when granted. */
  slots: { askedAt: number; grantedAt: number }[];
}

export const newTimeline = (): DispatchTimeline => ({ handled: new Map(), slots: [] });

/** Wrap RateBudget.acquire so every granted slot lands in `t`; returns the undo. */
function recordSlots(t: DispatchTimeline): () => void {
  const original = RateBudget.prototype.acquire;
  RateBudget.prototype.acquire = async function recorded(this: RateBudget, ...args: Parameters<RateBudget['acquire']>) {
    const askedAt = Date.now();
    const permit = await original.apply(this, args);
    t.slots.push({ askedAt, grantedAt: Date.now() });
    return permit;
  };
  return () => { RateBudget.prototype.acquire = original; };
}

function withTimeline(handlers: Record<string, OutboxHandler>, t: DispatchTimeline): Record<string, OutboxHandler> {
  return Object.fromEntries(Object.entries(handlers).map(([type, h]) => [type, {
    ...h,
    handle: (items, hctx) => {
      const at = Date.now();
      for (const item of items) t.handled.set(item.id, [...(t.handled.get(item.id) ?? []), at]);
      return h.handle(items, hctx);
    },
  } satisfies OutboxHandler]));
}

export async function startBenchApp(kind: DbKind, opts: BenchAppOptions = {}): Promise<BenchApp> {
  const emu = await startXeroEmulator({ callLogLimit: 1_000_000, ...opts.emulator });
  const clock = emu.emulator.clock;
  const sync: XeroServiceOptions = opts.budgetOnEmulatorClock
    ? { budgetClock: { now: () => clock.now(), timeScale: clock.speed } }
    : {};
  // The Xero plugin as installed, but for the budget's clock (an option of its handlers).
  const timeline = opts.timeline;
  const handlersOf = (ctx: Parameters<typeof xeroHandlers>[0]) => (timeline ? withTimeline(xeroHandlers(ctx, sync), timeline) : xeroHandlers(ctx, sync));
  const plugin = { ...xeroPlugin, handlers: handlersOf } as unknown as PluginDefinition<unknown>;
  const unrecord = timeline ? recordSlots(timeline) : () => undefined;
  const x = await bootXeroApp(kind, { emulatorUrl: emu.url, plugins: [plugin], env: { PUBLIC_URL: 'http://books.test', XERO_HTTP_TIMEOUT_MS: '20000', ...opts.env } });
  const db = x.host.deps.db;
  const org = await seedOrg(db, 'Bench Gym');
  const tenantId = await connectPrivateApp(x, org.orgId, emu.url);
  await setMappings(x, org.orgId, [{ kind: 'method_account', key: 'stripe', value: '090' }, { kind: 'method_account', key: 'cash', value: '091' }]);
  const staffRow = await db('users').where({ org_id: org.orgId, role: 'staff' }).first('id');
  const staff: Principal = { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' };
  const f: BenchFixture = {
    emu, x, org, tenantId,
    async sell(body) {
      const sale = await createSale({ ...x.host.deps, db }, staff, body);
      return { id: sale.id };
    },
    async pay(saleId, body) {
      await recordPayment({ ...x.host.deps, db }, staff, saleId, body);
    },
    async counts() {
      const res = await fetch(`${emu.url}/_emulator/tenants/${tenantId}/counts`);
      return (await res.json()) as Record<string, number>;
    },
  };
  const cfg = x.host.deps.config.worker;
  const post = async (path: string, body: unknown) => {
    const res = await fetch(`${emu.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`emulator ${path}: ${res.status} ${await res.text()}`);
  };
  const app: BenchApp = {
    f,
    kind,
    startWorkers(concurrency = cfg.concurrency) {
      app.workers = startOutboxWorkers({
        db, handlers: x.host.deps.plugins.handlers, concurrency, leaseMs: cfg.leaseMs, pollMs: cfg.pollMs,
        logger: x.host.deps.logger, notifier: x.host.notifier,
      });
      return app.workers;
    },
    async stopWorkers() {
      await app.workers?.stop();
      app.workers = undefined;
    },
    async setLimits(limits) {
      await post('/_emulator/limits', limits);
      const { oauth1MaxSkewMs: _skew, ...budget } = limits;
      if (Object.keys(budget).length) await new RateBudget({ db }).setLimits(tenantKeyOf(org.orgId, tenantId), budget);
    },
    async calls(since = 0) {
      const res = await fetch(`${emu.url}/_emulator/calls?since=${since}`);
      if (!res.ok) throw new Error(`emulator call log: ${res.status}`);
      return ((await res.json()) as CallRecord[]).filter((c) => new URL(c.url).pathname.startsWith('/api.xro/'));
    },
    async lastSeq() {
      const res = await fetch(`${emu.url}/_emulator/calls`);
      const all = (await res.json()) as CallRecord[];
      return all.at(-1)?.seq ?? 0;
    },
    async close() {
      await app.stopWorkers();
      await x.close();
      await emu.close();
      unrecord();
    },
  };
  return app;
}

/** "PUT Invoices", "GET Contacts", "PUT Invoices/{id}/History" … for a call. */
export function endpointOf(c: Pick<CallRecord, 'method' | 'url'>): string {
  const path = new URL(c.url).pathname.replace(/^\/api\.xro\/2\.0\//, '').replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/gi, '{id}');
  return `${c.method} ${path}`;
}

export function countBy<T>(xs: readonly T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

/** A fixed-width table: the first column left-aligned, the rest right-aligned. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, ri) => {
      const line = r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
      return ri === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The sync items a backlog drain waits for (History notes are a courtesy sent later, not waited for). */
const SYNC_TYPES = ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push', 'xero.deposit.push'];

/**
 * Wait until the organisation has no sync item (invoice, credit note, payment, deposit) pending or leased.
 * `heldBeyondMs`: items due further ahead than that are not waited for (an invoice that waits for its
 * service date next month), while items a few seconds ahead (deferred by the rate budget) still are.
 */
export async function drained(app: BenchApp, timeoutMs: number, opts: { heldBeyondMs?: number } = {}): Promise<void> {
  const db = app.f.x.host.deps.db;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const query = db('outbox').where({ org_id: app.f.org.orgId }).whereIn('type', SYNC_TYPES).whereIn('status', ['pending', 'leased']);
    if (opts.heldBeyondMs !== undefined) query.where('available_at', '<=', Date.now() + opts.heldBeyondMs);
    const rows = (await query.count({ n: '*' })) as { n: number | string }[];
    if (Number(rows[0]?.n ?? 0) === 0) return;
    if (Date.now() > deadline) throw new Error(`the sync did not drain within ${timeoutMs} ms (${rows[0]?.n} items left)`);
    await sleep(25);
  }
}

/** A sale as the till records it: one customer of `customers`, one or two lines at 20 % VAT, unpaid. */
export function saleBody(n: number, customer: number): Record<string, unknown> {
  return {
    currency: 'GBP',
    reference: `BENCH-${n}`,
    customer: { name: `Bench Customer ${customer}`, email: `bench${customer}@example.com` },
    lines: [
      { description: `Session ${n}`, quantity: 1, unitPrice: `${5 + (n % 23)}.00`, taxCode: 'OUTPUT2' },
      ...(n % 3 === 0 ? [{ description: 'Mat hire', quantity: 1, unitPrice: '3.00', taxCode: 'OUTPUT2' }] : []),
    ],
  };
}

/** One sale's way to Xero, wall ms (see DispatchTimeline): each stage ends where the next begins. */
export interface SaleTimeline {
  /** The sale's COMMIT (the API accepted it). */
  committed: number;
  /** Its invoice item came due: the coalescing window closed (its COMMIT when the item was due at once). */
  due: number;
  /** A worker claimed it and handed it to the invoice handler (the batch is closed from here). */
  claimed: number;
  /** The handler asked the rate budget for the slot of the PUT /Invoices that carried it… */
  asked: number;
  /** …and was granted it. */
  granted: number;
  /** The PUT /Invoices reached Xero (the emulator's arrival time)… */
  sent: number;
  /** …and Xero answered it: the invoice is in Xero. */
  answered: number;
  /** The outbox item was recorded done (xero_records, sync state, audit). */
  recorded: number;
}

/** The stages of SaleTimeline, in order: [name, from, to]. */
export const STAGES: readonly (readonly [string, keyof SaleTimeline, keyof SaleTimeline])[] = [
  ['API accepted → item due (coalescing window)', 'committed', 'due'],
  ['due → claimed (worker wake + claim)', 'due', 'claimed'],
  ['claimed → slot asked (sales, contacts, marks)', 'claimed', 'asked'],
  ['slot asked → granted (rate budget)', 'asked', 'granted'],
  ['granted → request at Xero (marks, HTTP)', 'granted', 'sent'],
  ['at Xero → answered (Xero latency)', 'sent', 'answered'],
  ['answered → recorded done', 'answered', 'recorded'],
];

/** One real-time run: its sales' latencies and the Xero calls made while they sold (bench/xero-realtime.ts, bench/xero-latency.ts). */
export interface RealtimeRun {
  label: string;
  rate: number;
  arrivals: Arrivals;
  sales: number;
  /** For each sale: ms from its COMMIT to the end of the PUT /Invoices that created its invoice. */
  latencies: number[];
  /** For each sale: ms from its COMMIT to the start of that PUT /Invoices (what it waited before its call). */
  waits: number[];
  /** For each sale: ms from its item coming due (the coalescing window's end) to the start of that PUT /Invoices: our own time. */
  dueToSent: number[];
  /** Each sale's timeline (sales whose invoice came from a first attempt; a retry's stages are not comparable). */
  timelines: SaleTimeline[];
  /** The calls of the stream: from its first sale until every sale's invoice was in Xero. */
  calls: CallRecord[];
  /** The stream's length (first sale → every invoice in Xero), ms: what `calls` covers. */
  streamMs: number;
  /** The calls after the stream, while its history notes were waited for (RealtimeOptions.notesAfterS). */
  callsAfter: CallRecord[];
  /** History notes: enqueued in all (the warm-up's and the stream's), still waiting when the run ended, and when the last one after the stream went (ms after the stream's end; null: none went). */
  notes: { enqueued: number; left: number; lastAfterMs: number | null; waited: boolean; waitedMs: number };
  invoiceCalls: number;
}

/** `--poisson` on the command line: sales arrive as a Poisson process instead of one every 1/rate s. */
export const arrivalsFlag = (): Arrivals => (process.argv.includes('--poisson') ? 'poisson' : 'steady');

export interface RealtimeOptions {
  label: string;
  /** Sales a second, for `seconds`. */
  rate: number;
  seconds: number;
  /** Steady (default) or Poisson arrivals at `rate`. */
  arrivals?: Arrivals;
  /** Regular customers: sale k is customer k mod customers. */
  customers: number;
  /** The app's environment (XERO_SYNC_COALESCE_MS …). */
  env?: Record<string, string>;
  /** Xero's answer time injected by the emulator. */
  latency?: { minMs: number; maxMs: number; seed: number };
  /** List the slowest sales, every call and what each PUT /Invoices carried (BENCH_TRACE=1). */
  trace?: boolean;
  /**
   * After the stream, keep the workers running up to this many seconds (0: none) until every history note
   * has gone, to show that notes held back while the stream was busy go once it pauses.
   */
  notesAfterS?: number;
}

/**
 * Sales at a steady rate against a fresh app and emulator, Xero's limits at real speed (60/min, 5 in
 * flight, 5,000/day). "In Xero" = the end of the emulator's PUT /Invoices call that created the invoice
 * (arrival + duration, which includes any injected delay), matched to the sale by its invoice number.
 * Customers are regulars: a warm-up sells one sale to each (contacts created and cached), then its calls are
 * aged out of every window the budget reads (the emulator clock +61 s; our budget's call rows and Xero's
 * last reported headroom 61 s older), so the run starts with a fresh minute, as after a quiet minute.
 */
export async function runRealtime(kind: DbKind, o: RealtimeOptions): Promise<RealtimeRun> {
  const timeline = newTimeline();
  const app = await startBenchApp(kind, { timeline, ...(o.env ? { env: o.env } : {}), ...(o.latency ? { emulator: { latency: o.latency } } : {}) });
  const arrivals = o.arrivals ?? 'steady';
  try {
    const db = app.f.x.host.deps.db;
    app.startWorkers();
    for (let c = 0; c < o.customers; c++) await app.f.sell(saleBody(1_000_000 + c, c));
    await drained(app, 180_000);
    await fetch(`${app.f.emu.url}/_emulator/clock/advance`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ms: 61_000 }) });
    await db('xero_rate_calls').update({ at: db.raw('at - 61000') });
    // …and what Xero last reported (X-MinLimit-Remaining), which the budget also trusts within its minute:
    // left as it was, the warm-up's calls still count against the first minute of the run.
    await db('xero_connections').whereNotNull('rate_reported_at').update({ rate_reported_at: db.raw('rate_reported_at - 61000') });
    const clock = (await (await fetch(`${app.f.emu.url}/_emulator/clock`)).json()) as { now: number };
    const offset = clock.now - Date.now(); // emulated − wall
    const since = await app.lastSeq();

    const committed = new Map<number, number>(); // sale id → wall ms of its COMMIT
    const total = Math.round(o.rate * o.seconds);
    const offsets = arrivalTimes(total, o.rate, arrivals, o.latency?.seed);
    const start = Date.now();
    for (let k = 0; k < total; k++) {
      const due = start + offsets[k]!;
      if (due > Date.now()) await sleep(due - Date.now());
      const sale = await app.f.sell(saleBody(k, k % o.customers));
      committed.set(sale.id, nowMs());
    }
    await drained(app, 180_000);
    const streamEnd = Date.now();
    const notesLeft = async () => Number(((await db('outbox').where({ org_id: app.f.org.orgId, type: HISTORY_NOTE_TYPE }).whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[])[0]?.n ?? 0);
    const notesDeadline = streamEnd + (o.notesAfterS ?? 0) * 1000;
    while (Date.now() < notesDeadline && await notesLeft() > 0) await sleep(250);
    const waitedMs = Date.now() - streamEnd;
    await app.stopWorkers();
    const notesEnqueued = Number(((await db('outbox').where({ org_id: app.f.org.orgId, type: HISTORY_NOTE_TYPE }).count({ n: '*' })) as { n: number | string }[])[0]?.n ?? 0);
    const left = await notesLeft();

    const numbers = new Map<string, number>(); // invoice number → sale id
    const rows = await db('xero_records').where({ entity_type: 'sale', record_type: 'invoice' }).whereIn('entity_id', [...committed.keys()]).select('entity_id', 'number');
    for (const r of rows as { entity_id: number; number: string }[]) numbers.set(r.number, Number(r.entity_id));
    const everyCall = (await app.calls(since)).filter((c) => c.status !== 0);
    const calls = everyCall.filter((c) => c.at - offset <= streamEnd);
    const callsAfter = everyCall.filter((c) => c.at - offset > streamEnd);
    const lastNoteAfter = callsAfter.filter((c) => endpointOf(c).endsWith('/History')).at(-1);
    const landed = new Map<number, { start: number; end: number }>();
    for (const c of calls) {
      if (endpointOf(c) !== 'PUT Invoices' || c.status !== 200 || !c.body) continue;
      const body = JSON.parse(c.body) as { Invoices?: { InvoiceNumber?: string }[] };
      for (const inv of body.Invoices ?? []) {
        const saleId = numbers.get(inv.InvoiceNumber ?? '');
        if (saleId !== undefined && !landed.has(saleId)) landed.set(saleId, { start: c.at - offset, end: c.at - offset + c.durationMs });
      }
    }
    const firstItems = new Map<number, { id: number; due: number; doneAt: number }>(); // sale id → its invoice item, first attempts only
    for (const it of (await db('outbox').where({ type: 'xero.invoice.push' }).select('id', 'payload', 'available_at', 'attempts', 'done_at')) as { id: number; payload: string | { saleId: number }; available_at: number | string; attempts: number | string; done_at: number | string | null }[]) {
      // A first attempt's due time is the window's end (a retry's would be its backoff: not counted).
      if (Number(it.attempts) !== 1) continue;
      const saleId = (typeof it.payload === 'string' ? JSON.parse(it.payload) as { saleId: number } : it.payload).saleId;
      firstItems.set(saleId, { id: Number(it.id), due: Number(it.available_at), doneAt: Number(it.done_at) });
    }
    const latencies: number[] = [];
    const waits: number[] = [];
    const dueToSent: number[] = [];
    const timelines: SaleTimeline[] = [];
    const grants = [...timeline.slots].sort((a, b) => a.grantedAt - b.grantedAt);
    for (const [id, at] of committed) {
      const l = landed.get(id);
      if (l === undefined) throw new Error(`${o.label}: no PUT /Invoices call created sale ${id}'s invoice`);
      latencies.push(l.end - at);
      waits.push(l.start - at);
      const item = firstItems.get(id);
      if (item === undefined) continue;
      const due = Math.max(item.due, at);
      dueToSent.push(l.start - due);
      // The slot of its call: the last one granted before the call reached Xero (one tenant; at these rates
      // the invoice call is almost always the only one in flight). Its claim: the last before that slot.
      const slot = grants.filter((g) => g.grantedAt <= l.start).at(-1);
      const claimed = (timeline.handled.get(item.id) ?? []).filter((t) => !slot || t <= slot.askedAt).at(-1);
      if (!slot || claimed === undefined) continue;
      timelines.push({ committed: at, due, claimed, asked: slot.askedAt, granted: slot.grantedAt, sent: l.start, answered: l.end, recorded: item.doneAt });
    }
    if (o.trace) {
      const items = (await db('outbox').where({ type: 'xero.invoice.push' }).select('subject', 'payload', 'available_at', 'created_at', 'attempts', 'done_at', 'last_error')) as Record<string, unknown>[];
      const slowest = [...committed].map(([id, at]) => ({ id, at, l: landed.get(id)! })).sort((a, b) => (b.l.end - b.at) - (a.l.end - a.at)).slice(0, 8);
      for (const s of slowest) {
        const it = items.find((i) => String(i.payload).includes(`"saleId":${s.id}`));
        console.log(`sale ${s.id}: commit ${s.at - start}, available ${Number(it?.available_at) - start}, created ${Number(it?.created_at) - start}, sent ${(s.l.start - start).toFixed(0)}, landed ${(s.l.end - start).toFixed(0)}, attempts ${it?.attempts}, err ${it?.last_error}`);
      }
      const all = calls.map((c) => `${endpointOf(c).replace('Invoices/{id}/History', 'Note')}@${(c.at - offset - start).toFixed(0)}+${c.durationMs.toFixed(0)}${c.status === 200 ? '' : `=${c.status}`}${c.body && endpointOf(c) === 'PUT Invoices' ? `×${(JSON.parse(c.body) as { Invoices?: unknown[] }).Invoices?.length}` : ''}`);
      console.log(`Xero calls (start+duration ms): ${all.join(' ')}`);
      for (const c of calls) {
        if (endpointOf(c) !== 'PUT Invoices' || !c.body) continue;
        const nums = ((JSON.parse(c.body) as { Invoices?: { InvoiceNumber?: string }[] }).Invoices ?? []).map((i) => numbers.get(i.InvoiceNumber ?? ''));
        const its = nums.map((id) => items.find((i) => String(i.payload).includes(`"saleId":${id}`))).map((it) => `${Number(it?.created_at) - start}/${Number(it?.available_at) - start}`);
        console.log(`call @${(c.at - offset - start).toFixed(0)}: ${its.join(' ')}`);
      }
    }
    return {
      label: o.label, rate: o.rate, arrivals, sales: total, latencies, waits, dueToSent, timelines, calls, streamMs: streamEnd - start, callsAfter,
      notes: { enqueued: notesEnqueued, left, lastAfterMs: lastNoteAfter ? Math.round(lastNoteAfter.at - offset - streamEnd) : null, waited: (o.notesAfterS ?? 0) > 0, waitedMs },
      invoiceCalls: calls.filter((c) => endpointOf(c) === 'PUT Invoices' && c.status === 200).length,
    };
  } finally {
    await app.close();
  }
}

/** "PUT Invoices 46, PUT Invoices/{id}/History 10" for a list of calls. */
export const callsByKind = (calls: readonly CallRecord[]): string => [...countBy(calls, endpointOf)].map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** History notes sent among these calls. */
export const notesIn = (calls: readonly CallRecord[]): number => calls.filter((c) => endpointOf(c).endsWith('/History')).length;

/**
 * Per run: its calls by endpoint during the stream and after it (the history notes held back), 429s, how
 * long each call took, and how long sales waited for their call.
 */
export function printRealtimeCalls(runs: readonly RealtimeRun[]): void {
  for (const r of runs) {
    console.log(`${r.label}: calls during the stream (${(r.streamMs / 1000).toFixed(1)} s, first sale → last invoice in Xero): ${callsByKind(r.calls)}; 429s ${r.calls.filter((c) => c.status === 429).length}`);
    const n = r.notes;
    const last = n.lastAfterMs === null ? '' : `, the last ${(n.lastAfterMs / 1000).toFixed(1)} s after the stream`;
    const after = n.waited ? `${notesIn(r.callsAfter)} in the ${(n.waitedMs / 1000).toFixed(1)} s after it${last}` : 'not waited for after it (--notes-after 0)';
    console.log(`${r.label}: history notes ${n.enqueued} enqueued (warm-up and stream): ${notesIn(r.calls)} sent during the stream, ${after}, ${n.left} still waiting`
      + `; calls after the stream: ${callsByKind(r.callsAfter)}; 429s ${r.callsAfter.filter((c) => c.status === 429).length}`);
    const durations = r.calls.map((c) => c.durationMs).sort((a, b) => a - b);
    const waits = [...r.waits].sort((a, b) => a - b);
    const ours = [...r.dueToSent].sort((a, b) => a - b);
    console.log(`${r.label}: each Xero call answered in p50 ${quantile(durations, 0.5).toFixed(0)} ms, max ${durations.at(-1)?.toFixed(0)} ms; commit → its PUT /Invoices sent p50 ${quantile(waits, 0.5).toFixed(0)} ms, p99 ${quantile(waits, 0.99).toFixed(0)} ms;`
      + ` due (window closed) → sent p50 ${quantile(ours, 0.5).toFixed(0)} ms, p99 ${quantile(ours, 0.99).toFixed(0)} ms (${ours.length} first attempts)`);
  }
}

/**
 * Where a sale's time goes, stage by stage (SaleTimeline): each stage's p50 and p99 over the run, and its
 * mean over the slowest sales (those at or above the run's p98 latency), which is what makes up the p99.
 */
export function printTimeline(runs: readonly RealtimeRun[]): void {
  for (const r of runs) {
    const ts = r.timelines;
    if (ts.length === 0) continue;
    const latency = (t: SaleTimeline) => t.answered - t.committed;
    const cut = quantile([...ts].map(latency).sort((a, b) => a - b), 0.98);
    const tail = ts.filter((t) => latency(t) >= cut);
    const rows = STAGES.map(([name, from, to]) => {
      const d = ts.map((t) => t[to] - t[from]).sort((a, b) => a - b);
      const mean = tail.reduce((sum, t) => sum + (t[to] - t[from]), 0) / tail.length;
      return [name, Math.round(quantile(d, 0.5)), Math.round(quantile(d, 0.99)), Math.round(mean)];
    });
    const whole = ts.map(latency).sort((a, b) => a - b);
    rows.push(['API accepted → answered (the latency)', Math.round(quantile(whole, 0.5)), Math.round(quantile(whole, 0.99)), Math.round(tail.reduce((sum, t) => sum + latency(t), 0) / tail.length)]);
    console.log(`\n${r.label} (${r.arrivals} arrivals): where a sale's time goes, ${ts.length} sales (first attempts), ms`);
    console.log(table(['stage', 'p50', 'p99', `mean of the slowest ${tail.length}`], rows));
  }
}

/** p50, p90, p99 and max of a run's latencies (ms, rounded). */
export function latencySummary(r: RealtimeRun): { p50: number; p90: number; p99: number; max: number } {
  const s = [...r.latencies].sort((a, b) => a - b);
  return { p50: Math.round(quantile(s, 0.5)), p90: Math.round(quantile(s, 0.9)), p99: Math.round(quantile(s, 0.99)), max: Math.round(s.at(-1) ?? NaN) };
}

/** Elapsed wall time since `startedAt`, for the last line of every benchmark. */
export function tookLine(startedAt: number): string {
  const s = Math.round((Date.now() - startedAt) / 1000);
  return `run took ${Math.floor(s / 60)} min ${s % 60} s`;
}

/** A sale paid in full in cash at the till (saleBody's lines are tax-inclusive: the total is their sum). */
export function paidSaleBody(n: number, customer: number): Record<string, unknown> {
  const body = saleBody(n, customer);
  const lines = body.lines as { unitPrice: string; quantity: number }[];
  const total = lines.reduce((sum, l) => sum + Number(l.unitPrice) * l.quantity, 0);
  return { ...body, payments: [{ method: 'cash', amount: total.toFixed(2), providerRef: `till-${n}` }] };
}

/** `--full` on the command line: a benchmark's long configuration (the figures in docs/benchmarks.md). */
export const fullRun = (): boolean => process.argv.includes('--full');

/** One backlog drained (bench/xero-backlog.ts, bench/xero-paid-backlog.ts). Times in seconds. */
export interface BacklogRun {
  scenario: string;
  sales: number;
  /** Distinct customers among the sales. */
  customers: number;
  /** Every Accounting API call of the drain that Xero answered (History notes included). */
  calls: CallRecord[];
  /** Emulated (Xero) time from the workers' start until the queue was seen drained. */
  drainS: number;
  /** Emulated time from the workers' start to the end of the last call that was not a History note. */
  lastSyncCallS: number;
  realS: number;
  enqueueS: number;
}

/**
 * N sales committed while no worker runs (each sale's transaction enqueues its items), then drained by
 * the app's workers against the emulator at Xero's limits (60/min, 5 in flight, 5,000/day). Draining
 * thousands of sales at 60 calls a minute is minutes of pure waiting, so the emulator's clock runs `scale`
 * times faster than the wall clock and the rate budget reads that same clock (RateBudgetOptions.now and
 * timeScale: it sleeps and defers in real ms). Only OAuth 1.0a's ±5 min timestamp check is widened: our
 * signatures carry the wall clock, which the fast clock leaves behind. Sale n is customer n mod
 * `customers`, or a new customer each when customers ≥ sales. Checks Xero holds an invoice (and, paid, a
 * payment) for every sale.
 */
export async function runBacklog(kind: DbKind, o: { scenario: string; sales: number; customers: number; scale: number; paid?: boolean; concurrency?: number }): Promise<BacklogRun> {
  const app = await startBacklogApp(kind, o.scale);
  try {
    const body = o.paid ? paidSaleBody : saleBody;
    const t0 = performance.now();
    for (let n = 0; n < o.sales; n++) await app.f.sell(body(n, o.customers >= o.sales ? n : n % o.customers));
    const enqueueS = (performance.now() - t0) / 1000;
    const drain = await drainBacklog(app, { scenario: o.scenario, scale: o.scale, concurrency: o.concurrency });
    const counts = (await app.f.counts()) as { invoices?: number; payments?: number };
    if (counts.invoices !== o.sales) throw new Error(`${o.scenario}: ${counts.invoices} invoices in Xero for ${o.sales} sales`);
    if (o.paid && counts.payments !== o.sales) throw new Error(`${o.scenario}: ${counts.payments} payments in Xero for ${o.sales} paid sales`);
    return { scenario: o.scenario, sales: o.sales, customers: Math.min(o.customers, o.sales), enqueueS, ...drain };
  } finally {
    await app.close();
  }
}

/** A fresh app and emulator at Xero's limits (60/min, 5 in flight, 5,000/day), the emulator's clock and our budget ×`scale`. */
export async function startBacklogApp(kind: DbKind, scale: number, opts: { oauth1MaxSkewMs?: number } = {}): Promise<BenchApp> {
  const app = await startBenchApp(kind, { emulator: { clockSpeed: scale }, budgetOnEmulatorClock: true });
  try {
    await app.setLimits({ perMinute: 60, perDay: 5_000, concurrent: 5, oauth1MaxSkewMs: opts.oauth1MaxSkewMs ?? 7 * 86_400_000 });
    return app;
  } catch (err) {
    await app.close();
    throw err;
  }
}

/** One drain of what is queued (workers started and stopped here): the calls Xero answered and the times, as BacklogRun has them. */
export async function drainBacklog(app: BenchApp, o: { scenario: string; scale: number; concurrency?: number; heldBeyondMs?: number }): Promise<Pick<BacklogRun, 'calls' | 'drainS' | 'lastSyncCallS' | 'realS'>> {
  const clock = app.f.emu.emulator.clock;
  const since = await app.lastSeq();
  const started = performance.now();
  const emulatedStart = clock.now();
  app.startWorkers(o.concurrency || undefined);
  await drained(app, 30 * 60_000, o.heldBeyondMs === undefined ? {} : { heldBeyondMs: o.heldBeyondMs });
  const realS = (performance.now() - started) / 1000;
  const drainS = (clock.now() - emulatedStart) / 1000;
  await app.stopWorkers();
  const calls = (await app.calls(since)).filter((c) => c.status !== 0);
  const refused = calls.filter((c) => c.status >= 400);
  if (refused.length > 0) console.log(`(${o.scenario}: ${refused.length} calls refused by Xero, e.g. ${refused[0]!.status} ${endpointOf(refused[0]!)})`);
  const last = calls.filter((c) => !endpointOf(c).endsWith('/History')).reduce((end, c) => Math.max(end, c.at + c.durationMs * o.scale), emulatedStart);
  return { calls, drainS, lastSyncCallS: (last - emulatedStart) / 1000, realS };
}
