// The same money property as saleApi.property.test.ts, read back from Xero itself (the emulator, over
// HTTP, with real workers): random GBP sales through POST /api/v1/sales, each with a random refund and
// payment, are synced; then every invoice's Total in Xero is the sale's charged total, every credit
// note's Total its refund, every payment's Amount the payment — to the penny. Fewer runs: each one
// round-trips to Xero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { createApiToken } from '../../server/auth/apiTokens';
import { formatMinor, formatScaled } from '../../server/domain/money';
import { startSyncFixture, type SyncFixture } from '../e2e/xero/syncFixture';

const RUNS = Number(process.env.FUZZ_EMULATOR_RUNS ?? 12);
const TAX = ['OUTPUT2', 'RROUTPUT', 'ZERORATEDOUTPUT', 'EXEMPTOUTPUT', 'NONE'];

const lineArb = fc.record({
  quantity: fc.oneof(fc.integer({ min: 1, max: 12 }).map(String), fc.integer({ min: 1, max: 99_999 }).map((u) => formatScaled(BigInt(u), 4))),
  unitPrice: fc.integer({ min: 0, max: 250_000 }).map((m) => formatMinor(m, 'GBP')),
  discountRate: fc.option(fc.integer({ min: 0, max: 9_999 }).map((u) => formatScaled(BigInt(u), 2)), { nil: undefined }),
  taxCode: fc.constantFrom(...TAX),
});
const caseArb = fc.record({
  lines: fc.array(lineArb, { minLength: 1, maxLength: 5 }),
  refundPermille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
  payPermille: fc.option(fc.integer({ min: 1, max: 1000 }), { nil: undefined }),
});

type Doc = { InvoiceID?: string; CreditNoteID?: string; PaymentID?: string; Total?: number; Amount?: number; Status?: string };

for (const kind of dbKinds()) {
  describe(`fuzz: Xero's own totals equal the charges (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    let token: string;
    before(async () => {
      f = await startSyncFixture(kind);
      token = (await createApiToken(f.x.host.deps.db, { orgId: f.org.orgId, role: 'staff', name: 'fuzz' })).token;
    });
    after(async () => f?.close());

    it('invoice, credit note and payment totals in Xero equal what was charged, refunded and paid', async () => {
      const post = (path: string, body: object) => request(f.x.app).post(path).set('Authorization', `Bearer ${token}`).send(body);
      const expected: { entity: 'sale' | 'refund' | 'payment'; id: number; amount: string }[] = [];
      await fc.assert(fc.asyncProperty(caseArb, async (c) => {
        const sale = await post('/api/v1/sales', { currency: 'GBP', customer: { name: `Fuzz ${expected.length}` }, lines: c.lines.map((l, i) => ({ description: `item ${i}`, ...l })) });
        assert.equal(sale.status, 201, sale.text);
        const view = sale.body as { id: number; total: string };
        expected.push({ entity: 'sale', id: view.id, amount: view.total });
        const totalMinor = Math.round(Number(view.total) * 100);
        if (c.refundPermille && totalMinor > 0) {
          const amount = formatMinor(Math.max(1, Math.floor((totalMinor * c.refundPermille) / 1000)), 'GBP');
          const refund = await post(`/api/v1/sales/${view.id}/refunds`, c.refundPermille === 1000 ? { kind: 'full' } : { kind: 'amount', amount });
          assert.equal(refund.status, 201, refund.text);
          const r = (refund.body as { refund: { id: number; amount: string } }).refund;
          expected.push({ entity: 'refund', id: r.id, amount: r.amount });
        }
        const now = await request(f.x.app).get(`/api/v1/sales/${view.id}`).set('Authorization', `Bearer ${token}`);
        const outstanding = Math.round(Number((now.body as { outstanding: string }).outstanding) * 100);
        if (c.payPermille && outstanding > 0) {
          const amount = formatMinor(Math.max(1, Math.floor((outstanding * c.payPermille) / 1000)), 'GBP');
          const pay = await post(`/api/v1/sales/${view.id}/payments`, { method: 'cash', amount });
          assert.equal(pay.status, 201, pay.text);
          expected.push({ entity: 'payment', id: (pay.body as { payment: { id: number } }).payment.id, amount });
        }
      }), { numRuns: RUNS });

      await f.drained(90_000);
      const [invoices, notes, payments] = await Promise.all([f.books<Doc>('invoices'), f.books<Doc>('creditnotes'), f.books<Doc>('payments')]);
      const records = (await f.x.host.deps.db('sync_records').where({ org_id: f.org.orgId }).select('entity_type', 'entity_id', 'record_type', 'external_id', 'status')) as { entity_type: string; entity_id: number; record_type: string; external_id: string | null; status: string }[];
      const problems: string[] = [];
      for (const e of expected) {
        const recordType = e.entity === 'sale' ? 'invoice' : e.entity === 'refund' ? 'credit_note' : 'payment';
        const rec = records.find((r) => r.entity_type === e.entity && Number(r.entity_id) === e.id && r.record_type === recordType);
        if (!rec?.external_id) { problems.push(`${e.entity} ${e.id}: not synced (${rec?.status ?? 'no record'})`); continue; }
        const doc = e.entity === 'sale' ? invoices.find((d) => d.InvoiceID === rec.external_id) : e.entity === 'refund' ? notes.find((d) => d.CreditNoteID === rec.external_id) : payments.find((d) => d.PaymentID === rec.external_id);
        const xeroAmount = e.entity === 'payment' ? doc?.Amount : doc?.Total;
        if (xeroAmount === undefined || xeroAmount.toFixed(2) !== e.amount) problems.push(`${e.entity} ${e.id}: Xero says ${String(xeroAmount)}, we charged ${e.amount}`);
      }
      assert.ok(expected.length >= RUNS);
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  });
}
