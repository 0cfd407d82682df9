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
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/scale-workers.ts [--sales 200] [--latency-only]
//   BENCH_PG_URL=… npm run bench -- scale-workers --latency-only
import request from 'supertest';
import { createSale } from '../server/domain/sales';
import type { Principal } from '../server/plugins/contract';
import { consentShortcut, followCallback, PUBLIC_URL, REDIRECT_URI, startConsent, type OAuth2World } from '../test/e2e/xero/oauth2Flow';
import { bootXeroApp, logIn, seedOrg, startXeroEmulator } from '../test/support/xero';
import { spawnAppProcess, type AppProcess } from '../test/support/processes';
import { benchDbKind, flag, quantile, saleBody, sleep, table } from './xero-harness';

const TENANTS = 20;
const SALES_PER_TENANT = flag('sales', 200);
const WORKER_COUNTS = [1, 2, 4];
const LIVE_EVERY_MS = 1_000;
const MINUTE = 60_000;
const SYNC_TYPES = ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push'];
const LATENCY = { minMs: 300, maxMs: 600, seed: 16 };
const PASSES = process.argv.includes('--latency-only') ? [true] : [false, true];

interface Call { at: number; status: number; headers: Record<string, string>; url: string }

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
let saleNo = 0;
for (const withLatency of PASSES) {
await request(emu.url).post('/_emulator/latency').send(withLatency ? LATENCY : { minMs: 0, maxMs: 0 }).expect(200);
const latencyLabel = withLatency ? `${LATENCY.minMs}–${LATENCY.maxMs} ms` : 'none';
for (const workerCount of WORKER_COUNTS) {
  await request(emu.url).delete('/_emulator/calls').expect(204);
  // The backlog, queued while no worker runs.
  for (let n = 0; n < SALES_PER_TENANT; n++) {
    for (const org of busy) await createSale({ ...x.host.deps, db }, org.staff, saleBody(saleNo++, n % 10));
  }
  const workers: AppProcess[] = await Promise.all(Array.from({ length: workerCount }, (_, i) =>
    spawnAppProcess({ id: `w${workerCount}-${i}`, role: 'worker', entry: 'bench/scale-workers-harness.ts', readyMarker: 'READY', env: { ...childEnv, WORKER_ID: `w${workerCount}-${i}` } })));
  await Promise.all(workers.map((w) => w.ready));
  const t0 = Date.now();

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
  const sales = SALES_PER_TENANT * TENANTS;
  rows.push([
    latencyLabel, workerCount, sales, (drainMs / 1000).toFixed(1), (sales / (drainMs / 1000)).toFixed(1),
    calls.length, perTenantMax, appMax, refused,
    `${quantile(latencies, 0.5)} / ${quantile(latencies, 0.95)} / ${latencies.at(-1)} (${latencies.length}/${probes.length})`,
  ]);
  console.log(`latency ${latencyLabel}, workers=${workerCount}: drained ${sales} sales in ${drainMs} ms`);
}
}

console.log(`\n${TENANTS} tenants × ${SALES_PER_TENANT} sales each, one OAuth2 app, PostgreSQL, Xero's real limits in real time; each worker process runs ${childEnv.WORKER_CONCURRENCY} workers`);
console.log('(figures taken on a shared, loaded machine)');
console.log(table(
  ['Xero latency', 'worker processes', 'sales', 'drain s', 'sales/s', 'Xero calls', 'max calls/tenant/min (limit 60)', 'max app calls/min (limit 10,000)', '429s', 'live sale→invoice ms p50 / p95 / max (synced/sent)'],
  rows,
));
await x.close();
await emu.close();
process.exit(0);
