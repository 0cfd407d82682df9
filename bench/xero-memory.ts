// Peak memory of the outbox worker process (the real app's worker with the Xero plugin, against the
// emulator) with a 100,000-item Xero backlog, against a baseline in the same run: the same worker process
// pushing the same number of invoices from a small backlog. Sales, lines and their outbox items are written
// straight into the database in bulk (what 100,000 sale transactions would leave), so the set-up is fast.
// Xero's rate limits are raised on both sides here: this measures memory, not pacing.
//
//   npx tsx bench/xero-memory.ts                      # SQLite, 100,000 items, 2,000 invoices pushed per phase
//   npx tsx bench/xero-memory.ts --pg                 # PostgreSQL (BENCH_PG_URL=postgres://…)
//   npx tsx bench/xero-memory.ts --backlog 100000 --push 2000 --concurrency 2
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { Db } from '../server/db/knex';
import { nowMs } from '../server/db/knex';
import { benchDbKind, flag, sleep, startBenchApp, table, type BenchApp } from './xero-harness';

const BACKLOG = flag('backlog', 100_000);
const PUSH = flag('push', 2_000);
const SMALL = flag('small', PUSH);
const CONCURRENCY = flag('concurrency', 2);
const CUSTOMERS = 200;
const here = dirname(fileURLToPath(import.meta.url));
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

interface Sample { maxRssKb: number; rss: number; heapUsed: number; heapPeak: number }
interface Phase { name: string; pending: number; pushed: number; seconds: number; peakRssMb: number; peakHeapMb: number; startRssMb: number }

async function doneInvoices(db: Db): Promise<number> {
  const rows = (await db('outbox').where({ type: 'xero.invoice.push', status: 'done' }).count({ n: '*' })) as { n: number | string }[];
  return Number(rows[0]?.n ?? 0);
}

/** Start a worker process, let it push `push` more invoices, stop it; its memory samples give the peaks. */
async function phase(app: BenchApp, name: string, push: number): Promise<Phase> {
  const db = app.f.x.host.deps.db;
  const pendingRows = (await db('outbox').where({ type: 'xero.invoice.push', status: 'pending' }).count({ n: '*' })) as { n: number | string }[];
  const before = await doneInvoices(db);
  const samples: Sample[] = [];
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'xero-worker-harness.ts')], {
    env: {
      ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', PROCESS_ROLE: 'worker',
      DATA_DIR: app.f.x.dataDir, DATABASE_URL: app.f.x.t.url, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
      XERO_API_URL: app.f.emu.url, XERO_IDENTITY_URL: app.f.emu.url, XERO_HTTP_TIMEOUT_MS: '20000', PUBLIC_URL: 'http://books.test',
      WORKER_CONCURRENCY: String(CONCURRENCY), OUTBOX_POLL_MS: '200',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffered = '';
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'READY') ready();
      else if (line.startsWith('{')) samples.push(JSON.parse(line) as Sample);
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await Promise.race([isReady, exited]);
  const started = performance.now();
  while ((await doneInvoices(db)) - before < push) {
    if (child.exitCode !== null) throw new Error(`${name}: the worker process exited (${child.exitCode})`);
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  child.kill('SIGTERM');
  await exited;
  const last = samples.at(-1)!;
  return {
    name, pending: Number(pendingRows[0]?.n ?? 0), pushed: (await doneInvoices(db)) - before, seconds,
    peakRssMb: last.maxRssKb / 1024, peakHeapMb: last.heapPeak / 2 ** 20, startRssMb: (samples[0]?.rss ?? 0) / 2 ** 20,
  };
}

const app = await startBenchApp(kind);
const phases: Phase[] = [];
try {
  const db = app.f.x.host.deps.db;
  await app.setLimits({ perMinute: 1_000_000, perDay: 100_000_000, concurrent: 5 });
  const now = nowMs();
  const customerIds = ((await db('customers').insert(Array.from({ length: CUSTOMERS }, (_, c) => ({
    org_id: app.f.org.orgId, name: `Memory Customer ${c}`, email: `mem${c}@example.com`, created_at: now,
  }))).returning('id')) as ({ id: number } | number)[]).map((r) => (typeof r === 'object' ? Number(r.id) : Number(r)));

  // Baseline: a small backlog. Then the same worker with BACKLOG items waiting.
  await insertBacklog(db, app.f.org.orgId, customerIds, 0, SMALL);
  phases.push(await phase(app, `baseline (${SMALL.toLocaleString('en')} items)`, SMALL));
  const t0 = performance.now();
  await insertBacklog(db, app.f.org.orgId, customerIds, SMALL, BACKLOG);
  const insertS = (performance.now() - t0) / 1000;
  phases.push(await phase(app, `backlog (${BACKLOG.toLocaleString('en')} items)`, PUSH));
  console.log(`Xero sync worker process memory (${kind}): ${CONCURRENCY} workers, batches of 50, ${PUSH.toLocaleString('en')} invoices pushed per phase; backlog written in ${insertS.toFixed(1)} s`);
  console.log(table(
    ['phase', 'items waiting', 'invoices pushed', 'seconds', 'invoices/s', 'RSS at start MB', 'peak RSS MB', 'peak heap MB'],
    phases.map((p) => [p.name, p.pending, p.pushed, p.seconds.toFixed(1), (p.pushed / p.seconds).toFixed(0), p.startRssMb.toFixed(0), p.peakRssMb.toFixed(0), p.peakHeapMb.toFixed(0)]),
  ));
  const [base, big] = phases as [Phase, Phase];
  console.log(`peak RSS with the backlog: ×${(big.peakRssMb / base.peakRssMb).toFixed(2)} the baseline (+${(big.peakRssMb - base.peakRssMb).toFixed(0)} MB); peak heap ×${(big.peakHeapMb / base.peakHeapMb).toFixed(2)}`);
} finally {
  await app.close();
}
