// Shared set-up of the Xero sync benchmarks (not a benchmark itself: scripts/run-bench.mjs skips
// *-harness.ts). The real app — bootHost with the Xero plugin, an organisation connected as a private app
// (test/e2e/xero/syncFixture.ts's connect step), the plugin's real outbox handlers run by startOutboxWorkers
// with the app's worker settings — against the real Xero emulator on a real port, and readers of the
// emulator's call log.
//
// Database: SQLite by default; `--pg` (or BENCH_PG_URL / DATABASE_URL set to a postgres:// URL) runs on
// PostgreSQL in a fresh schema.
import { startOutboxWorkers, type OutboxWorkers } from '../server/outbox';
import { createSale } from '../server/domain/sales';
import type { PluginDefinition, Principal } from '../server/plugins/contract';
import { xeroPlugin } from '../plugins/xero';
import { xeroHandlers } from '../plugins/xero/handlers';
import type { XeroServiceOptions } from '../plugins/xero/engine/services';
import { RateBudget, tenantKeyOf, type RateLimits } from '../plugins/xero/engine/rateBudget';
import type { XeroEmulatorOptions } from '../emulators/xero/app';
import { connectPrivateApp, setMappings } from '../test/e2e/xero/syncFixture';
import { bootXeroApp, seedOrg, startXeroEmulator, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../test/support/xero';
import type { DbKind } from '../test/support/db';

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
}

export async function startBenchApp(kind: DbKind, opts: BenchAppOptions = {}): Promise<BenchApp> {
  const emu = await startXeroEmulator({ callLogLimit: 1_000_000, ...opts.emulator });
  const clock = emu.emulator.clock;
  const sync: XeroServiceOptions = opts.budgetOnEmulatorClock
    ? { budgetClock: { now: () => clock.now(), timeScale: clock.speed } }
    : {};
  // The Xero plugin as installed, but for the budget's clock (an option of its handlers).
  const plugin = { ...xeroPlugin, handlers: (ctx: Parameters<typeof xeroHandlers>[0]) => xeroHandlers(ctx, sync) } as unknown as PluginDefinition<unknown>;
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

/** Wait until the organisation has no sync item (invoice, credit note, payment) pending or leased. */
export async function drained(app: BenchApp, timeoutMs: number): Promise<void> {
  const db = app.f.x.host.deps.db;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await db('outbox').where({ org_id: app.f.org.orgId }).whereIn('type', ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push'])
      .whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
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
