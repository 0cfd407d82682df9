// The crash suite (PostgreSQL only: several processes share one database, as in a scaled-out install).
// Two web and two worker processes (`server/main.ts`, PROCESS_ROLE=web / worker) run against one
// PostgreSQL and the Xero emulator while API clients send a mixed workload of sales, refunds and payments
// through the web processes — each request with an Idempotency-Key, retried (on any web process) until it
// gets an answer, as a real client would. Meanwhile web AND worker processes are killed with SIGKILL at
// random, CRASH_KILLS (50) times in all, and restarted. Then the workers drain the queue and the emulator's
// books must hold exactly one invoice per sale, one credit note per refund and one payment per payment:
// zero lost, zero duplicated; every acknowledged request exists once in the database, and nothing else.
//
// Scaled for CI: Xero's per-minute limit raised in the emulator and in the plugin's rate budget (as the
// fault test does), outbox leases of 8 s (a killed worker's items come back after that; shorter leases made busy Xero calls abort and back off).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createApiToken } from '../../server/auth/apiTokens';
import { RateBudget, tenantKeyOf } from '../../plugins/xero/engine/rateBudget';
import { startSyncFixture, type SyncFixture } from '../e2e/xero/syncFixture';
import type { AppProcess, ProcessRole } from '../support/processes';
import { TestScope } from '../support/scope';

const KILLS = Number(process.env.CRASH_KILLS ?? 50);
const CLIENTS = 4;
const SYNC_TYPES = ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push'];
// Measured on the 2-core machine: 92 s alone, 111 s beside the fault suite (both on PostgreSQL); a CI run
// once took 232 s. The budget is over twice the slowest figure; a timeout still ends every loop and
// process at once (TestScope), so a slow run fails in minutes instead of holding CI until its watchdog.
const BUDGET_MS = Number(process.env.CRASH_BUDGET_MS ?? 480_000);
const DRAIN_MS = 180_000;
const pick = <T>(xs: T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];

describe('crash suite: kill -9 web and worker processes during a mixed workload (pg)', { skip: process.env.TEST_PG_URL ? false : 'needs TEST_PG_URL (PostgreSQL only)' }, () => {
  let f: SyncFixture;
  let token: string;
  const scope = new TestScope();
  const processes: AppProcess[] = [];
  let serial = 0;

  const childEnv = () => ({
    DATABASE_URL: f.x.t.url, DATA_DIR: f.x.dataDir, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
    SESSION_SECRET: 'xero-tests-session-secret-0123456789abcdef', XERO_API_URL: f.emu.url, XERO_IDENTITY_URL: f.emu.url,
    XERO_HTTP_TIMEOUT_MS: '2000', WORKER_CONCURRENCY: '2', OUTBOX_LEASE_MS: '8000', OUTBOX_POLL_MS: '200',
    PUBLIC_URL: 'http://books.test', DATABASE_POOL_MAX: '4',
  });
  const start = async (role: ProcessRole) => {
    const p = await scope.spawn({ id: `${role}-${serial++}`, role, env: childEnv() });
    processes.push(p);
    return p;
  };
  const live = (role?: ProcessRole) => processes.filter((p) => p.alive && p.isReady && (!role || p.role === role));

  before(async () => {
    f = await startSyncFixture('pg', { workers: false });
    await request(f.emu.url).post('/_emulator/limits').send({ perMinute: 100_000, perDay: 10_000_000 }).expect(200);
    await new RateBudget({ db: f.x.ctx.db }).setLimits(tenantKeyOf(f.org.orgId, f.tenantId), { perMinute: 100_000, perDay: 10_000_000 });
    token = (await createApiToken(f.x.host.deps.db, { orgId: f.org.orgId, role: 'staff', name: 'crash suite' })).token;
  });
  after(async () => {
    await scope.close();
    await f?.close();
  });

  it(`${KILLS} kills of web and worker processes: every sale, refund and payment in Xero exactly once`, { timeout: BUDGET_MS }, async (t) => {
    scope.follow(t.signal);
    const t0 = Date.now();
    await Promise.all([start('web'), start('web'), start('worker'), start('worker')].map(async (p) => (await p).ready));

    /** One API request, retried with the same Idempotency-Key on any live web process until it is answered. */
    let retries = 0;
    const call = async (path: string, body: object): Promise<{ status: number; body: Record<string, unknown> } | null> => {
      const key = randomUUID();
      while (scope.active) {
        const web = pick(live('web'));
        if (!web) { await scope.sleep(100); continue; }
        try {
          const res = await fetch(`${web.url}${path}`, {
            method: 'POST', body: JSON.stringify(body), signal: scope.requestSignal(10_000),
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}`, 'Idempotency-Key': key },
          });
          if (res.status < 500) return { status: res.status, body: (await res.json()) as Record<string, unknown> };
        } catch {
          // The process died under the request (or is dying): did it commit? The key makes the retry safe.
        }
        retries++;
        await scope.sleep(50);
      }
      return null; // the test ended (timed out) under this request
    };

    const sales: { id: number; refunds: number; payments: number }[] = [];
    const refundIds: number[] = [];
    const paymentIds: number[] = [];
    let stop = false;
    let n = 0;
    const client = async () => {
      while (!stop && scope.active) {
        const roll = Math.random();
        const open = sales.filter((s) => s.refunds + s.payments < 3);
        const sale = pick(open);
        if (roll < 0.5 || !sale) {
          const i = n++;
          const res = await call('/api/v1/sales', {
            currency: 'GBP', reference: `crash-${i}`,
            customer: { name: `Crash Customer ${i % 25}`, email: `crash${i % 25}@example.com` },
            lines: [{ description: `Session ${i}`, quantity: 1, unitPrice: '20.00', taxCode: 'OUTPUT2' }],
          });
          if (!res) return;
          assert.equal(res.status, 201, JSON.stringify(res.body));
          sales.push({ id: Number(res.body.id), refunds: 0, payments: 0 });
        } else if (roll < 0.75) {
          sale.refunds++;
          const res = await call(`/api/v1/sales/${sale.id}/refunds`, { kind: 'amount', amount: '2.00', method: 'stripe' });
          if (!res) return;
          assert.equal(res.status, 201, JSON.stringify(res.body));
          refundIds.push(Number((res.body.refund as { id: number }).id));
        } else {
          sale.payments++;
          const res = await call(`/api/v1/sales/${sale.id}/payments`, { method: 'cash', amount: '3.00' });
          if (!res) return;
          assert.equal(res.status, 201, JSON.stringify(res.body));
          paymentIds.push(Number((res.body.payment as { id: number }).id));
        }
      }
    };

    const killed = { web: 0, worker: 0 };
    const killer = async () => {
      while (killed.web + killed.worker < KILLS && scope.active) {
        if (!(await scope.sleep(300 + Math.random() * 600))) return;
        // Any ready process, web or worker, except the last ready web process (so the desk keeps selling
        // between kills; the workers may all be down at once: their work waits in the outbox).
        const victim = pick(live().filter((p) => p.role === 'worker' || live('web').length > 1));
        if (!victim) continue;
        await victim.kill9();
        killed[victim.role]++;
        // A restart that fails because the scope ended (the test timed out) is not news.
        start(victim.role).catch(() => undefined);
      }
    };

    const clients = Array.from({ length: CLIENTS }, () => client());
    await killer();
    stop = true;
    await Promise.all(clients);
    const workloadMs = Date.now() - t0;

    // Drain: the surviving (restarted) workers finish everything, including the killed ones' leases.
    await Promise.all(processes.filter((p) => p.alive).map((p) => p.ready));
    if (live('worker').length === 0) await (await start('worker')).ready;
    const db = f.x.host.deps.db;
    const notDone = async () => Number(((await db('outbox').where({ org_id: f.org.orgId }).whereIn('type', SYNC_TYPES).whereNot('status', 'done').count({ n: '*' })) as { n: string }[])[0]!.n);
    const deadline = Date.now() + DRAIN_MS;
    while ((await notDone()) > 0) {
      scope.signal.throwIfAborted();
      if (Date.now() > deadline) {
        const stuck = await db('outbox').where({ org_id: f.org.orgId }).whereNot('status', 'done').select('id', 'type', 'status', 'attempts', 'last_error').limit(10);
        assert.fail(`the queue did not drain: ${JSON.stringify(stuck)}`);
      }
      await scope.sleep(250);
    }
    const drainMs = Date.now() - t0 - workloadMs;

    // Every acknowledged request exists exactly once in the database, and nothing else does.
    const dbSales = (await db('sales').where({ org_id: f.org.orgId }).pluck('id')).map(Number).sort((a, b) => a - b);
    assert.deepEqual(dbSales, sales.map((s) => s.id).sort((a, b) => a - b), 'the database holds exactly the acknowledged sales');
    assert.equal(new Set(sales.map((s) => s.id)).size, sales.length);
    assert.deepEqual((await db('refunds').where({ org_id: f.org.orgId }).pluck('id')).map(Number).sort((a, b) => a - b), [...refundIds].sort((a, b) => a - b));
    // Payments: the acknowledged ones only (sales carry none at the desk here).
    assert.deepEqual((await db('payments').where({ org_id: f.org.orgId }).pluck('id')).map(Number).sort((a, b) => a - b), [...paymentIds].sort((a, b) => a - b));

    // Xero: exactly one of each, nothing more.
    type Doc = Record<string, unknown>;
    const countBy = (docs: Doc[], key: (d: Doc) => string | undefined) => {
      const m = new Map<string, number>();
      for (const d of docs) { const k = key(d); if (k) m.set(k, (m.get(k) ?? 0) + 1); }
      return m;
    };
    const invoices = countBy(await f.books('invoices'), (d) => d.InvoiceNumber as string);
    const notes = countBy(await f.books('creditnotes'), (d) => d.CreditNoteNumber as string);
    const payments = countBy((await f.books('payments')).filter((p) => p.Status !== 'DELETED' && p.Invoice), (d) => String(d.Reference ?? '').split(' ')[0]);
    assert.deepEqual(sales.filter((s) => invoices.get(`LB-${s.id}`) !== 1).map((s) => s.id), [], 'one invoice per sale');
    assert.deepEqual(refundIds.filter((id) => notes.get(`LB-R-${id}`) !== 1), [], 'one credit note per refund');
    assert.deepEqual(paymentIds.filter((id) => payments.get(`LB-P-${id}`) !== 1), [], 'one payment per payment');
    assert.equal([...invoices.keys()].filter((k) => k.startsWith('LB-')).length, sales.length, 'no stray invoices');
    assert.equal([...notes.keys()].filter((k) => k.startsWith('LB-R-')).length, refundIds.length, 'no stray credit notes');
    assert.equal([...payments.keys()].filter((k) => k.startsWith('LB-P-')).length, paymentIds.length, 'no stray payments');
    const dead = await db('outbox').where({ org_id: f.org.orgId }).whereIn('status', ['dead', 'paused']).count({ n: '*' });
    assert.equal(Number((dead as { n: string }[])[0]!.n), 0, 'nothing dead or paused');
    assert.equal(killed.web + killed.worker, KILLS);
    assert.ok(killed.web > 0 && killed.worker > 0, `both kinds killed: ${JSON.stringify(killed)}`);
    console.log(`    ${sales.length} sales, ${refundIds.length} refunds, ${paymentIds.length} payments through ${serial} processes; ` +
      `${killed.web} web + ${killed.worker} worker kills in ${workloadMs} ms (${retries} client retries); drained ${drainMs} ms later`);
  });
});
