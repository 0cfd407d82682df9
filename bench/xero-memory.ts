// Peak memory of the production worker process (`PROCESS_ROLE=worker npm start`: every installed plugin, the
// outbox workers, housekeeping and schedules, against the Xero emulator) with a 100,000-item Xero backlog, run
// three ways in one run: through tsx (development), as built (dist/, what `npm start` runs) and as built with
// the small V8 settings (SMALL_V8_FLAGS); and a baseline: the built worker pushing the same number of invoices
// from a small backlog. Peak RSS is the kernel's high-water mark (VmHWM), CPU per invoice from /proc/<pid>/stat.
// Sales, lines and their outbox items are written straight into the database in bulk (what 100,000 sale
// transactions would leave), so the set-up is fast. Xero's rate limits are raised on both sides here: this
// measures memory, not pacing. Builds dist/ first (npm run build).
//
//   npm run bench -- xero-memory                      # SQLite, 100,000 items, 2,000 invoices pushed per phase
//   BENCH_PG_URL=postgres://… npm run bench -- xero-memory                                  # PostgreSQL
//   node --conditions=source --import tsx bench/xero-memory.ts --backlog 100000 --push 2000 --concurrency 2
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import type { Db } from '../server/db/knex';
import { nowMs } from '../server/db/knex';
import { benchDbKind, flag, sleep, startBenchApp, table, type BenchApp } from './xero-harness';

const BACKLOG = flag('backlog', 100_000);
const PUSH = flag('push', 2_000);
const SMALL = flag('small', PUSH);
const CONCURRENCY = flag('concurrency', 2);
const CUSTOMERS = 200;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
const kind = benchDbKind();

/** `count` sales (one line each) and their xero.invoice.push items, in bulk, as the sale transactions would leave them. */
async function insertBacklog(db: Db, orgId: number, customerIds: number[], first: number, count: number): Promise<void> {
  const chunk = 400;
  const now = nowMs();
  for (let start = 0; start < count; start += chunk) {
    const n = Math.min(chunk, count - start);
    await db.transaction(async (trx) => {
      const sales = (await trx('sales').insert(Array.from({ length: n }, (_, i) => {
        const k = first + start + i;
        return {
          org_id: orgId, customer_id: customerIds[k % customerIds.length]!, reference: `MEM-${k}`, currency: 'GBP', total_minor: 1200 + (k % 500),
          paid_minor: 0, refunded_minor: 0, status: 'completed', occurred_at: now, created_by: 'system', created_at: now,
        };
      })).returning(['id', 'total_minor'])) as { id: number; total_minor: number | string }[];
      await trx('sale_lines').insert(sales.map((s) => ({
        sale_id: s.id, position: 1, description: `Session ${s.id}`, quantity: '1', unit_price_minor: Number(s.total_minor), discount_rate: null,
        category: null, tax_code: 'OUTPUT2', line_total_minor: Number(s.total_minor), refunded_minor: 0,
      })));
      await trx('outbox').insert(sales.map((s) => ({
        org_id: orgId, plugin_id: 'xero', type: 'xero.invoice.push', subject: `xero:sale:${s.id}`, dedupe_key: `xero:invoice:${s.id}`,
        payload: JSON.stringify({ saleId: s.id }), status: 'pending', attempts: 0, max_attempts: 50, available_at: now, created_at: now, updated_at: now,
      })));
    });
  }
}

interface Phase {
  name: string; pending: number; pushed: number; seconds: number; cpuMsPerInvoice: number;
  readyRssMb: number; peakRssMb: number;
}

/** How the worker process runs: the entry and node's flags, as `npm start` would (the built code) or development (tsx). */
interface Runner { label: string; args: string[] }
// The V8 settings that keep a worker small (docs/operators.md, "Memory"): V8 tunes for size over speed, a 2 MB
// young generation (the default grows it to 16 MB per semi-space, then keeps it), and one background thread.
export const SMALL_V8_FLAGS = ['--optimize-for-size', '--max-semi-space-size=2', '--v8-pool-size=1'];
const RUNNERS: Record<'tsx' | 'built' | 'builtYoung' | 'builtSmall', Runner> = {
  tsx: { label: 'tsx (server/main.ts)', args: ['--conditions=source', '--import', 'tsx', join(ROOT, 'server/main.ts')] },
  built: { label: 'built (dist/server/main.js)', args: ['--enable-source-maps', join(ROOT, 'dist/server/main.js')] },
  // The young generation alone (without --optimize-for-size, which costs CPU): which setting saves what.
  builtYoung: { label: 'built + --max-semi-space-size=2 --v8-pool-size=1', args: ['--enable-source-maps', '--max-semi-space-size=2', '--v8-pool-size=1', join(ROOT, 'dist/server/main.js')] },
  builtSmall: { label: `built + ${SMALL_V8_FLAGS.join(' ')}`, args: ['--enable-source-maps', ...SMALL_V8_FLAGS, join(ROOT, 'dist/server/main.js')] },
};

/** The kernel's figures for a process: peak RSS so far (VmHWM), RSS now, and CPU time used (user + system). */
function procStats(pid: number): { peakKb: number; rssKb: number; cpuMs: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  // /proc/<pid>/stat: fields 14 and 15 (utime, stime) in clock ticks, after the parenthesised command name.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return { peakKb: kb('VmHWM'), rssKb: kb('VmRSS'), cpuMs: (ticks * 1000) / CLOCK_TICKS };
}

/**
 * What a process holds before any work: RSS after loading, in a fresh process each, after a full GC. Shows what
 * the loader (tsx compiles every module in the process and keeps its caches) and xero-node (all its models) cost.
 */
function loadCosts(): string[][] {
  const measure = `globalThis.gc(); const m = process.memoryUsage(); console.log(JSON.stringify({ rss: m.rss, heap: m.heapUsed }));`;
  const app = (dir: string, ext: string) => ['server/boot', 'server/app', 'server/plugins/installed'].map((f) => `import('${join(ROOT, dir, f)}${ext}')`).join(', ');
  const rows: [string, string[]][] = [
    ['node alone', []],
    ['xero-node', ['-e', `import('xero-node').then(() => { ${measure} })`]],
    ['the app and every plugin, built', ['-e', `Promise.all([${app('dist', '.js')}]).then(() => { ${measure} })`]],
    ['the app and every plugin, through tsx', ['--import', 'tsx', '-e', `Promise.all([${app('', '.ts')}]).then(() => { ${measure} })`]],
  ];
  return rows.map(([name, args]) => {
    const r = spawnSync(process.execPath, ['--expose-gc', ...(args.length ? args : ['-e', measure])], { cwd: ROOT, encoding: 'utf8' });
    const m = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { rss: number; heap: number };
    return [name, (m.rss / 2 ** 20).toFixed(0), (m.heap / 2 ** 20).toFixed(0)];
  });
}

async function doneInvoices(db: Db): Promise<number> {
  const rows = (await db('outbox').where({ type: 'xero.invoice.push', status: 'done' }).count({ n: '*' })) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/**
 * Start the real worker process (PROCESS_ROLE=worker, all installed plugins, as `npm start` runs it), let it
 * push `push` more invoices, stop it. Its peak RSS is the kernel's high-water mark, read just before SIGTERM.
 */
async function phase(app: BenchApp, name: string, push: number, runner: Runner): Promise<Phase> {
  const db = app.f.x.host.deps.db;
  const pendingRows = (await db('outbox').where({ type: 'xero.invoice.push', status: 'pending' }).count({ n: '*' })) as { n: number | string }[];
  const before = await doneInvoices(db);
  const child = spawn(process.execPath, runner.args, {
    cwd: ROOT,
    env: {
      ...process.env, NODE_ENV: 'production', LOG_LEVEL: 'info', PROCESS_ROLE: 'worker',
      DATA_DIR: app.f.x.dataDir, DATABASE_URL: app.f.x.t.url, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      XERO_API_URL: app.f.emu.url, XERO_IDENTITY_URL: app.f.emu.url, XERO_HTTP_TIMEOUT_MS: '20000', PUBLIC_URL: 'http://books.test',
      WORKER_CONCURRENCY: String(CONCURRENCY), OUTBOX_POLL_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let tail = '';
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    tail = (tail + chunk.toString()).slice(-4096);
    if (tail.includes('outbox workers started')) ready();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([isReady, exited]);
  if (child.exitCode !== null) throw new Error(`${name}: the worker process exited (${child.exitCode}): ${tail}`);
  const atReady = procStats(child.pid!);
  const started = performance.now();
  while ((await doneInvoices(db)) - before < push) {
    if (child.exitCode !== null) throw new Error(`${name}: the worker process exited (${child.exitCode})`);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  const atEnd = procStats(child.pid!);
  child.kill('SIGTERM');
  await exited;
  const pushed = (await doneInvoices(db)) - before;
  return {
    name: `${name}, ${runner.label}`, pending: Number(pendingRows[0]?.n ?? 0), pushed, seconds,
    cpuMsPerInvoice: (atEnd.cpuMs - atReady.cpuMs) / pushed, readyRssMb: atReady.rssKb / 1024, peakRssMb: atEnd.peakKb / 1024,
  };
}

// The built phases run dist/ as `npm start` would: build it first when it is missing or stale.
const build = spawnSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
if (build.status !== 0) throw new Error('npm run build failed');
const app = await startBenchApp(kind);
const phases: Phase[] = [];
try {
  const db = app.f.x.host.deps.db;
  await app.setLimits({ perMinute: 1_000_000, perDay: 100_000_000, concurrent: 5 });
  const now = nowMs();
  const customerIds = ((await db('customers').insert(Array.from({ length: CUSTOMERS }, (_, c) => ({
    org_id: app.f.org.orgId, name: `Memory Customer ${c}`, email: `mem${c}@example.com`, created_at: now,
  }))).returning('id')) as ({ id: number } | number)[]).map((r) => (typeof r === 'object' ? Number(r.id) : Number(r)));

  // Baseline: a small backlog, the built worker. Then BACKLOG items waiting, pushed by the worker run each way.
  await insertBacklog(db, app.f.org.orgId, customerIds, 0, SMALL);
  phases.push(await phase(app, `baseline (${SMALL.toLocaleString('en')} items)`, SMALL, RUNNERS.built));
  const t0 = performance.now();
  await insertBacklog(db, app.f.org.orgId, customerIds, SMALL, BACKLOG + 4 * PUSH);
  const insertS = (performance.now() - t0) / 1000;
  const backlog = `backlog (${BACKLOG.toLocaleString('en')} items)`;
  for (const runner of [RUNNERS.tsx, RUNNERS.built, RUNNERS.builtYoung, RUNNERS.builtSmall]) phases.push(await phase(app, backlog, PUSH, runner));
  console.log(`Xero sync worker process memory (${kind}): the production worker (PROCESS_ROLE=worker, every plugin, LOG_LEVEL=info), ${CONCURRENCY} workers, batches of 50, ${PUSH.toLocaleString('en')} invoices pushed per phase; backlog written in ${insertS.toFixed(1)} s`);
  console.log(table(
    ['phase', 'items waiting', 'invoices pushed', 'seconds', 'invoices/s', 'CPU ms/invoice', 'RSS when ready MB', 'peak RSS MB'],
    phases.map((p) => [p.name, p.pending, p.pushed, p.seconds.toFixed(1), (p.pushed / p.seconds).toFixed(0), p.cpuMsPerInvoice.toFixed(2), p.readyRssMb.toFixed(0), p.peakRssMb.toFixed(0)]),
  ));
  const [base, viaTsx, built, young, small] = phases as [Phase, Phase, Phase, Phase, Phase];
  console.log(`peak RSS with the backlog: tsx ${viaTsx.peakRssMb.toFixed(0)} MB → built ${built.peakRssMb.toFixed(0)} MB → small young generation ${young.peakRssMb.toFixed(0)} MB → all small V8 settings ${small.peakRssMb.toFixed(0)} MB (baseline ${base.peakRssMb.toFixed(0)} MB, goal < 150 MB)`);
  console.log(`CPU per invoice vs built: small young generation ×${(young.cpuMsPerInvoice / built.cpuMsPerInvoice).toFixed(2)}, all small V8 settings ×${(small.cpuMsPerInvoice / built.cpuMsPerInvoice).toFixed(2)}`);
  console.log('\nWhat a worker holds before any work (a fresh process each, after a full GC):');
  console.log(table(['loaded', 'RSS MB', 'heap MB'], loadCosts()));
} finally {
  await app.close();
}
