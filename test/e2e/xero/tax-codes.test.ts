// Tax codes from the booking system (issue 17), over HTTP against the app and the Xero emulator on SQLite
// and PostgreSQL: the admin maps the booking system's own codes to Xero tax rates on the settings page
// (checked live); the API and the sale form refuse a code that is neither mapped nor one of Xero's own (a
// typo'd "VAT20" used to record a completed sale whose invoice failed forever); a mapped code posts with
// its rate, read back from Xero; when the accountant deletes the rate under a synced mapping, the failed
// invoice says which mapping to fix, and Retry after the fix posts it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { startSignedInFixture, type SyncFixture } from './syncFixture';

const SETTINGS = '/plugins/xero/settings';
const line = (taxCode: string, unitPrice = '12.00') => ({ description: 'Climbing session', quantity: 1, unitPrice, taxCode });

interface XeroInvoice { InvoiceNumber: string; LineItems: { TaxType: string; LineAmount: number }[]; Total: number }

for (const kind of dbKinds()) {
  describe(`tax codes from the booking system (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const saleCount = async () => Number(((await f.x.host.deps.db('sales').where({ org_id: f.org.orgId }).count({ n: '*' })) as { n: number | string }[])[0]!.n);
    const api = (body: Record<string, unknown>) => request(f.x.app).post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(body);
    const saveTaxCodes = (rows: [string, string][]) => {
      const fields: Record<string, string> = { invoice_status: 'AUTHORISED', due_rule_kind: 'on_receipt', reference_source: 'sale_reference', line_amount_handling: 'auto' };
      for (const m of ['cash', 'card_terminal']) fields[`method_account_${m}`] = m === 'cash' ? '091' : '090';
      [...rows, ['', ''] as [string, string]].forEach(([code, taxType], i) => {
        fields[`tax_code_code_${i}`] = code;
        fields[`tax_code_type_${i}`] = taxType;
      });
      return postForm(admin, SETTINGS, SETTINGS, fields);
    };
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const syncRecord = async (saleId: number) => f.x.host.deps.db('sync_records').where({ entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();

    it('maps the booking system\'s codes on the settings page, each rate checked against Xero', async () => {
      const page = await admin.get(SETTINGS);
      assert.equal(page.status, 200);
      assert.match(page.text, /Tax codes from your booking system/);
      const refused = await saveTaxCodes([['STD', 'OUTPUT2'], ['BUY', 'INPUT2'], ['GONE', 'NOPE']]);
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Tax code BUY: Tax type INPUT2 \(20% \(VAT on Expenses\)\) is not a sales tax rate/);
      assert.match(refused.text, /Tax code GONE: Tax type NOPE does not exist in Xero \(Demo Company \(UK\)\)/);
      assert.equal((await f.x.ctx.db('xero_mappings').where({ org_id: f.org.orgId, kind: 'tax_code_tax' })).length, 0, 'nothing saved');

      const saved = await saveTaxCodes([['STD', 'OUTPUT2'], ['ZERO', 'ZERORATEDOUTPUT']]);
      assert.equal(saved.status, 303, saved.text.slice(0, 400));
      const rows = await f.x.ctx.db('xero_mappings').where({ org_id: f.org.orgId, kind: 'tax_code_tax' }).orderBy('key').select('key', 'value');
      assert.deepEqual(rows.map((r: { key: string; value: string }) => `${r.key}=${r.value}`), ['STD=OUTPUT2', 'ZERO=ZERORATEDOUTPUT']);
      const again = await admin.get(SETTINGS);
      assert.match(again.text, /name="tax_code_code_0"[^>]*value="STD"/);
    });

    it('the API refuses an unmapped code with 422 naming the line and listing the known codes; nothing is recorded', async () => {
      const before = await saleCount();
      const res = await api({ currency: 'GBP', customer: { name: 'Typo Tim' }, lines: [line('STD'), line('VAT20')] });
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'VALIDATION_FAILED');
      const issues = res.body.error.details as { path: string; message: string }[];
      assert.deepEqual(issues.map((i) => i.path), ['lines.1.taxCode']);
      assert.match(issues[0]!.message, /^line 2: tax code "VAT20" is not one this organisation knows; known codes: STD, ZERO, .*OUTPUT2/);
      assert.equal(await saleCount(), before, 'no sale recorded');
      // Xero's own TaxTypes stay usable as codes, in any case, as they always were.
      const ok = await api({ currency: 'GBP', customer: { name: 'Own Type Olive' }, lines: [line('std'), line('zeroratedoutput', '3.00')] });
      assert.equal(ok.status, 201, JSON.stringify(ok.body));
    });

    it('the sale form offers the known codes as a dropdown and refuses another, keeping what was typed', async () => {
      const page = await staff.get('/sales/new');
      assert.equal(page.status, 200);
      assert.match(page.text, /<select id="line-0-taxCode" name="lines\[0\]\[taxCode\]">/);
      assert.match(page.text, /<option value="STD">STD · 20% \(VAT on Income\) \(OUTPUT2\)<\/option>/);
      const before = await saleCount();
      const res = await postForm(staff, '/sales/new', '/sales', {
        currency: 'GBP', 'customer[name]': 'Form Fay', 'lines[0][description]': 'Class', 'lines[0][quantity]': '1', 'lines[0][unitPrice]': '9.00', 'lines[0][taxCode]': 'VAT20',
      });
      assert.equal(res.status, 422);
      assert.match(res.text, /tax code &#34;VAT20&#34; is not one this organisation knows; known codes: STD, ZERO/);
      assert.match(res.text, /<option value="VAT20" selected>VAT20 \(not known\)<\/option>/);
      assert.equal(await saleCount(), before);
    });

    it('a mapped code posts with its Xero rate (read back from Xero)', async () => {
      const sale = await f.sell({ currency: 'GBP', reference: 'TAX-1', customer: { name: 'Mapped Mo' }, lines: [line('STD', '12.00'), line('ZERO', '3.00')] });
      await f.drained();
      const invoice = await invoiceOf(sale.id);
      assert.ok(invoice, 'invoice in Xero');
      assert.deepEqual(invoice.LineItems.map((l) => l.TaxType), ['OUTPUT2', 'ZERORATEDOUTPUT']);
      assert.equal(invoice.Total, 15);
    });

    it('a rate deleted in Xero under a synced mapping: the invoice fails naming the mapping to fix; Retry after the fix posts it', async () => {
      // The accountant adds a rate of the organisation's own; the admin refreshes and maps RED to it.
      const created = await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/taxrates`).send({ Name: 'Reduced (own)', Rate: '5', ReportTaxType: 'OUTPUT' });
      assert.equal(created.status, 201, created.text);
      const taxType = created.body.TaxType as string;
      assert.equal((await postForm(admin, SETTINGS, `${SETTINGS}/refresh`)).status, 303);
      assert.equal((await saveTaxCodes([['STD', 'OUTPUT2'], ['ZERO', 'ZERORATEDOUTPUT'], ['RED', taxType]])).status, 303);
      const first = await f.sell({ currency: 'GBP', customer: { name: 'Reduced Rae' }, lines: [line('RED', '10.50')] });
      await f.drained();
      assert.deepEqual((await invoiceOf(first.id))?.LineItems.map((l) => l.TaxType), [taxType]);

      // The accountant deletes the rate in Xero: the next sale coded RED is refused there.
      assert.equal((await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/taxrates/${taxType}/delete`)).status, 200);
      const sale = await f.sell({ currency: 'GBP', reference: 'TAX-RED', customer: { name: 'Reduced Rae' }, lines: [line('RED', '10.50')] });
      await f.drained();
      assert.equal(await invoiceOf(sale.id), undefined);
      const failed = await syncRecord(sale.id);
      assert.equal(failed.status, 'failed');
      assert.match(String(failed.error), new RegExp(`The TaxType code '${taxType}' does not exist`));
      assert.equal(failed.note, `Mapping to fix: tax code RED → ${taxType} (Xero settings, Tax codes)`);
      const salePage = await staff.get(`/sales/${sale.id}`);
      assert.match(salePage.text, new RegExp(`<strong class="sync-note">Mapping to fix: tax code RED → ${taxType} \\(Xero settings, Tax codes\\)</strong>`));
      const json = await staff.get(`/sales/${sale.id}/sync.json`);
      assert.equal(json.body.records[0].note, failed.note);
      const item = await f.x.host.deps.db('outbox').where({ type: 'xero.invoice.push', status: 'dead' }).whereRaw('payload like ?', [`%"saleId":${sale.id}%`]).first();
      assert.ok(item, 'the item is dead, not retrying in a loop');
      assert.equal(Number(item.attempts), 1);

      // Saving the old mapping again is refused now (checked live); the admin maps RED to Xero's 5 % rate.
      assert.equal((await postForm(admin, SETTINGS, `${SETTINGS}/refresh`)).status, 303);
      const stale = await saveTaxCodes([['STD', 'OUTPUT2'], ['ZERO', 'ZERORATEDOUTPUT'], ['RED', taxType]]);
      assert.equal(stale.status, 422);
      assert.match(stale.text, new RegExp(`Tax code RED: Tax type ${taxType} \\(Reduced \\(own\\)\\) is deleted in Xero`));
      assert.equal((await saveTaxCodes([['STD', 'OUTPUT2'], ['ZERO', 'ZERORATEDOUTPUT'], ['RED', 'RROUTPUT']])).status, 303);

      const retried = await postForm(admin, '/plugins/xero/sync/failures', '/plugins/xero/sync/failures/retry', { ids: String(item.id) });
      assert.equal(retried.status, 303);
      await f.drained();
      const invoice = await invoiceOf(sale.id);
      assert.deepEqual(invoice?.LineItems.map((l) => l.TaxType), ['RROUTPUT']);
      assert.equal(invoice?.Total, 10.5);
      const fixed = await syncRecord(sale.id);
      assert.equal(fixed.status, 'synced');
      assert.equal(fixed.note, null, 'the note goes with the failure');
      assert.equal(fixed.error, null);
    });
  });
}
