// A record the host accepted but Xero cannot take (here a sale whose date an embedding host let through as
// year 999, and a customer whose name is 256 emoji) fails at once, on its first attempt, with the real reason
// on the sale — while the batch's other sales go through. It used to be "Could not reach Xero", retried 22
// times while the sale said pending (issue 18 #4).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const body = (n: number, name = `Unsendable ${n}`) => ({
  currency: 'GBP', reference: `UNS-${n}`, customer: { name, email: `uns${n}@example.com` },
  lines: [{ description: 'Session', quantity: 1, unitPrice: '10.00', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  describe(`records Xero cannot take (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false });
    });
    after(async () => f?.close());

    it('fail on their first attempt with the reason; the rest of the batch reaches Xero', async () => {
      const bad = await f.sell(body(1));
      const emoji = await f.sell(body(2, '🎉'.repeat(200)));
      const good = await f.sell(body(3));
      await f.x.host.deps.db('sales').where({ id: bad.id }).update({ occurred_at: Date.UTC(999, 5, 1, 12) });
      f.startWorkers();
      await f.drained();
      const item = await f.x.host.deps.db('outbox').where({ type: 'xero.invoice.push' }).whereRaw("payload like ?", [`%"saleId":${bad.id}%`]).first();
      assert.equal(item.status, 'dead');
      assert.equal(Number(item.attempts), 1, 'not retried');
      assert.match(String(item.last_error), /0999-06-01 is before 1900-01-01/);
      const record = await f.x.host.deps.db('sync_records').where({ entity_type: 'sale', entity_id: bad.id, record_type: 'invoice' }).first();
      assert.equal(record.status, 'failed');
      assert.match(String(record.error), /before 1900-01-01/);
      const numbers = (await f.books<{ InvoiceNumber: string }>('invoices')).map((i) => i.InvoiceNumber);
      assert.ok(!numbers.includes(`LB-${bad.id}`));
      const failures = await f.x.host.deps.db('outbox').where({ status: 'dead' }).select('payload', 'last_error');
      assert.ok(numbers.includes(`LB-${emoji.id}`) && numbers.includes(`LB-${good.id}`), `${numbers.join(', ')} ${JSON.stringify(failures)}`);
      const contacts = await f.books<{ Name: string }>('contacts');
      assert.ok(contacts.some((c) => c.Name === '🎉'.repeat(127)), 'the 200-emoji name reached Xero cut to its 255 UTF-16 units, whole emoji only');
    });
  });
}
