// Real-time sync against the Xero emulator over HTTP (a private-app connection signing every call),
// proven by reading the emulator's books back through its control API: invoices with the right lines and
// totals, credit notes allocated, payments recorded, out-of-order refunds, records deleted in Xero never
// recreated, one bad element in a batch of 50, and a timeout whose write landed. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startSyncFixture, setMappings, type SyncFixture } from './syncFixture';

type Doc = Record<string, unknown> & { InvoiceNumber?: string; CreditNoteNumber?: string; Status?: string; Total?: number; AmountDue?: number };

const sale = (n: number, extra: Record<string, unknown> = {}) => ({
  currency: 'GBP',
  reference: `S-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Customer ${n}`, email: `c${n}@example.com` },
  lines: [
    { description: 'Yoga class', quantity: 2, unitPrice: '12.50', taxCode: 'OUTPUT2' },
    { description: 'Mat hire', quantity: 1, unitPrice: '3.00', taxCode: 'OUTPUT2' },
  ],
  ...extra,
});

async function syncState(f: SyncFixture, entityType: string, entityId: number) {
  return f.x.host.deps.db('sync_records').where({ org_id: f.org.orgId, entity_type: entityType, entity_id: entityId }).first();
}

for (const kind of dbKinds()) {
  describe(`Xero sync e2e (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('sale → one AUTHORISED invoice with its lines and the charged total; sync state synced with the Xero id', async () => {
      const s = await f.sell(sale(1));
      await f.drained();
      const invoices = (await f.books<Doc>('invoices')).filter((i) => i.InvoiceNumber === `LB-${s.id}`);
      assert.equal(invoices.length, 1);
      const inv = invoices[0]!;
      assert.equal(inv.Status, 'AUTHORISED');
      assert.equal(inv.Total, 28);
      assert.equal((inv.LineItems as unknown[]).length, 2);
      assert.equal(inv.Url, `http://books.test/sales/${s.id}`);
      const state = await syncState(f, 'sale', s.id);
      assert.equal(state.status, 'synced');
      assert.equal(state.external_id, inv.InvoiceID);
      assert.equal(state.external_ref, `LB-${s.id}`);
      const audit = await f.x.host.deps.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, action: 'created' });
      assert.equal(audit.length, 1);
      assert.match(String(audit[0].request_summary), /"InvoiceNumber":"LB-/);
      assert.doesNotMatch(String(audit[0].request_summary), /oauth_|BEGIN PRIVATE KEY/);
    });

    it('partial then full refund → two credit notes allocated to the invoice, which ends fully credited', async () => {
      const s = await f.sell(sale(2));
      const r1 = await f.refund(s.id, { kind: 'amount', amount: '10.00' });
      const r2 = await f.refund(s.id, { kind: 'full' });
      await f.drained();
      const notes = (await f.books<Doc>('creditnotes')).filter((n) => [`LB-R-${r1.id}`, `LB-R-${r2.id}`].includes(String(n.CreditNoteNumber)));
      assert.equal(notes.length, 2);
      const totals = notes.map((n) => n.Total).sort();
      assert.deepEqual(totals, [10, 18]);
      for (const n of notes) assert.equal(n.Status, 'PAID', 'fully allocated');
      const inv = (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${s.id}`)!;
      assert.equal(inv.AmountDue, 0);
      assert.equal(inv.AmountCredited, 28);
      assert.equal((await syncState(f, 'refund', r2.id)).status, 'synced');
    });

    it('payment → Payment on its invoice into the mapped account; the invoice is PAID; refund after payment is paid out, not allocated', async () => {
      const s = await f.sell(sale(3));
      const p = await f.pay(s.id, { method: 'stripe', amount: '28.00', providerRef: `ch_${s.id}` });
      await f.drained();
      let inv = (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${s.id}`)!;
      assert.equal(inv.Status, 'PAID');
      const payments = (await f.books<Doc>('payments')).filter((x) => String(x.Reference).startsWith(`LB-P-${p.id}`));
      assert.equal(payments.length, 1);
      assert.equal((payments[0]!.Account as { Code: string }).Code, '090');

      const r = await f.refund(s.id, { kind: 'amount', amount: '5.00', method: 'stripe' });
      await f.drained();
      const note = (await f.books<Doc>('creditnotes')).find((n) => n.CreditNoteNumber === `LB-R-${r.id}`)!;
      assert.equal(note.Status, 'PAID', 'paid out by a refund payment');
      assert.equal((note.Allocations as unknown[]).length, 0, 'nothing to allocate on a paid invoice');
      inv = (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${s.id}`)!;
      assert.equal(inv.Status, 'PAID');
      const counts = await f.counts();
      assert.ok(counts);
    });

    it('out-of-order: a refund issued before its invoice synced waits for it, then is allocated', async () => {
      await f.stopWorkers();
      const s = await f.sell(sale(4));
      const r = await f.refund(s.id, { kind: 'amount', amount: '8.00' });
      assert.equal((await syncState(f, 'refund', r.id)).status, 'pending');
      f.startWorkers();
      await f.drained();
      const inv = (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${s.id}`)!;
      const note = (await f.books<Doc>('creditnotes')).find((n) => n.CreditNoteNumber === `LB-R-${r.id}`)!;
      assert.equal(note.Status, 'PAID');
      assert.equal(inv.AmountDue, 20);
      const order = await f.x.host.deps.db('xero_audit').whereIn('entity_type', ['sale', 'refund']).whereIn('entity_id', [s.id, r.id]).where({ action: 'created' }).orderBy('id').select('entity_type');
      assert.deepEqual(order.map((o) => o.entity_type), ['sale', 'refund']);
    });

    it('voided in Xero: resend and a later refund never recreate it; marked deleted_upstream', async () => {
      const s = await f.sell(sale(5));
      await f.drained();
      const inv = (await f.books<Doc>('invoices')).find((i) => i.InvoiceNumber === `LB-${s.id}`)!;
      await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/invoices/${inv.InvoiceID}/void`).expect(200);
      const admin = await import('../../support/xero').then((m) => m.logIn(f.x.app, f.org.emails.admin));
      const page = await admin.get(`/plugins/xero/sync/records/sale/${s.id}`).expect(200);
      const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
      await admin.post(`/plugins/xero/sync/sale/${s.id}/send`).type('form').send({ _csrf: csrf }).expect(303);
      await f.drained();
      const r = await f.refund(s.id, { kind: 'full' });
      await f.drained();
      const same = (await f.books<Doc>('invoices')).filter((i) => i.InvoiceNumber === `LB-${s.id}`);
      assert.equal(same.length, 1);
      assert.equal(same[0]!.Status, 'VOIDED');
      assert.equal((await syncState(f, 'sale', s.id)).status, 'deleted_upstream');
      const refundState = await syncState(f, 'refund', r.id);
      assert.equal(refundState.status, 'deleted_upstream');
      assert.match(refundState.error, /voided/);
      assert.equal((await f.books<Doc>('creditnotes')).filter((n) => n.CreditNoteNumber === `LB-R-${r.id}`).length, 0);
    });

    it('one bad element in a batch of 50: 49 synced, 1 failed with Xero\'s exact message', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'category_account', key: 'archived-cat', value: '429' }]);
      await request(f.emu.url).delete(`/_emulator/tenants/${f.tenantId}/accounts/429?archive=true`).expect(200);
      await f.stopWorkers();
      const ids: number[] = [];
      for (let n = 0; n < 50; n++) {
        const bad = n === 17;
        const s = await f.sell(sale(100 + n, bad ? { lines: [{ description: 'Archived thing', quantity: 1, unitPrice: '5.00', category: 'archived-cat' }] } : {}));
        ids.push(s.id);
      }
      const callsBefore = (await request(f.emu.url).get('/_emulator/calls')).body.length;
      f.startWorkers();
      await f.drained();
      const calls = (await request(f.emu.url).get('/_emulator/calls')).body.slice(callsBefore) as { method: string; url: string }[];
      const invoicePuts = calls.filter((c) => c.method === 'PUT' && /\/Invoices\?/.test(c.url) || (c.method === 'PUT' && c.url.endsWith('/Invoices')));
      assert.ok(invoicePuts.length <= 2, `batched: ${invoicePuts.length} invoice PUTs for 50 sales`);
      const numbers = new Set((await f.books<Doc>('invoices')).map((i) => i.InvoiceNumber));
      const synced = ids.filter((id) => numbers.has(`LB-${id}`));
      assert.equal(synced.length, 49);
      const badId = ids[17]!;
      assert.ok(!numbers.has(`LB-${badId}`));
      const state = await syncState(f, 'sale', badId);
      assert.equal(state.status, 'failed');
      assert.equal(state.error, "Account code '429' is not a valid code for this document.");
      const item = await f.x.host.deps.db('outbox').where({ dedupe_key: `xero:invoice:${badId}` }).first();
      assert.equal(item.status, 'dead');
    });

    it('timeout with the write landed, then retry: still one invoice (reconcile-before-retry adopts it)', async () => {
      await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/Invoices', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 }).expect(201);
      // A different Idempotency-Key on the retry is not what saves us: the lookup by number is.
      const s = await f.sell(sale(6));
      await f.drained(30_000);
      const invoices = (await f.books<Doc>('invoices')).filter((i) => i.InvoiceNumber === `LB-${s.id}`);
      assert.equal(invoices.length, 1);
      const adopted = await f.x.host.deps.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, action: 'adopted' });
      assert.equal(adopted.length, 1, 'found by number on the retry, not sent again');
      assert.equal((await syncState(f, 'sale', s.id)).status, 'synced');
    });
  });
}
