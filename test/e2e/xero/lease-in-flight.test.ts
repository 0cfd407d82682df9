// A Xero call still in flight when its outbox lease runs out (server/outbox/README.md, "Lease and calls in
// flight"). Worker A claims a batch of payments and sends it; the emulator STALLS the request before Xero
// processes it (a request on its way, or queued in Xero: nothing a look-up could find yet). A's lease
// passes; worker B starts, and a new payment arrives, so B's batch would differ from A's (another
// Idempotency-Key). Then the held request is let through. Xero must end with exactly one payment per
// payment. Before the fix, B took A's items over as soon as their lease expired, looked them up (their send
// marks were there), found nothing and sent them again: two payments each.
//   1. A slow call: A's process is alive, waiting on the request.
//   2. A frozen process: A is a worker PROCESS, stopped with SIGSTOP while its request is held; the request is
//      then processed by Xero, B takes over once the lease A took for the call has passed and adopts what
//      it finds, and A, continued (SIGCONT), finds its lease gone and changes nothing.
//   3. Invoices, as 1. Before the fix B took them over too, but Xero refuses a second invoice with the same
//      number, so there was one each all the same: payments are the case that showed the gap (Xero keeps
//      nothing else of theirs unique). SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { REPO_ROOT } from '../../support/processes';
import { TestScope } from '../../support/scope';
import { startOutboxWorkers, type OutboxWorkers } from '../../../server/outbox';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const here = dirname(fileURLToPath(import.meta.url));
const LEASE_MS = 2_000;
// Long enough that what the tests do while A's request is held (B's own batch included) fits in A's call, on a busy machine.
const HTTP_TIMEOUT_MS = 10_000;
const PAYMENTS_PUT = '^/api\\.xro/2\\.0/Payments$';
const INVOICES_PUT = '^/api\\.xro/2\\.0/Invoices$';
const PAYMENT = 'xero.payment.push';
const INVOICE = 'xero.invoice.push';

interface Row { id: number; status: string; lease_owner: string | null; attempts: number; updated_at: number | string }
interface XeroPayment { PaymentID: string; Reference: string; Amount: number; Invoice?: { InvoiceID: string } }

for (const kind of dbKinds()) {
  describe(`a Xero call in flight past its outbox lease (${kind})`, { timeout: 240_000 }, () => {
    let f: SyncFixture;
    // One per test: the runner aborts a test's signal when that test ends, which would end a shared scope.
    let scope = new TestScope();
    const scopes = [scope];
    const running: OutboxWorkers[] = [];
    let n = 0;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false, env: { XERO_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS) } });
    });
    after(async () => {
      await Promise.all(running.map((w) => w.stop()));
      for (const s of scopes) await s.close();
      await f?.close();
    });

    const db = () => f.x.host.deps.db;
    const emu = () => request(f.emu.url);
    const waitFor = async (what: string, ok: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> => {
      const deadline = Date.now() + timeoutMs;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        if (!(await scope.sleep(25))) throw new Error(`test ended waiting for ${what}`);
      }
    };
    const sell = async (): Promise<number> => (await f.sell({ currency: 'GBP', reference: `LEASE-${++n}`, customer: { name: `Lease Customer ${n}`, email: `lease${n}@example.com` },
      lines: [{ description: 'Climbing session', quantity: 1, unitPrice: '14.00', taxCode: 'OUTPUT2' }] })).id;
    /** A new sale's invoice item. */
    const invoiceItemOf = async (saleId: number): Promise<number> =>
      Number(((await db()('outbox').where({ type: INVOICE, subject: `xero:sale:${saleId}` }).first('id')) as { id: number | string }).id);
    /** Sales whose invoices are in Xero: a worker drains them, then stops. */
    const invoicedSales = async (count: number): Promise<number[]> => {
      const ids: number[] = [];
      for (let i = 0; i < count; i++) ids.push(await sell());
      f.startWorkers();
      await f.drained(40_000);
      await f.stopWorkers();
      return ids;
    };
    /** Part of the sale paid in cash: one payment item. */
    const payPart = async (saleId: number): Promise<number> => {
      const paymentId = (await f.pay(saleId, { method: 'cash', amount: '5.00' })).id;
      const item = await db()('outbox').where({ type: PAYMENT, subject: `xero:sale:${saleId}` }).orderBy('id', 'desc').first('id');
      assert.ok(item, `payment ${paymentId} queued`);
      return Number(item.id);
    };
    /** Until the item is due (a new item may wait out a short coalescing window): B's claim then takes it with A's. */
    const due = async (id: number) => waitFor('the new item to be due', async () =>
      Number(((await db()('outbox').where({ id }).first('available_at')) as { available_at: number | string }).available_at) <= Date.now());
    const rows = async (ids: number[]): Promise<Row[]> => (await db()('outbox').whereIn('id', ids).orderBy('id').select('id', 'status', 'lease_owner', 'attempts', 'updated_at')) as Row[];
    const allDone = (ids: number[]) => async () => (await rows(ids)).every((r) => r.status === 'done');
    const stalled = async () => ((await emu().get('/_emulator/faults/stalled').expect(200)).body as { stalled: number }).stalled;
    const paymentsBySale = async (saleIds: number[]): Promise<Map<number, XeroPayment[]>> => {
      const invoices = await db()('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice' }).whereIn('entity_id', saleIds).select('entity_id', 'xero_id');
      const payments = await f.books<XeroPayment>('payments');
      return new Map(invoices.map((inv: { entity_id: number | string; xero_id: string }) =>
        [Number(inv.entity_id), payments.filter((p) => p.Invoice?.InvoiceID === inv.xero_id)]));
    };
    const worker = (prefix: string, type = PAYMENT): OutboxWorkers => {
      const handler = f.x.host.deps.plugins.handlers.get(type)!;
      const w = startOutboxWorkers({
        db: db(), handlers: new Map([[type, handler]]), concurrency: 1, leaseMs: LEASE_MS, pollMs: 50,
        logger: f.x.host.deps.logger, notifier: f.x.host.notifier, workerIdPrefix: prefix,
      });
      running.push(w);
      return w;
    };
    const stop = async (w: OutboxWorkers) => {
      await w.stop();
      running.splice(running.indexOf(w), 1);
    };
    /** Until the lease A's claim took (claim time + lease) has passed: B could take the items over from then on. */
    const pastClaimLease = async (ids: number[]) => {
      const claimedAt = Math.max(...(await rows(ids)).map((r) => Number(r.updated_at)));
      await waitFor('the claim\'s lease to pass', async () => Date.now() > claimedAt + LEASE_MS + 50);
    };
    const assertOnePaymentEach = async (saleIds: number[]) => {
      const bySale = await paymentsBySale(saleIds);
      for (const saleId of saleIds) {
        const payments = bySale.get(saleId) ?? [];
        assert.equal(payments.length, 1, `sale ${saleId}: exactly one payment in Xero, found ${JSON.stringify(payments.map((p) => [p.Reference, p.Amount]))}`);
        assert.equal(payments[0]!.Amount, 5);
        const record = await db()('xero_records').where({ org_id: f.org.orgId, entity_type: 'payment', record_type: 'payment', xero_id: payments[0]!.PaymentID }).first('id');
        assert.ok(record, `sale ${saleId}: the payment Xero holds is the one recorded`);
      }
    };

    it('a slow call: A\'s payments are not taken over while its call may still land; exactly one payment each', async (t) => {
      scope = new TestScope().follow(t.signal);
      scopes.push(scope);
      const [s1, s2, s3] = await invoicedSales(3) as [number, number, number];
      await emu().post('/_emulator/faults').send({ path: PAYMENTS_PUT, method: 'PUT', kind: 'stall', count: 1, delayMs: 120_000 }).expect(201);
      const heldIds = [await payPart(s1), await payPart(s2)];
      const a = worker('A');
      await waitFor('A\'s PUT /Payments to be held', async () => (await stalled()) === 1);
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith('A:')), 'A holds both');
      await pastClaimLease(heldIds);
      // A new payment after A's claim: B's batch would be {1, 2, 3}, another Idempotency-Key than A's {1, 2}.
      const laterId = await payPart(s3);
      await due(laterId);
      worker('B');
      await waitFor('B to send the new payment', allDone([laterId]));
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith('A:')), `still A's: ${JSON.stringify(await rows(heldIds))}`);
      assert.equal(await stalled(), 1, 'A\'s request is still held');
      await emu().post('/_emulator/faults/release').expect(200);
      await waitFor('A\'s payments to be done', allDone(heldIds));
      await assertOnePaymentEach([s1, s2, s3]);
      const held = await rows(heldIds);
      assert.ok(held.every((r) => r.lease_owner?.startsWith('A:') && r.attempts === 1), `done by A, once: ${JSON.stringify(held)}`);
      await stop(a);
    });

    it('invoices, the same way: not taken over while A\'s call may still land; exactly one invoice per sale', async (t) => {
      scope = new TestScope().follow(t.signal);
      scopes.push(scope);
      for (const w of [...running]) await stop(w);
      await emu().delete('/_emulator/faults').expect(204);
      await emu().post('/_emulator/faults/release').expect(200);
      await emu().post('/_emulator/faults').send({ path: INVOICES_PUT, method: 'PUT', kind: 'stall', count: 1, delayMs: 120_000 }).expect(201);
      const [s1, s2] = [await sell(), await sell()];
      const heldIds = [await invoiceItemOf(s1), await invoiceItemOf(s2)];
      await due(heldIds[1]!);
      const a = worker('A', INVOICE);
      await waitFor('A\'s PUT /Invoices to be held', async () => (await stalled()) === 1);
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith('A:')), `A holds both: ${JSON.stringify(await rows(heldIds))}`);
      await pastClaimLease(heldIds);
      const s3 = await sell();
      const laterId = await invoiceItemOf(s3);
      await due(laterId);
      worker('B', INVOICE);
      await waitFor('B to send the new invoice', allDone([laterId]));
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith('A:')), `still A's: ${JSON.stringify(await rows(heldIds))}`);
      await emu().post('/_emulator/faults/release').expect(200);
      await waitFor('A\'s invoices to be done', allDone(heldIds));
      const invoices = await f.books<{ InvoiceID: string; InvoiceNumber: string }>('invoices');
      for (const saleId of [s1, s2, s3]) {
        const mine = invoices.filter((i) => i.InvoiceNumber === `LB-${saleId}`);
        assert.equal(mine.length, 1, `sale ${saleId}: exactly one invoice in Xero`);
        const record = await db()('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice', entity_id: saleId }).first('xero_id');
        assert.equal(record?.xero_id, mine[0]!.InvoiceID, `sale ${saleId}: the invoice Xero holds is the one recorded`);
      }
      assert.ok((await rows(heldIds)).every((r) => r.lease_owner?.startsWith('A:') && r.attempts === 1), 'done by A, once');
      await stop(a);
    });

    it('a frozen process (SIGSTOP) with its request held: B takes over only after the call\'s lease, adopts, and A changes nothing', async (t) => {
      scope = new TestScope().follow(t.signal);
      scopes.push(scope);
      // Whatever an earlier test left (it failed half way): no worker, no fault, no request held.
      for (const w of [...running]) await stop(w);
      await emu().delete('/_emulator/faults').expect(204);
      await emu().post('/_emulator/faults/release').expect(200);
      const [s1, s2, s3] = await invoicedSales(3) as [number, number, number];
      await emu().post('/_emulator/faults').send({ path: PAYMENTS_PUT, method: 'PUT', kind: 'stall', count: 1, delayMs: 120_000 }).expect(201);
      const a = await scope.spawn({
        id: `${kind}-frozen`, role: 'worker', entry: relative(REPO_ROOT, join(here, 'faultsWorker.ts')), readyMarker: 'READY',
        env: {
          WORKER_ID: `${kind}-frozen`, DATA_DIR: f.x.dataDir, DATABASE_URL: f.x.t.url, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
          XERO_API_URL: f.emu.url, XERO_IDENTITY_URL: f.emu.url, XERO_HTTP_TIMEOUT_MS: String(HTTP_TIMEOUT_MS),
          WORKER_CONCURRENCY: '1', OUTBOX_LEASE_MS: String(LEASE_MS), OUTBOX_POLL_MS: '50', PUBLIC_URL: 'http://books.test',
        },
      });
      await a.ready;
      const heldIds = [await payPart(s1), await payPart(s2)];
      await waitFor('A\'s PUT /Payments to be held', async () => (await stalled()) === 1);
      a.proc.kill('SIGSTOP');
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith(`${kind}-frozen:`)), 'the frozen process holds both');
      await pastClaimLease(heldIds);
      const laterId = await payPart(s3);
      await due(laterId);
      worker('B');
      await waitFor('B to send the new payment', allDone([laterId]));
      assert.ok((await rows(heldIds)).every((r) => r.status === 'leased' && r.lease_owner?.startsWith(`${kind}-frozen:`)), `not taken over yet: ${JSON.stringify(await rows(heldIds))}`);
      // Xero gets to A's request now; its answer waits in the socket of a process that is not running.
      await emu().post('/_emulator/faults/release').expect(200);
      await waitFor('B to take A\'s payments over once the call\'s lease has passed', allDone(heldIds), 60_000);
      const adopted = await db()('xero_audit').where({ action: 'adopted', entity_type: 'payment' }).whereIn('outbox_item_id', heldIds).select('outbox_item_id');
      assert.equal(adopted.length, 2, 'B found them in Xero and adopted them, sending nothing again');
      a.proc.kill('SIGCONT');
      await a.stop(20_000); // A records what it can (nothing: its lease is gone), then exits
      await assertOnePaymentEach([s1, s2, s3]);
      const held = await rows(heldIds);
      assert.ok(held.every((r) => r.status === 'done' && r.lease_owner?.startsWith('B:')), `done by B: ${JSON.stringify(held)}`);
    });
  });
}
