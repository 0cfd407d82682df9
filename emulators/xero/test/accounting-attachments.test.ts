// Attachments on invoices and credit notes, through the whole pipeline (body reader, auth, scopes):
// stored, listed, fetched by name and by id, HasAttachments on the record; Xero's limits refuse a file
// over 10 MB (413, before any book changes), an unsupported type, an 11th file, and a call without the
// accounting.attachments scope.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { XeroEmulator } from '../app';
import { API, connectedClient, customConnection, makeEmulator } from './helpers';

const PDF = Buffer.from('%PDF-1.4\n% a receipt\n%%EOF\n');

async function anInvoice(emulator: XeroEmulator, bearer: string, path = 'Invoices', body?: object): Promise<string> {
  const res = await request(emulator.app).put(`${API}/${path}`).set('Authorization', bearer).send(body ?? {
    Invoices: [{ Type: 'ACCREC', Contact: { Name: 'Ada Lovelace' }, LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Climb', Quantity: 1, UnitAmount: 12, AccountCode: '200', TaxType: 'OUTPUT2' }], Status: 'AUTHORISED', Date: '2026-05-01' }],
  }).expect(200);
  const doc = (res.body as Record<string, { InvoiceID?: string; CreditNoteID?: string }[]>)[path]![0]!;
  return (doc.InvoiceID ?? doc.CreditNoteID)!;
}

const upload = (emulator: XeroEmulator, bearer: string, path: string, bytes: Buffer, query = '?IncludeOnline=true') =>
  request(emulator.app).put(`${API}/${path}${query}`).set('Authorization', bearer).set('Content-Type', 'application/octet-stream').send(bytes);

describe('attachments', () => {
  it('stores a PDF on an invoice: listed, fetched by name and id, HasAttachments true, IncludeOnline kept', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const id = await anInvoice(emulator, bearer);
    const before = await request(emulator.app).get(`${API}/Invoices/${id}`).set('Authorization', bearer).expect(200);
    assert.equal(before.body.Invoices[0].HasAttachments, false);

    const put = await upload(emulator, bearer, `Invoices/${id}/Attachments/Receipt 42.pdf`, PDF).expect(200);
    const attached = put.body.Attachments[0];
    assert.equal(attached.FileName, 'Receipt 42.pdf');
    assert.equal(attached.MimeType, 'application/pdf');
    assert.equal(attached.ContentLength, PDF.length);
    assert.equal(attached.IncludeOnline, true);

    const list = await request(emulator.app).get(`${API}/Invoices/${id}/Attachments`).set('Authorization', bearer).expect(200);
    assert.deepEqual(list.body.Attachments.map((a: { FileName: string }) => a.FileName), ['Receipt 42.pdf']);
    const byName = await request(emulator.app).get(`${API}/Invoices/${id}/Attachments/Receipt 42.pdf`).set('Authorization', bearer).buffer(true).parse((res, done) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => done(null, Buffer.concat(chunks)));
    }).expect(200);
    assert.equal(byName.headers['content-type'], 'application/pdf');
    assert.deepEqual(byName.body, PDF);
    await request(emulator.app).get(`${API}/Invoices/${id}/Attachments/${attached.AttachmentID}`).set('Authorization', bearer).expect(200);
    const after = await request(emulator.app).get(`${API}/Invoices/${id}`).set('Authorization', bearer).expect(200);
    assert.equal(after.body.Invoices[0].HasAttachments, true);

    // The same name again replaces the file: still one attachment, same id.
    const again = await upload(emulator, bearer, `Invoices/${id}/Attachments/Receipt 42.pdf`, Buffer.concat([PDF, PDF])).expect(200);
    assert.equal(again.body.Attachments[0].AttachmentID, attached.AttachmentID);
    const relisted = await request(emulator.app).get(`${API}/Invoices/${id}/Attachments`).set('Authorization', bearer).expect(200);
    assert.equal(relisted.body.Attachments.length, 1);
    assert.equal(relisted.body.Attachments[0].ContentLength, PDF.length * 2);
  });

  it('credit notes take attachments too', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const id = await anInvoice(emulator, bearer, 'CreditNotes', {
      CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { Name: 'Ada Lovelace' }, LineAmountTypes: 'Inclusive', LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: 5, AccountCode: '200', TaxType: 'OUTPUT2' }], Status: 'AUTHORISED', Date: '2026-05-01' }],
    });
    await upload(emulator, bearer, `CreditNotes/${id}/Attachments/note.pdf`, PDF).expect(200);
    const note = await request(emulator.app).get(`${API}/CreditNotes/${id}`).set('Authorization', bearer).expect(200);
    assert.equal(note.body.CreditNotes[0].HasAttachments, true);
  });

  it('refuses a file over 10 MB, a type Xero does not take, an empty file and an 11th file, changing nothing', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const id = await anInvoice(emulator, bearer);
    const tooLarge = await upload(emulator, bearer, `Invoices/${id}/Attachments/big.pdf`, Buffer.alloc(10 * 1024 * 1024 + 1, 0x20));
    assert.equal(tooLarge.status, 413);
    // Just under the limit passes: attachments are not held to the 3.5 MB write limit.
    await upload(emulator, bearer, `Invoices/${id}/Attachments/scan.pdf`, Buffer.alloc(4 * 1024 * 1024, 0x20)).expect(200);

    const exe = await upload(emulator, bearer, `Invoices/${id}/Attachments/tool.exe`, PDF);
    assert.equal(exe.status, 400);
    assert.equal(exe.body.Type, 'ValidationException');
    assert.match(exe.body.Elements[0].ValidationErrors[0].Message, /file type of 'tool.exe' is not supported/);
    const empty = await request(emulator.app).put(`${API}/Invoices/${id}/Attachments/empty.pdf`).set('Authorization', bearer).set('Content-Type', 'application/octet-stream');
    assert.equal(empty.status, 400);

    for (let i = 2; i <= 10; i += 1) await upload(emulator, bearer, `Invoices/${id}/Attachments/page-${i}.pdf`, PDF).expect(200);
    const eleventh = await upload(emulator, bearer, `Invoices/${id}/Attachments/page-11.pdf`, PDF);
    assert.equal(eleventh.status, 400);
    assert.match(eleventh.body.Elements[0].ValidationErrors[0].Message, /at most 10 attachments/);
    const list = await request(emulator.app).get(`${API}/Invoices/${id}/Attachments`).set('Authorization', bearer).expect(200);
    assert.equal(list.body.Attachments.length, 10);
    assert.ok(!list.body.Attachments.some((a: { FileName: string }) => ['big.pdf', 'tool.exe', 'empty.pdf', 'page-11.pdf'].includes(a.FileName)));
  });

  it('needs the accounting.attachments scope', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const id = await anInvoice(emulator, bearer);
    const { tokens, tenantId } = await connectedClient(emulator, { scope: 'openid offline_access accounting.transactions' });
    const refused = await upload(emulator, `Bearer ${tokens.access_token}`, `Invoices/${id}/Attachments/r.pdf`, PDF).set('xero-tenant-id', tenantId);
    assert.equal(refused.status, 403);
  });
});
