// Scale-out benchmark (PostgreSQL): 1, 2 and 4 worker PROCESSES (bench/scale-workers-harness.ts: what
// `PROCESS_ROLE=worker npm start` runs) drain a backlog of sales for 20 Xero tenants connected through ONE
// OAuth2 app, against the Xero emulator at Xero's real limits and real time (60 calls per tenant per
// rolling minute, 5 in flight, 10,000 per app per minute), while a 21st, quiet tenant records one sale a
// second: its sale → invoice latency is the real-time figure. From the emulator's call log: the most calls
// any tenant made in any rolling minute, the most the whole app made in any rolling minute, and how many
// calls Xero refused with 429. (The clock is not sped up: OAuth2 ID tokens from a clock running ahead of
// real time fail validation, "JWT not active yet", as they should.)
//
// Two passes in one run (ratios within a run): Xero answering at once, and at Xero's real answer time (every
// API call 300–600 ms, the emulator's injected latency, seeded), where a worker spends most of its time
// waiting on Xero and more processes should help until the tenants' own limits bind. `--latency-only`
// runs the second pass alone.
//
// Every pass does the same work: its sales are for customers new to Xero (each pass creates its own
// contacts), and it starts from an empty queue (the previous pass's History notes, a courtesy sent only with
// headroom, are dropped, or later passes would send earlier passes' notes). Each pass prints the CPU
// seconds the worker processes and this process (the emulator, the seller, the polling) used, how long
// their main threads waited for a CPU while runnable, and the load average: on a shared 2-core machine a
// drain can be bound by the CPU, not by Xero (docs/benchmarks.md).
//
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/scale-workers.ts [--sales=50] [--workers=1,2,4] [--latency-only] [--trace]
//   BENCH_PG_URL=… npm run bench -- scale-workers --latency-only            # the short default: 50 sales a tenant
//   BENCH_PG_URL=… npm run bench -- scale-workers --latency-only --full     # 200 sales a tenant
// `--trace` prints, per pass, the sync items finished and the Xero calls made in each 5 s of the drain.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import request from 'supertest';
import { createSale } from '../server/domain/sales';
import type { Principal } from '../server/plugins/contract';
import { consentShortcut, followCallback, PUBLIC_URL, REDIRECT_URI, startConsent, type OAuth2World } from '../test/e2e/xero/oauth2Flow';
import { bootXeroApp, logIn, seedOrg, startXeroEmulator } from '../test/support/xero';
import { spawnAppProcess, type AppProcess } from '../test/support/processes';
import { benchDbKind, flag, quantile, saleBody, sleep, table } from './xero-harness';

const TENANTS = 20;
const SALES_PER_TENANT = flag('sales', process.argv.includes('--full') ? 200 : 50);
const WORKER_COUNTS = (process.argv.find((a) => a.startsWith('--workers='))?.slice('--workers='.length) ?? '1,2,4').split(',').map(Number);
const TRACE = process.argv.includes('--trace');
const CUSTOMERS_PER_TENANT = 10;
const HISTORY_NOTE = 'xero.history.note';
const LIVE_EVERY_MS = 1_000;
const MINUTE = 60_000;
const SYNC_TYPES = ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push'];
const LATENCY = { minMs: 300, maxMs: 600, seed: 16 };
const PASSES = process.argv.includes('--latency-only') ? [true] : [false, true];

interface Call { at: number; status: number; headers: Record<string, string>; url: string; durationMs: number }

/** CPU seconds (user + system) a process has used, from /proc (Linux). */
function cpuSecondsOf(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}
const ownCpuSeconds = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
/**
 * Seconds a process's main thread spent runnable but waiting for a CPU (/proc/<pid>/schedstat, Linux): when
 * this outgrows the CPU time itself, the machine's other load, not Xero or our code, sets the pace.
 */
function runQueueSecondsOf(pid: number | 'self' | undefined): number {
  if (pid === undefined) return NaN;
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

/** "0–5 s: 150, 5–10 s: 200 …" from times relative to t0. */
function perFiveSeconds(times: number[], t0: number): string {
  const buckets = new Map<number, number>();
  for (const t of times) buckets.set(Math.floor((t - t0) / 5000) * 5, (buckets.get(Math.floor((t - t0) / 5000) * 5) ?? 0) + 1);
  return [...buckets].sort((a, b) => a[0] - b[0]).map(([b, n]) => `${b}s:${n}`).join(' ');
}

/** The most entries of `times` (sorted) inside any window of `width`. */
function maxInWindow(times: number[], width: number): number {
  let best = 0;
  for (let lo = 0, hi = 0; hi < times.length; hi++) {
    while (times[hi]! - times[lo]! >= width) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const kind = benchDbKind();
if (kind !== 'pg') {
  // `npm run bench` runs every benchmark; this one needs PostgreSQL (several processes, one database).
  console.log('skipped: bench/scale-workers.ts runs on PostgreSQL only; set BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test');
  process.exit(0);
}

const emu = await startXeroEmulator({ callLogLimit: 2_000_000 });
const created = await request(emu.url).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: [REDIRECT_URI], name: 'Ledgerbridge scale bench' }).expect(201);
const client = created.body as { clientId: string; clientSecret: string };
const env = { PUBLIC_URL, XERO_CLIENT_ID: client.clientId, XERO_CLIENT_SECRET: client.clientSecret, XERO_HTTP_TIMEOUT_MS: '20000' };
const x = await bootXeroApp(kind, { emulatorUrl: emu.url, env });
const db = x.host.deps.db;

// 20 busy organisations and one quiet one, each its own Xero organisation, all connected through the one app.
interface Org { orgId: number; tenantId: string; staff: Principal }
const orgs: Org[] = [];
for (let i = 0; i <= TENANTS; i++) {
  const tenant = (await request(emu.url).post('/_emulator/organisations').send({ name: `Scale Gym ${i}`, baseCurrency: 'GBP', countryCode: 'GB' }).expect(201)).body as { tenantId: string };
  const org = await seedOrg(db, `Scale Gym ${i}`);
  const world = { emu, x, org, client, tenants: [{ tenantId: tenant.tenantId, name: `Scale Gym ${i}` }] } as unknown as OAuth2World;
  const admin = await logIn(x.app, org.emails.admin);
  const back = await followCallback(admin, await consentShortcut(world, await startConsent(world, admin), { tenantIds: [tenant.tenantId] }));
  if (back.status !== 303) throw new Error(`connecting Scale Gym ${i}: ${back.status} ${/<div class="alert[^]*?<\/div>/.exec(back.text)?.[0] ?? back.text.slice(0, 2000)}`);
  const staffRow = await db('users').where({ org_id: org.orgId, role: 'staff' }).first('id');
  orgs.push({ orgId: org.orgId, tenantId: tenant.tenantId, staff: { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' } });
}
const busy = orgs.slice(0, TENANTS);
const live = orgs[TENANTS]!;

const childEnv = {
  DATABASE_URL: x.t.url, DATA_DIR: x.dataDir, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
  SESSION_SECRET: 'xero-tests-session-secret-0123456789abcdef', XERO_API_URL: emu.url, XERO_IDENTITY_URL: emu.url,
  WORKER_CONCURRENCY: '2', OUTBOX_POLL_MS: '200', DATABASE_POOL_MAX: '5', ...env,
};

const rows: (string | number)[][] = [];
const runStart = Date.now();
let saleNo = 0;
let pass = 0;
for (const withLatency of PASSES) {
await request(emu.url).post('/_emulator/latency').send(withLatency ? LATENCY : { minMs: 0, maxMs: 0 }).expect(200);
const latencyLabel = withLatency ? `${LATENCY.minMs}–${LATENCY.maxMs} ms` : 'none';
for (const workerCount of WORKER_COUNTS) {
  const passStart = Date.now();
  pass++;
  await request(emu.url).delete('/_emulator/calls').expect(204);
  // An empty queue: the previous pass's History notes would otherwise go out during this one.
  await db('outbox').where({ type: HISTORY_NOTE }).whereNot('status', 'done').del();
  // The backlog, queued while no worker runs, the tenants in parallel; customers new to Xero in every pass.
  await Promise.all(busy.map(async (org) => {
    for (let n = 0; n < SALES_PER_TENANT; n++) await createSale({ ...x.host.deps, db }, org.staff, saleBody(saleNo++, pass * 1000 + (n % CUSTOMERS_PER_TENANT)));
  }));
  const workers: AppProcess[] = await Promise.all(Array.from({ length: workerCount }, (_, i) =>
    spawnAppProcess({ id: `w${workerCount}-${i}`, role: 'worker', entry: 'bench/scale-workers-harness.ts', readyMarker: 'READY', env: { ...childEnv, WORKER_ID: `w${workerCount}-${i}` } })));
  await Promise.all(workers.map((w) => w.ready));
  const t0 = Date.now();
  const workerCpu0 = workers.map((w) => cpuSecondsOf(w.proc.pid));
  const workerWait0 = workers.map((w) => runQueueSecondsOf(w.proc.pid));
  const ownWait0 = runQueueSecondsOf('self');
  const ownCpu0 = ownCpuSeconds();

  // The quiet tenant sells once a second while the backlog drains.
  const probes: { id: number; at: number }[] = [];
  let draining = true;
  const prober = (async () => {
    while (draining) {
      const at = Date.now();
      probes.push({ id: (await createSale({ ...x.host.deps, db }, live.staff, saleBody(saleNo++, 0))).id, at });
      await sleep(LIVE_EVERY_MS - (Date.now() - at));
    }
  })();
  const busyIds = busy.map((o) => o.orgId);
  const waiting = async (orgIds: number[]) => Number(((await db('outbox').whereIn('org_id', orgIds).whereIn('type', SYNC_TYPES).whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: string }[])[0]!.n);
  while ((await waiting(busyIds)) > 0) await sleep(200);
  const drainMs = Date.now() - t0;
  const workerCpu = workers.reduce((sum, w, i) => sum + cpuSecondsOf(w.proc.pid) - workerCpu0[i]!, 0);
  const ownCpu = ownCpuSeconds() - ownCpu0;
  const workerWait = workers.reduce((sum, w, i) => sum + runQueueSecondsOf(w.proc.pid) - workerWait0[i]!, 0);
  const ownWait = runQueueSecondsOf('self') - ownWait0;
  const load = loadavg()[0]!;
  draining = false;
  await prober;
  while ((await waiting([live.orgId])) > 0) await sleep(100);
  await Promise.all(workers.map((w) => w.stop(10_000)));

  const synced = (await db('sync_records').where({ org_id: live.orgId, entity_type: 'sale', record_type: 'invoice', status: 'synced' }).whereIn('entity_id', probes.map((p) => p.id)).select('entity_id', 'synced_at')) as { entity_id: number; synced_at: string }[];
  const latencies = synced.map((r) => Number(r.synced_at) - probes.find((p) => p.id === Number(r.entity_id))!.at).sort((a, b) => a - b);

  const calls = ((await request(emu.url).get('/_emulator/calls').expect(200)).body as Call[]).filter((c) => new URL(c.url).pathname.startsWith('/api.xro/'));
  const byTenant = new Map<string, number[]>();
  for (const c of calls) {
    const tenant = Object.entries(c.headers).find(([k]) => k.toLowerCase() === 'xero-tenant-id')?.[1] ?? '?';
    byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), c.at]);
  }
  const perTenantMax = Math.max(...[...byTenant.values()].map((ts) => maxInWindow(ts.sort((a, b) => a - b), MINUTE)));
  const appMax = maxInWindow(calls.map((c) => c.at).sort((a, b) => a - b), MINUTE);
  const refused = calls.filter((c) => c.status === 429).length;
  const notes = calls.filter((c) => /\/History$/.test(new URL(c.url).pathname)).length;
  const durations = calls.map((c) => c.durationMs).sort((a, b) => a - b);
  if (TRACE) {
    const done = (await db('outbox').whereIn('org_id', busyIds).whereIn('type', SYNC_TYPES).where('done_at', '>=', t0).pluck('done_at')).map(Number);
    console.log(`  sync items done per 5 s: ${perFiveSeconds(done, t0)}`);
    console.log(`  record calls per 5 s:    ${perFiveSeconds(calls.filter((c) => !/\/History$/.test(new URL(c.url).pathname)).map((c) => c.at), t0)}`);
    console.log(`  History notes per 5 s:   ${perFiveSeconds(calls.filter((c) => /\/History$/.test(new URL(c.url).pathname)).map((c) => c.at), t0)}`);
    const retried = (await db('outbox').whereIn('org_id', busyIds).whereIn('type', SYNC_TYPES).where('created_at', '>=', passStart).where('attempts', '>', 1).count({ n: '*' })) as { n: string }[];
    console.log(`  sync items claimed more than once: ${retried[0]!.n}`);
    // Each tenant's calls in order, "endpoint@start+duration" (s from t0): the gaps are our own time.
    const callsOf = new Map<string, Call[]>();
    for (const c of calls) {
      const tenant = Object.entries(c.headers).find(([k]) => k.toLowerCase() === 'xero-tenant-id')?.[1] ?? '?';
      callsOf.set(tenant, [...(callsOf.get(tenant) ?? []), c]);
    }
    for (const [tenant, tc] of [...callsOf].slice(0, 6)) {
      console.log(`  ${tenant.slice(0, 8)}: ${tc.map((c) => `${c.url.replace(/^.*\/api\.xro\/2\.0\//, '').replace(/\?.*$/, '').replace(/[0-9a-f-]{36}/g, '{id}')}@${((c.at - t0) / 1000).toFixed(2)}+${(c.durationMs / 1000).toFixed(2)}`).join(' ')}`);
    }
  }
  const sales = SALES_PER_TENANT * TENANTS;
  rows.push([
    latencyLabel, workerCount, sales, (drainMs / 1000).toFixed(1), (sales / (drainMs / 1000)).toFixed(1),
    `${calls.length - notes} + ${notes}`, perTenantMax, appMax, refused,
    `${quantile(latencies, 0.5)} / ${quantile(latencies, 0.95)} / ${latencies.at(-1)} (${latencies.length}/${probes.length})`,
    `${quantile(durations, 0.5).toFixed(0)} / ${quantile(durations, 0.99).toFixed(0)}`,
    `${workerCpu.toFixed(1)} + ${ownCpu.toFixed(1)}`, ((workerCpu + ownCpu) / (drainMs / 1000)).toFixed(2), `${workerWait.toFixed(1)} + ${ownWait.toFixed(1)}`, load.toFixed(1),
  ]);
  console.log(`latency ${latencyLabel}, workers=${workerCount}: drained ${sales} sales in ${drainMs} ms (pass took ${((Date.now() - passStart) / 1000).toFixed(0)} s with its set-up)`);
}
}

console.log(`\n${TENANTS} tenants × ${SALES_PER_TENANT} sales each, one OAuth2 app, PostgreSQL, Xero's real limits in real time; each worker process runs ${childEnv.WORKER_CONCURRENCY} workers`);
console.log('(figures taken on a shared, loaded machine)');
console.log(table(
  ['Xero latency', 'worker processes', 'sales', 'drain s', 'sales/s', 'Xero calls (records + notes)', 'max calls/tenant/min (limit 60)', 'max app calls/min (limit 10,000)', '429s', 'live sale→invoice ms p50 / p95 / max (synced/sent)',
    'call ms p50 / p99', 'CPU s: workers + bench', 'CPU s per drain s', 'waiting for a CPU s: workers + bench', 'load (1 min)'],
  rows,
));
console.log(`run took ${((Date.now() - runStart) / 1000).toFixed(0)} s`);
await x.close();
await emu.close();
process.exit(0);
