// Regression (issue 17's fault test, PostgreSQL under load): a payment above what its sale owed was marked
// done with its excess never posted as an overpayment, so every later payment from that customer's credit
// waited for it forever. The interleaving, made deterministic here on SQLite and PostgreSQL:
//   attempt 1  the Payment on the invoice lands and is recorded; the overpayment call fails (a 500), so the
//              item retries with the Payment in Xero and its excess not;
//   attempt 2  shares a batch with another sale's payment; the guard finds the first Payment in Xero
//              ("already synced": done), then the batch's PUT /Payments for the other one fails as a whole.
// The failure path kept every decided item's result, so the first was completed before the excess step ran.
// It must retry instead, and the excess reach Xero exactly once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { until } from '../../support/wait';
import { startSyncFixture, type SyncFixture } from './syncFixture';

interface Overpayment { Reference: string; Total: number; RemainingCredit: number; Status: string }
interface Payment { Amount: number; Reference: string; Status: string }
interface Call { seq: number; method: string; url: string; status: number; fault?: string }
interface OutboxRow { id: number; status: string; attempts: number; last_error: string | null }

const sale = (customer: string) => ({
  currency: 'GBP', customer: { name: `Batch ${customer}`, email: `${customer}@batch.example.com` },
  lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  describe(`an overpayment's excess when its batch fails (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const fault = (body: Record<string, unknown>) => request(f.emu.url).post('/_emulator/faults').send(body).expect(201);
    const calls = async () => (await request(f.emu.url).get('/_emulator/calls').expect(200)).body as Call[];
    const itemOf = async (paymentId: number) => (await db()('outbox').where({ dedupe_key: `xero:payment:${paymentId}` }).first('id', 'status', 'attempts', 'last_error')) as OutboxRow;
    const recordOf = (paymentId: number, recordType: string) => f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'payment', entity_id: paymentId, record_type: recordType }).first('xero_id');

    it('a payment in Xero whose excess is not stays undecided when a later call of its batch fails; the excess posts once', async () => {
      const overpaid = await f.sell(sale('dee'));
      const other = await f.sell(sale('eve'));
      await f.drained(60_000);
      await f.stopWorkers();

      // Attempt 1 (and any before the workers stop): the Payment lands, the overpayment (PUT BankTransactions)
      // is refused with a 500.
      const refused = await fault({ path: '/api.xro/2.0/BankTransactions', method: 'PUT', kind: '500', rate: 1 });
      const over = await f.pay(overpaid.id, { method: 'cash', amount: '40.00' });
      f.startWorkers({ concurrency: 1 });
      await until('a first attempt to end in a retry', async () => {
        const item = await itemOf(over.id);
        return item.status === 'pending' && item.attempts >= 1;
      }, 40_000);
      await f.stopWorkers();
      await request(f.emu.url).delete(`/_emulator/faults/${String(refused.body.id)}`).expect(204);
      const first = await itemOf(over.id);
      assert.equal(first.status, 'pending');
      assert.ok((await recordOf(over.id, 'payment'))?.xero_id, 'the Payment is in Xero and recorded');
      assert.equal(await recordOf(over.id, 'overpayment'), undefined, 'its excess is not');

      // Attempt 2, in ONE batch with another sale's payment whose PUT /Payments fails as a whole.
      const paid = await f.pay(other.id, { method: 'cash', amount: '30.00' });
      const second = await itemOf(paid.id);
      await db()('outbox').whereIn('id', [first.id, second.id]).update({ available_at: Date.now() - 1 });
      await fault({ path: '/api.xro/2.0/Payments', method: 'PUT', kind: '500', count: 1 });
      const since = (await calls()).at(-1)?.seq ?? 0;
      f.startWorkers({ concurrency: 1 });
      await f.drained(60_000);

      const made = (await calls()).filter((c) => c.seq > since && c.method === 'PUT');
      assert.equal(made[0]?.fault, '500', `the batch's first PUT failed as a whole: ${JSON.stringify(made)}`);
      assert.ok(/\/Payments/.test(made[0]!.url), 'the first PUT is the other sale\'s payment');
      const overpayments = (await f.books<Overpayment>('overpayments')).filter((o) => o.Reference === `LB-P-${over.id} overpayment`);
      assert.deepEqual(overpayments.map((o) => [o.Total, o.RemainingCredit, o.Status]), [[10, 10, 'AUTHORISED']], 'the excess, once');
      assert.deepEqual([(await itemOf(over.id)).status, (await itemOf(over.id)).attempts], ['done', first.attempts + 2],
        'retried after the failed batch it shared, done on the attempt after with its excess');
      const payments = (await f.books<Payment>('payments')).filter((p) => p.Status !== 'DELETED');
      assert.deepEqual(payments.filter((p) => p.Reference.startsWith(`LB-P-${over.id}`)).map((p) => p.Amount), [30], 'the Payment, once');
      assert.deepEqual(payments.filter((p) => p.Reference.startsWith(`LB-P-${paid.id}`)).map((p) => p.Amount), [30], "the other sale's Payment, once");

      // The audit trail keeps every step, including the Payment created on the attempt that then failed.
      const audit = await f.x.ctx.db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'payment', entity_id: over.id }).orderBy('id').select('action', 'message');
      const created = audit.filter((a: { action: string }) => a.action === 'created').map((a: { message: string | null }) => /overpayment/.test(a.message ?? '') ? 'overpayment' : 'payment');
      assert.deepEqual(created, ['payment', 'overpayment'], JSON.stringify(audit));

      // And the customer's credit can be used: a later sale paid from it allocates the overpayment.
      const next = await f.sell(sale('dee'));
      const use = await f.pay(next.id, { method: 'customer_credit', amount: '10.00' });
      await f.drained(60_000);
      assert.equal((await itemOf(use.id)).status, 'done');
      const [op] = (await f.books<Overpayment>('overpayments')).filter((o) => o.Reference === `LB-P-${over.id} overpayment`);
      assert.equal(op?.RemainingCredit, 0, 'allocated');
    });
  });
}
