// Deposits posted in batches across sales (plugins/xero/sync/deposits/prepayments.ts) keep every guarantee,
// over HTTP against the Xero emulator, on SQLite and PostgreSQL:
//  - one PUT /BankTransactions carries the batch's prepayments; Xero refusing one element fails only that
//    sale's deposit, with Xero's reason, and the others are created and recorded; after the fix, a retry
//    sends only the refused one (a refused element is a definite answer: no look-up first);
//  - a worker killed (SIGKILL) after the batch's request landed in Xero and before anything was recorded:
//    the next worker looks the deposits up by Reference and adopts them; nothing is sent twice;
//  - allocations go without reading the invoice first; when the accountant paid part of it in Xero
//    meanwhile, Xero refuses the allocation above what it owes, and the push reads it and allocates that.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { REPO_ROOT, type AppProcess } from '../../support/processes';
import { TestScope } from '../../support/scope';
import { londonDay, until } from '../../support/wait';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';

const DAY = 86_400_000;
const here = dirname(fileURLToPath(import.meta.url));

interface Call { seq: number; method: string; url: string; status: number; body: string | null }
interface XeroBankTransactionJson { Type: string; Reference: string; Total: number; PrepaymentID?: string }
interface XeroPrepaymentJson { PrepaymentID: string; RemainingCredit: number }
interface XeroInvoiceJson { InvoiceID: string; InvoiceNumber: string; Total: number; AmountDue: number; Status: string }

for (const kind of dbKinds()) {
  describe(`deposits in batches (${kind})`, { timeout: 240_000 }, () => {
    let f: SyncFixture;
    const scope = new TestScope();
    let n = 0;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
    });
    after(async () => {
      await scope.close();
      await f?.close();
    });

    const db = () => f.x.host.deps.db;
    const calls = async () => (await request(f.emu.url).get('/_emulator/calls')).body as Call[];
    const lastSeq = async () => (await calls()).at(-1)?.seq ?? 0;
    const prepaymentPuts = (cs: Call[]) => cs.filter((c) => c.method === 'PUT' && /\/BankTransactions(\?|$)/.test(c.url));
    const lookups = (cs: Call[]) => cs.filter((c) => c.method === 'GET' && /\/BankTransactions\?/.test(c.url));
    const elementsOf = (c: Call) => ((JSON.parse(c.body ?? '{}') as { BankTransactions?: { Reference: string }[] }).BankTransactions ?? []).map((t) => t.Reference);
    const receipts = async (paymentIds: number[]) => (await f.books<XeroBankTransactionJson>('banktransactions'))
      .filter((t) => t.Type === 'RECEIVE-PREPAYMENT' && paymentIds.some((id) => t.Reference === `LB-P-${id}`));
    const syncOf = (paymentId: number) => db()('sync_records').where({ entity_type: 'payment', entity_id: paymentId, record_type: 'prepayment' }).first();
    const itemsOf = async (saleIds: number[]) => (await db()('outbox').where({ type: 'xero.deposit.push' }).whereIn('subject', saleIds.map((id) => `xero:deposits:${id}`))
      .select('id', 'subject', 'status', 'attempts', 'last_error')) as { id: number; subject: string; status: string; attempts: number; last_error: string | null }[];
    const settled = (saleIds: number[]) => until('the deposit items to settle', async () => (await itemsOf(saleIds)).every((i) => i.status === 'done' || i.status === 'dead'), 60_000);

    /** Bookings for next month (their invoices wait), each by a customer Xero does not know yet, each with one deposit. */
    async function bookWithDeposits(methods: string[]): Promise<{ saleIds: number[]; paymentIds: number[] }> {
      const serviceDate = londonDay(Date.now() + 40 * DAY);
      const saleIds: number[] = [];
      const paymentIds: number[] = [];
      for (const [i, method] of methods.entries()) {
        const sale = await f.sell({ currency: 'GBP', customer: { name: `Batch Booker ${kind} ${++n}` }, serviceDate, lines: [{ description: 'Climbing course', quantity: 1, unitPrice: '90.00', taxCode: 'OUTPUT2' }] });
        saleIds.push(sale.id);
        paymentIds.push((await f.pay(sale.id, { method, amount: `${10 * (i + 1)}.00` })).id);
      }
      // A backlog: each deposit was queued in its own short window (sync/coalesce.ts); all are due now.
      await db()('outbox').where({ type: 'xero.deposit.push', status: 'pending' }).whereIn('subject', saleIds.map((id) => `xero:deposits:${id}`)).update({ available_at: Date.now() });
      return { saleIds, paymentIds };
    }

    it('one PUT carries the batch; the element Xero refuses fails only its own sale, with Xero\'s reason; the retry sends only that one', async () => {
      // Cash mapped to a revenue account: Xero takes a prepayment only into a bank account.
      await setMappings(f.x, f.org.orgId, [{ kind: 'method_account', key: 'cash', value: '200' }]);
      const { saleIds, paymentIds } = await bookWithDeposits(['card_terminal', 'cash', 'card_terminal']);
      const [card1, cash, card2] = paymentIds as [number, number, number];
      const since = await lastSeq();
      f.startWorkers({ concurrency: 1 });
      try {
        await settled(saleIds);
      } finally {
        await f.stopWorkers();
      }
      const made = (await calls()).filter((c) => c.seq > since);
      assert.equal(prepaymentPuts(made).length, 1, `one call for the batch: ${made.map((c) => `${c.method} ${c.url}`).join(', ')}`);
      assert.deepEqual(elementsOf(prepaymentPuts(made)[0]!), paymentIds.map((id) => `LB-P-${id}`), 'the three deposits in it');
      assert.match(prepaymentPuts(made)[0]!.url, /summarizeErrors=false/);
      assert.equal(made.filter((c) => c.method === 'PUT' && /\/Contacts/.test(c.url)).length, 1, 'the three new customers created in one call');
      assert.equal(made.filter((c) => c.method === 'GET' && /\/Contacts/.test(c.url)).length, 1, 'and looked up in one');

      const inXero = await receipts(paymentIds);
      assert.deepEqual(inXero.map((t) => [t.Reference, t.Total]).sort(), [[`LB-P-${card1}`, 10], [`LB-P-${card2}`, 30]]);
      const prepayments = await f.books<XeroPrepaymentJson>('prepayments');
      assert.deepEqual(inXero.map((t) => prepayments.find((p) => p.PrepaymentID === t.PrepaymentID)?.RemainingCredit).sort(), [10, 30]);
      for (const id of [card1, card2]) assert.equal((await syncOf(id))?.status, 'synced', `deposit ${id} recorded`);
      const refused = await syncOf(cash);
      assert.equal(refused?.status, 'failed');
      assert.match(String(refused?.error), /A valid, active BankAccount of type BANK must be specified/, "Xero's own reason");
      assert.match(String(refused?.error), new RegExp(`deposit ${cash}`));
      const items = await itemsOf(saleIds);
      assert.deepEqual(items.map((i) => [i.subject, i.status]).sort(), [[`xero:deposits:${saleIds[0]}`, 'done'], [`xero:deposits:${saleIds[1]}`, 'dead'], [`xero:deposits:${saleIds[2]}`, 'done']].sort());
      assert.deepEqual(await db()('xero_send_marks').whereIn('outbox_item_id', items.map((i) => i.id)).select('step'), [], 'Xero answered every element: no mark left');

      // The admin fixes the mapping and retries the failed one: only its deposit is sent, without a look-up.
      await setMappings(f.x, f.org.orgId, [{ kind: 'method_account', key: 'cash', value: '091' }]);
      const again = await lastSeq();
      await f.x.ctx.outbox.retry(db(), { ids: items.filter((i) => i.status === 'dead').map((i) => Number(i.id)) });
      f.startWorkers({ concurrency: 1 });
      try {
        await until('the refused deposit to be in Xero', async () => (await syncOf(cash))?.status === 'synced', 60_000);
        await settled(saleIds);
      } finally {
        await f.stopWorkers();
      }
      const retried = (await calls()).filter((c) => c.seq > again);
      assert.deepEqual(prepaymentPuts(retried).map(elementsOf), [[`LB-P-${cash}`]], 'only the refused deposit, once');
      assert.equal(lookups(retried).length, 0, 'a refused element was a definite answer: no look-up');
      const all = await receipts(paymentIds);
      assert.deepEqual(all.map((t) => t.Reference).sort(), paymentIds.map((id) => `LB-P-${id}`).sort(), 'one prepayment per deposit');
    });

    it('allocations read no invoice; one the accountant paid in part in Xero meanwhile is refused above what it owes, read, and allocated that', async () => {
      const { saleIds: [untouched, paidInXero], paymentIds: [untouchedDeposit, paidDeposit] } = await bookWithDeposits(['card_terminal', 'card_terminal']) as { saleIds: [number, number]; paymentIds: [number, number] };
      f.startWorkers({ concurrency: 1 });
      try {
        await settled([untouched, paidInXero]);
      } finally {
        await f.stopWorkers();
      }
      // The invoices are dated on the sale day now: they post at once, and queue their deposits' allocations.
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'sale_date' }]);
      const invoiceItems = db()('outbox').where({ type: 'xero.invoice.push' }).whereIn('subject', [untouched, paidInXero].map((id) => `xero:sale:${id}`));
      await invoiceItems.clone().update({ available_at: Date.now() });
      const all = f.x.host.deps.plugins.handlers;
      f.startWorkers({ concurrency: 1, handlers: new Map([...all].filter(([type]) => type === 'xero.invoice.push')) });
      try {
        await until('the invoices to be posted', async () => (await invoiceItems.clone().select('status')).every((i: { status: string }) => i.status === 'done'), 60_000);
      } finally {
        await f.stopWorkers();
        await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
      }
      const invoiceOf = async (saleId: number) => (await f.books<XeroInvoiceJson>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`)!;
      const changed = await invoiceOf(paidInXero);
      // The accountant records 75.00 of the 90.00 in Xero, with their own app: 15.00 is left, less than the 20.00 deposit.
      const custom = (await request(f.emu.url).post('/_emulator/apps').send({ type: 'custom', tenantId: f.tenantId, name: 'Accountant tools' }).expect(201)).body as { clientId: string; clientSecret: string };
      const token = await request(f.emu.url).post('/connect/token').auth(custom.clientId, custom.clientSecret).type('form').send({ grant_type: 'client_credentials' }).expect(200);
      const accounts = (await request(f.emu.url).get(`/_emulator/tenants/${f.tenantId}/accounts`).expect(200)).body.items as { Code?: string; AccountID: string }[];
      const paid = await request(f.emu.url).put('/api.xro/2.0/Payments').set('Authorization', `Bearer ${token.body.access_token as string}`).set('Accept', 'application/json')
        .send({ Payments: [{ Invoice: { InvoiceID: changed.InvoiceID }, Account: { AccountID: accounts.find((a) => a.Code === '090')!.AccountID }, Amount: 75, Date: new Date().toISOString().slice(0, 10), Reference: 'paid by phone' }] });
      assert.equal(paid.status, 200, paid.text);

      const since = await lastSeq();
      f.startWorkers({ concurrency: 1 });
      try {
        await until('both deposits allocated', async () => {
          for (const id of [untouchedDeposit, paidDeposit]) if (!/allocated to the invoice/.test(String((await syncOf(id))?.note))) return false;
          return true;
        }, 60_000);
        await settled([untouched, paidInXero]);
      } finally {
        await f.stopWorkers();
      }
      const made = (await calls()).filter((c) => c.seq > since);
      const reads = made.filter((c) => c.method === 'GET' && /\/Invoices\?/.test(c.url) && /IDs=/.test(c.url));
      assert.equal(reads.length, 1, `the changed invoice read once, the other not at all: ${made.map((c) => `${c.method} ${c.url}`).join(', ')}`);
      assert.ok(reads[0]!.url.toLowerCase().includes(changed.InvoiceID.toLowerCase()));
      const puts = made.filter((c) => c.method === 'PUT' && /\/Prepayments\/.*\/Allocations/.test(c.url)).map((c) => (JSON.parse(c.body ?? '{}') as { Allocations: { Amount: number }[] }).Allocations[0]!.Amount);
      assert.deepEqual(puts.sort((a, b) => a - b), [10, 15, 20], 'the untouched one in full (10.00); 20.00 refused, then the 15.00 the invoice owes');
      assert.deepEqual([(await invoiceOf(untouched)).AmountDue, (await invoiceOf(paidInXero)).AmountDue, (await invoiceOf(paidInXero)).Status], [80, 0, 'PAID']);
      const prepayments = await f.books<XeroPrepaymentJson>('prepayments');
      const receipt = (await receipts([paidDeposit]))[0]!;
      assert.equal(prepayments.find((p) => p.PrepaymentID === receipt.PrepaymentID)?.RemainingCredit, 5, "the rest stays as the customer's credit");
      assert.match(String((await syncOf(paidDeposit))?.note), new RegExp(`15.00 GBP allocated to the invoice LB-${paidInXero}`));
      assert.match(String((await syncOf(untouchedDeposit))?.note), new RegExp(`10.00 GBP allocated to the invoice LB-${untouched}`));
    });

    it('a worker killed after the batch landed in Xero and before it was recorded: the next one adopts every deposit by Reference, none sent twice', async () => {
      const spawnWorker = async (id: string, timeoutMs: number): Promise<AppProcess> => {
        const worker = await scope.spawn({
          id, role: 'worker', entry: relative(REPO_ROOT, join(here, 'faultsWorker.ts')), readyMarker: 'READY',
          env: {
            WORKER_ID: id, DATA_DIR: f.x.dataDir, DATABASE_URL: f.x.t.url, MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
            XERO_API_URL: f.emu.url, XERO_IDENTITY_URL: f.emu.url, XERO_HTTP_TIMEOUT_MS: String(timeoutMs),
            WORKER_CONCURRENCY: '1', OUTBOX_LEASE_MS: '8000', OUTBOX_POLL_MS: '200', PUBLIC_URL: 'http://books.test',
          },
        });
        await worker.ready;
        return worker;
      };
      const { saleIds, paymentIds } = await bookWithDeposits(['card_terminal', 'cash', 'card_terminal']);
      // Xero takes the batch at once and answers it late: long enough to kill the worker waiting for the answer.
      const fault = await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/BankTransactions', method: 'PUT', kind: 'slow', delayMs: 30_000, count: 1 }).expect(201);
      const since = await lastSeq();
      // Its timeout outlasts the wait for the batch to land and the kill, no more: a worker that dies with a
      // request on its way keeps the items for 5 s + twice its timeout (server/outbox/README.md, "Lease and calls
      // in flight"), 35 s here, before the next worker may take them over and look them up.
      const first = await spawnWorker(`${kind}-deposits-w0`, 15_000);
      await until('the batch to land in Xero', async () => (await receipts(paymentIds)).length === paymentIds.length, 60_000);
      const items = await itemsOf(saleIds);
      assert.equal((await db()('xero_records').where({ entity_type: 'payment', record_type: 'prepayment' }).whereIn('entity_id', paymentIds)).length, 0, 'nothing recorded yet');
      assert.equal((await db()('xero_send_marks').whereIn('outbox_item_id', items.map((i) => i.id)).andWhere({ step: 'prepayment' })).length, 3, 'each item marked before the send');
      await first.kill9();
      await request(f.emu.url).delete(`/_emulator/faults/${fault.body.id}`);

      const second = await spawnWorker(`${kind}-deposits-w1`, 5_000);
      try {
        await until('the deposits to be adopted', async () => {
          for (const id of paymentIds) if ((await syncOf(id))?.status !== 'synced') return false;
          return true;
        }, 90_000);
        await settled(saleIds);
      } finally {
        await second.stop();
      }
      const made = (await calls()).filter((c) => c.seq > since);
      assert.equal(prepaymentPuts(made).length, 1, `sent once: ${made.map((c) => `${c.method} ${c.url} ${c.status}`).join(', ')}`);
      assert.ok(lookups(made).length >= 1, 'looked up by Reference after the crash');
      const inXero = await receipts(paymentIds);
      assert.equal(inXero.length, 3);
      assert.equal(new Set(inXero.map((t) => t.Reference)).size, 3, 'one prepayment per deposit');
      const adopted = await db()('xero_audit').where({ entity_type: 'payment', record_type: 'prepayment', action: 'adopted' }).whereIn('entity_id', paymentIds);
      assert.equal(adopted.length, 3);
      const recorded = await db()('xero_records').where({ entity_type: 'payment', record_type: 'prepayment' }).whereIn('entity_id', paymentIds).select('entity_id', 'xero_id');
      assert.deepEqual(recorded.map((r) => String(r.xero_id).toLowerCase()).sort(), inXero.map((t) => String(t.PrepaymentID).toLowerCase()).sort(), 'the prepayments Xero holds');
      assert.deepEqual(await db()('xero_send_marks').whereIn('outbox_item_id', items.map((i) => i.id)).select('step'), []);
    });
  });
}
