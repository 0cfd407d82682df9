// The sale path's cost of the outbox: median and p99 of POST /api/v1/sales through the real app,
// without any plugin and with a plugin that subscribes (enqueues an outbox item and records sync state
// inside the sale's transaction), measured in one run, interleaved in rounds so machine noise hits both.
//
//   npx tsx bench/sale-path.ts                    # SQLite
//   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432/test npx tsx bench/sale-path.ts   # PostgreSQL too
//   BENCH_SALES=2000 npx tsx bench/sale-path.ts   # more requests per variant
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import knexFactory from 'knex';
import { z } from 'zod';
import { bootHost, type BootedHost } from '../server/boot';
import { createApp } from '../server/app';
import { createOrganisation } from '../server/domain/organisations';
import { createApiToken } from '../server/auth/apiTokens';
import { definePlugin, type PluginDefinition } from '../server/plugins/contract';

const SALES = Number(process.env.BENCH_SALES ?? 600);
const ROUNDS = 6;
const WARMUP = 50;

const subscribingPlugin = definePlugin({
  id: 'bench',
  title: 'Bench',
  configSchema: z.object({}),
  subscribers: {
    'sale.completed': async (event, trx, ctx) => {
      const id = event.data.sale.id;
      await ctx.outbox.enqueue(trx, { type: 'bench.invoice.push', orgId: event.orgId, dedupeKey: `bench:invoice:${id}`, subject: `bench:sale:${id}`, payload: { saleId: id } });
      await ctx.sync.upsert(trx, { orgId: event.orgId, entityType: 'sale', entityId: id, recordType: 'invoice', status: 'pending' });
    },
  },
}) as unknown as PluginDefinition<unknown>;

interface Variant {
  name: string;
  host: BootedHost;
  server: Server;
  url: string;
  token: string;
  timings: number[];
  close(): Promise<void>;
}

async function startVariant(name: string, plugins: PluginDefinition<unknown>[], databaseUrl: string | undefined): Promise<Variant> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lb-bench-'));
  let schema: string | undefined;
  let dbUrl = databaseUrl;
  if (databaseUrl) {
    schema = `bench_${randomBytes(4).toString('hex')}`;
    const admin = knexFactory({ client: 'pg', connection: databaseUrl });
    await admin.raw(`CREATE SCHEMA ${schema}`);
    await admin.destroy();
    const u = new URL(databaseUrl);
    u.searchParams.set('options', `-c search_path=${schema}`);
    dbUrl = u.toString();
  }
  const host = await bootHost({
    plugins,
    env: { NODE_ENV: 'production', LOG_LEVEL: 'silent', DATA_DIR: dataDir, MASTER_KEY: randomBytes(32).toString('base64'), ...(dbUrl ? { DATABASE_URL: dbUrl } : {}) },
  });
  const org = await createOrganisation(host.deps.db, { name: `Bench ${name}` });
  const { token } = await createApiToken(host.deps.db, { orgId: org.id, role: 'staff', name: 'bench' });
  const server = createApp(host.deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  return {
    name, host, server, token, timings: [],
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/sales`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await host.close();
      if (databaseUrl && schema) {
        const admin = knexFactory({ client: 'pg', connection: databaseUrl });
        await admin.raw(`DROP SCHEMA ${schema} CASCADE`);
        await admin.destroy();
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let saleNo = 0;
async function postSale(v: Variant): Promise<number> {
  saleNo += 1;
  const body = JSON.stringify({
    reference: `B-${saleNo}`,
    currency: 'GBP',
    customer: { name: `Customer ${saleNo % 50}`, email: `c${saleNo % 50}@example.com` },
    lines: [
      { description: 'Day pass', quantity: '1', unitPrice: '14.50', category: 'passes' },
      { description: 'Shoe hire', quantity: '2', unitPrice: '3.25', category: 'hire', discountRate: '10' },
    ],
    payments: [{ method: 'card_terminal', amount: '20.35', providerRef: `term_${saleNo}` }],
  });
  const started = process.hrtime.bigint();
  const res = await fetch(v.url, { method: 'POST', headers: { authorization: `Bearer ${v.token}`, 'content-type': 'application/json' }, body });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`${v.name}: POST /sales answered ${res.status}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

async function benchDatabase(label: string, databaseUrl: string | undefined): Promise<{ label: string; rows: string[]; ratioMedian: number; ratioP99: number }> {
  const plain = await startVariant('without plugin', [], databaseUrl);
  const withPlugin = await startVariant('with subscribing plugin', [subscribingPlugin], databaseUrl);
  try {
    for (const v of [plain, withPlugin]) for (let i = 0; i < WARMUP; i++) await postSale(v);
    const perRound = Math.ceil(SALES / ROUNDS);
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? [plain, withPlugin] : [withPlugin, plain];
      for (const v of order) for (let i = 0; i < perRound; i++) v.timings.push(await postSale(v));
    }
    const stats = [plain, withPlugin].map((v) => {
      const sorted = [...v.timings].sort((a, b) => a - b);
      return { name: v.name, n: sorted.length, median: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
    });
    const queued = (await withPlugin.host.deps.db('outbox').count({ n: '*' }))[0]!.n;
    const rows = stats.map((s) => `${label.padEnd(10)} ${s.name.padEnd(26)} ${String(s.n).padStart(6)} ${s.median.toFixed(2).padStart(10)} ${s.p99.toFixed(2).padStart(10)}`);
    rows.push(`${label.padEnd(10)} (outbox items written by the plugin: ${queued})`);
    return { label, rows, ratioMedian: stats[1]!.median / stats[0]!.median, ratioP99: stats[1]!.p99 / stats[0]!.p99 };
  } finally {
    await plain.close();
    await withPlugin.close();
  }
}

const results = [await benchDatabase('sqlite', undefined)];
if (process.env.BENCH_PG_URL) results.push(await benchDatabase('postgres', process.env.BENCH_PG_URL));

console.log(`POST /api/v1/sales, ${SALES} sales per variant after ${WARMUP} warm-up, sequential, keep-alive, ${ROUNDS} interleaved rounds`);
console.log(`${'database'.padEnd(10)} ${'variant'.padEnd(26)} ${'n'.padStart(6)} ${'median ms'.padStart(10)} ${'p99 ms'.padStart(10)}`);
for (const r of results) for (const row of r.rows) console.log(row);
for (const r of results) {
  console.log(`${r.label}: outbox cost on the sale path, with/without plugin: median ×${r.ratioMedian.toFixed(2)}, p99 ×${r.ratioP99.toFixed(2)}`);
}
