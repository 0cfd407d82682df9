// A refund's credit note is three steps in Xero — the note, its allocation to the invoice, the refund payment —
// and a retry resumes at the step it reached (plugins/xero/sync/creditNotes/): it never creates the note
// again, and it looks the note up in Xero only when a step's request may have landed unanswered (a 5xx or a
// timeout), not after a definite refusal. Faults injected through the emulator's /_emulator/faults; calls
// counted from its call log; the books read back. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from './syncFixture';

interface Call { seq: number; method: string; url: string; status: number; body: string | null }
type Doc = Record<string, unknown> & { CreditNoteNumber?: string; Status?: string; RemainingCredit?: number };

const sale = (n: number) => ({
  currency: 'GBP',
  reference: `CR-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Resume Customer ${n}`, email: `resume${n}@example.com` },
  lines: [{ description: 'Course', quantity: 1, unitPrice: '40.00', taxCode: 'OUTPUT2' }],
});

const ALLOCATIONS = '^/api\\.xro/2\\.0/CreditNotes/[^/]+/Allocations$';
const pathOf = (c: Call) => new URL(c.url).pathname;

for (const kind of dbKinds()) {
  describe(`Xero credit note resume (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let n = 0;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    const lastSeq = async () => ((await request(f.emu.url).get('/_emulator/calls')).body as Call[]).at(-1)?.seq ?? 0;
    const callsSince = async (seq: number) => ((await request(f.emu.url).get('/_emulator/calls')).body as Call[]).filter((c) => c.seq > seq);
    const fault = async (rule: Record<string, unknown>) => request(f.emu.url).post('/_emulator/faults').send({ count: 1, ...rule }).expect(201);
    const count = (calls: Call[], method: string, path: RegExp, status?: number) =>
      calls.filter((c) => c.method === method && path.test(pathOf(c)) && (status === undefined || c.status === status)).length;
    const noteOf = async (refundId: number) => (await f.books<Doc>('creditnotes')).filter((x) => x.CreditNoteNumber === `LB-R-${refundId}`);
    const itemOf = async (refundId: number) => f.x.host.deps.db('outbox').where({ type: 'xero.creditnote.push', dedupe_key: `xero:creditnote:${refundId}` }).first('status', 'attempts') as Promise<{ status: string; attempts: number }>;

    /** A synced sale (and its payment, if any), then a refund pushed under the fault `rule`; the calls the refund made. */
    async function refundUnder(rule: Record<string, unknown>, opts: { paid?: boolean; method?: string; amount: string }) {
      const s = await f.sell(sale(++n));
      if (opts.paid) await f.pay(s.id, { method: 'cash', amount: '40.00' });
      await f.drained();
      await fault(rule);
      const since = await lastSeq();
      const r = await f.refund(s.id, { kind: 'amount', amount: opts.amount, ...(opts.method ? { method: opts.method } : {}) });
      await f.drained(40_000);
      return { saleId: s.id, refundId: r.id, calls: await callsSince(since) };
    }

    it('allocation answered 503 (may have landed): the retry looks the note up, allocates once, never re-creates the note', async () => {
      const { refundId, calls } = await refundUnder({ path: ALLOCATIONS, method: 'PUT', kind: '503', delayMs: 500 }, { amount: '10.00' });
      assert.equal((await itemOf(refundId)).attempts, 2);
      assert.equal(count(calls, 'PUT', /\/CreditNotes$/), 1, 'the note was created once');
      assert.equal(count(calls, 'GET', /\/CreditNotes$/), 1, 'one look-up: the 503 may have landed');
      assert.equal(count(calls, 'PUT', /\/Allocations$/, 503), 1);
      assert.equal(count(calls, 'PUT', /\/Allocations$/, 200), 1);
      const notes = await noteOf(refundId);
      assert.equal(notes.length, 1);
      assert.deepEqual((notes[0]!.Allocations as { Amount: number }[]).map((a) => a.Amount), [10]);
      assert.equal(notes[0]!.Status, 'PAID');
    });

    it('allocation refused with 429 (nothing landed): the retry goes straight to the allocation, no look-up', async () => {
      const { refundId, calls } = await refundUnder({ path: ALLOCATIONS, method: 'PUT', kind: '429', delayMs: 1_000 }, { amount: '12.00' });
      assert.equal((await itemOf(refundId)).attempts, 2);
      assert.equal(count(calls, 'PUT', /\/CreditNotes$/), 1, 'the note was created once');
      assert.equal(count(calls, 'GET', /\/CreditNotes$/), 0, 'no look-up after a definite refusal');
      assert.equal(count(calls, 'PUT', /\/Allocations$/, 200), 1);
      const notes = await noteOf(refundId);
      assert.deepEqual((notes[0]!.Allocations as { Amount: number }[]).map((a) => a.Amount), [12]);
    });

    it('refund payment timed out after it landed: the retry finds it on the note and pays nothing twice, without re-reading the invoice', async () => {
      const { refundId, calls } = await refundUnder({ path: '/api.xro/2.0/Payments', method: 'PUT', kind: 'timeout', landed: true, delayMs: 300 }, { paid: true, method: 'cash', amount: '15.00' });
      assert.equal((await itemOf(refundId)).attempts, 2);
      const refundPuts = calls.filter((c) => c.method === 'PUT' && pathOf(c) === '/api.xro/2.0/Payments' && (c.body ?? '').includes(`LB-R-${refundId}`));
      assert.equal(refundPuts.length, 1, 'the refund payment was sent once');
      assert.equal(count(calls, 'PUT', /\/CreditNotes$/), 1);
      assert.equal(count(calls, 'GET', /\/CreditNotes$/), 1, 'one look-up: the payment may have landed');
      assert.equal(count(calls, 'GET', /\/Invoices$/), 1, 'the invoice read once, on the first attempt (its allocation step was recorded)');
      const payments = (await f.books<Doc>('payments')).filter((p) => String(p.Reference ?? '').startsWith(`LB-R-${refundId}`));
      assert.deepEqual(payments.map((p) => p.Amount), [15]);
      const notes = await noteOf(refundId);
      assert.equal(notes.length, 1);
      assert.equal(notes[0]!.Status, 'PAID');
      assert.equal((await f.x.host.deps.db('xero_send_marks').count({ n: '*' }))[0]!.n, 0, 'no marks once done');
    });

    it('a retry after the allocation was recorded takes its amount from the record, not from the note: the rest stays as credit', async () => {
      const db = f.x.host.deps.db;
      const s = await f.sell(sale(++n));
      await f.pay(s.id, { method: 'cash', amount: '30.00' });
      await f.drained();
      const r = await f.refund(s.id, { kind: 'amount', amount: '15.00' }); // no method: £10.00 allocated, £5.00 kept
      await f.drained(40_000);
      const records = db('xero_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: r.id });
      const allocation = await records.clone().where({ record_type: 'allocation' }).first();
      assert.deepEqual([allocation.status, Number(allocation.amount_cents)], ['ALLOCATED', 1000]);
      // As if the attempt had stopped right after the allocation: the credit kept on the note not recorded, the
      // item not done. The note beside the amount is text for people: nothing reads a number from it.
      await records.clone().where({ record_type: 'refund_payment' }).del();
      await db('xero_records').where({ id: allocation.id }).update({ note: 'allocated by an earlier attempt' });
      await db('sync_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: r.id }).update({ error: null });
      const since = await lastSeq();
      await db('outbox').where({ type: 'xero.creditnote.push', dedupe_key: `xero:creditnote:${r.id}` }).update({ status: 'pending', available_at: Date.now(), done_at: null });
      await f.drained(40_000);
      const calls = await callsSince(since);
      assert.equal(count(calls, 'PUT', /./), 0, 'nothing sent again');
      assert.equal(count(calls, 'GET', /\/CreditNotes$/), 0, 'no look-up: nothing was sent unanswered');
      const state = await db('sync_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: r.id }).first('status', 'error');
      assert.equal(state.status, 'synced');
      assert.match(String(state.error), /^5\.00 GBP left on the credit note as the customer's credit/);
      const kept = await records.clone().where({ record_type: 'refund_payment' }).first('status');
      assert.equal(kept.status, 'NONE');
    });

    it('a failure before anything was sent: the retry creates the note once with no look-up; a resend of a settled refund sends nothing', async () => {
      const s = await f.sell(sale(++n));
      await f.drained();
      // The refund's first call reads its invoice (status, AmountDue) before creating the note: it fails with a 500.
      await fault({ path: '^/api\\.xro/2\\.0/Invoices$', method: 'GET', kind: '500', count: 1, rate: 1 });
      const since = await lastSeq();
      const r = await f.refund(s.id, { kind: 'amount', amount: '5.00' });
      await f.drained(40_000);
      const calls = await callsSince(since);
      assert.equal(count(calls, 'PUT', /\/CreditNotes$/), 1);
      assert.equal(count(calls, 'GET', /\/CreditNotes$/), 0, 'nothing was sent before the failure: no look-up');
      assert.equal((await noteOf(r.id)).length, 1);
      // Resend of a settled refund ("send now"): one look-up to verify it is still there, nothing created or paid.
      const before = await lastSeq();
      await f.x.host.deps.db.transaction(async (trx) => {
        const { enqueueCreditNotePush } = await import('../../../plugins/xero/sync/enqueue');
        await enqueueCreditNotePush({ outbox: f.x.ctx.outbox, sync: f.x.ctx.sync }, trx, f.org.orgId, r.id, s.id, { resend: { triggeredBy: `user:${f.staff.id}` } });
      });
      await f.drained();
      const resendCalls = await callsSince(before);
      assert.equal(count(resendCalls, 'PUT', /./), 0, `nothing sent again: ${resendCalls.map((c) => `${c.method} ${pathOf(c)}`).join(', ')}`);
    });
  });
}
