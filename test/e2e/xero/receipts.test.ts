// Receipts on the Xero record (issue 17) against the app and the Xero emulator, on SQLite and PostgreSQL:
// with Xero settings → Receipts on, a sale's receipt (the host's PDF, the bytes staff download from the
// sale page) is attached to its invoice once the invoice is in Xero, with IncludeOnline; a resend ("Send to
// Xero now") does not attach it again, nor does an item that finds it uploaded but never marked (a crash
// between the upload and the mark); a file Xero refuses fails that item alone, with Xero's answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { csrfFrom, type Agent } from '../../support/xero';
import { pdfText } from '../../support/pdf';
import { setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { enqueueReceiptAttach } from '../../../plugins/xero/sync/receipts';
import { RECEIPT_ATTACH } from '../../../plugins/xero/sync/types';

interface XeroInvoice { InvoiceNumber: string; InvoiceID: string; HasAttachments: boolean }
interface StoredAttachment { FileName: string; MimeType: string; ContentLength: number; IncludeOnline: boolean; ContentBase64: string }

for (const kind of dbKinds()) {
  describe(`receipts attached to Xero invoices (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;

    before(async () => {
      ({ f, admin, staff } = await startSignedInFixture(kind));
      // The settings page reads the organisation's tax rates from Xero (the receipt states VAT by rate from them) and offers the setting.
      const settings = await admin.get('/plugins/xero/settings').expect(200);
      assert.match(settings.text, /<select[^>]*id="attach_receipts"/);
      await setMappings(f.x, f.org.orgId, [{ kind: 'attach_receipts', key: '', value: 'on' }]);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`)!;
    const attachmentsOf = async (invoiceId: string): Promise<StoredAttachment[]> =>
      (await request(f.emu.url).get(`/_emulator/tenants/${f.tenantId}/invoices/${invoiceId}/attachments`).expect(200)).body.items;
    const receiptItems = (saleId: number) => db()('outbox').where({ type: RECEIPT_ATTACH }).where('dedupe_key', 'like', `xero:receipt:${saleId}%`);
    const settled = async (saleId: number, count: number) => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const items = await receiptItems(saleId);
        if (items.length >= count && items.every((i: { status: string }) => ['done', 'dead'].includes(i.status))) return items;
        if (Date.now() > deadline) throw new Error(`receipt items of sale ${saleId} did not settle: ${JSON.stringify(items)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const download = async (saleId: number): Promise<Buffer> => {
      const res = await staff.get(`/sales/${saleId}/receipt.pdf`).buffer(true).parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      }).expect(200);
      assert.equal(res.headers['content-type'], 'application/pdf');
      assert.match(String(res.headers['content-disposition']), /^attachment; filename="Receipt-R-\d+\.pdf"$/);
      return res.body as Buffer;
    };
    const sale = (reference: string) => ({
      currency: 'GBP', reference, customer: { name: 'Ada Lovelace', email: 'ada@example.test' },
      lines: [{ description: 'Climbing session', quantity: 2, unitPrice: '12.99', taxCode: 'OUTPUT2' }, { description: 'Car seat hire', quantity: 1, unitPrice: '4.99', taxCode: 'RROUTPUT' }],
      payments: [{ method: 'cash', amount: '30.97' }],
    });

    let first: { id: number; invoiceId: string };

    it('attaches the sale\'s receipt to its invoice once the invoice is in Xero: the PDF staff download, shown online', async () => {
      const s = await f.sell(sale('R-5001'));
      await f.drained();
      await settled(s.id, 1);
      const invoice = await invoiceOf(s.id);
      assert.equal(invoice.HasAttachments, true);
      const files = await attachmentsOf(invoice.InvoiceID);
      assert.deepEqual(files.map((a) => [a.FileName, a.MimeType, a.IncludeOnline]), [['Receipt-R-5001.pdf', 'application/pdf', true]]);
      const pdf = await download(s.id);
      assert.deepEqual(Buffer.from(files[0]!.ContentBase64, 'base64'), pdf, 'Xero holds the bytes the sale page offers');
      // VAT by rate from the organisation's Xero tax rates: 25.98 at 20 % (4.33), 4.99 at 5 % (0.24).
      const text = pdfText(pdf);
      for (const drawn of ['Sync Gym', 'Ada Lovelace', 'ada@example.test', '20% (VAT on Income) (20%)', '4.33', '5% (VAT on Income) (5%)', '0.24', '4.57', '30.97', 'Cash', 'Still to pay', '0.00']) {
        assert.ok(text.includes(drawn), `the receipt says "${drawn}": ${text.join(' | ')}`);
      }
      const record = await db()('sync_records').where({ entity_type: 'sale', entity_id: s.id, record_type: 'receipt' }).first();
      assert.equal(record.status, 'synced');
      assert.equal(record.external_ref, 'Receipt-R-5001.pdf');
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, record_type: 'receipt' }).select('action');
      assert.deepEqual(trail.map((t: { action: string }) => t.action), ['attached']);
      first = { id: s.id, invoiceId: invoice.InvoiceID };
    });

    it('a resend ("Send to Xero now") does not attach it twice', async () => {
      const page = await staff.get(`/sales/${first.id}`).expect(200);
      await staff.post(`/plugins/xero/sync/sale/${first.id}/send`).type('form').send({ _csrf: csrfFrom(page) }).expect(303);
      await f.drained();
      await settled(first.id, 2);
      assert.equal((await attachmentsOf(first.invoiceId)).length, 1);
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: first.id, record_type: 'receipt' }).orderBy('id').select('action');
      assert.deepEqual(trail.map((t: { action: string }) => t.action), ['attached', 'already_synced']);
    });

    it('uploaded but never marked (a crash between the two): the next item finds it on the invoice and adopts it', async () => {
      await f.x.ctx.db('xero_receipt_attachments').where({ org_id: f.org.orgId, invoice_id: first.invoiceId }).delete();
      await enqueueReceiptAttach(f.x.ctx, f.org.orgId, { saleId: first.id, invoiceId: first.invoiceId }, { again: 'after-crash' });
      await settled(first.id, 3);
      assert.equal((await attachmentsOf(first.invoiceId)).length, 1);
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: first.id, record_type: 'receipt' }).orderBy('id').select('action');
      assert.equal(trail.at(-1)!.action, 'adopted');
      assert.ok(await f.x.ctx.db('xero_receipt_attachments').where({ org_id: f.org.orgId, invoice_id: first.invoiceId }).first(), 'marked again');
    });

    it('the upload landed but its answer was lost (a timeout): the retry finds the receipt on the invoice and attaches nothing more', async () => {
      await request(f.emu.url).post('/_emulator/faults').send({ path: 'Attachments/Receipt-R-5004', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 }).expect(201);
      try {
        const s = await f.sell(sale('R-5004'));
        await f.drained();
        const [item] = await settled(s.id, 1);
        assert.equal(item.status, 'done');
        assert.equal(Number(item.attempts), 2, 'the lost answer was retried once');
        const invoice = await invoiceOf(s.id);
        assert.deepEqual((await attachmentsOf(invoice.InvoiceID)).map((a) => a.FileName), ['Receipt-R-5004.pdf']);
        const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id, record_type: 'receipt' }).select('action');
        assert.deepEqual(trail.map((t: { action: string }) => t.action), ['adopted']);
      } finally {
        await request(f.emu.url).delete('/_emulator/faults').expect(204);
      }
    });

    it('a receipt Xero refuses (over its size limit) fails that item alone, with what Xero said; the invoice stands', async () => {
      await request(f.emu.url).post('/_emulator/limits').send({ maxAttachmentBytes: 1000 }).expect(200);
      try {
        const s = await f.sell(sale('R-5002'));
        await f.drained();
        const [item] = await settled(s.id, 1);
        assert.equal(item.status, 'dead');
        const record = await db()('sync_records').where({ entity_type: 'sale', entity_id: s.id, record_type: 'receipt' }).first();
        assert.equal(record.status, 'failed');
        assert.match(String(record.error), /^Xero refused the receipt Receipt-R-5002\.pdf \(\d+ bytes\): /);
        const invoice = await invoiceOf(s.id);
        assert.equal(invoice.HasAttachments, false);
        assert.equal((await db()('sync_records').where({ entity_type: 'sale', entity_id: s.id, record_type: 'invoice' }).first()).status, 'synced');
      } finally {
        await request(f.emu.url).post('/_emulator/limits').send({ maxAttachmentBytes: 10 * 1024 * 1024 }).expect(200);
      }
    });

    it('with the setting off, nothing is attached', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'attach_receipts', key: '', value: 'off' }]);
      const s = await f.sell(sale('R-5003'));
      await f.drained();
      assert.equal((await invoiceOf(s.id)).HasAttachments, false);
      assert.equal((await receiptItems(s.id)).length, 0);
    });
  });
}
