// Tips and service charges (issue 17) over HTTP against the app and the Xero emulator, on SQLite and
// PostgreSQL: a sale line may be a tip or a service charge (API `kind`, the sale form); each posts to its
// own account and tax rate, checked against Xero on the settings page like every mapping (a tip outside
// the scope of VAT by default); a tip with no account set fails naming the setting, and Retry after the
// fix posts it. Read back from Xero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { startSignedInFixture, type SyncFixture } from './syncFixture';

const SETTINGS = '/plugins/xero/settings';

interface XeroLine { AccountCode: string; TaxType: string; LineAmount: number; TaxAmount: number }
interface XeroInvoice { InvoiceNumber: string; LineItems: XeroLine[]; Total: number; TotalTax: number }

for (const kind of dbKinds()) {
  describe(`tips and service charges (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;

    before(async () => {
      ({ f, admin, staff } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const record = async (saleId: number) => db()('sync_records').where({ entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();
    const save = (extra: Record<string, string>) => postForm(admin, SETTINGS, SETTINGS, {
      invoice_status: 'AUTHORISED', due_rule_kind: 'on_receipt', reference_source: 'sale_reference', line_amount_handling: 'auto',
      method_account_cash: '091', method_account_card_terminal: '090', ...extra,
    });
    const dinner = (tip = '5.00') => ({
      currency: 'GBP', customer: { name: 'Table Four' },
      lines: [
        { description: 'Tasting menu', quantity: 1, unitPrice: '40.00', taxCode: 'OUTPUT2' },
        { description: 'Tip', quantity: 1, unitPrice: tip, kind: 'tip' },
        { description: 'Service charge 10%', quantity: 1, unitPrice: '4.00', kind: 'service_charge' },
      ],
    });
    let waitingSale = 0;

    it('a tip with no account set fails naming the setting (never a retry loop)', async () => {
      const sale = await f.sell(dinner());
      waitingSale = sale.id;
      await f.drained();
      const failed = await record(sale.id);
      assert.equal(failed.status, 'failed');
      assert.match(String(failed.error), /A tip line needs its own account/);
      assert.equal(failed.note, 'Mapping to fix: tips account (none) (Xero settings, Tips and service charges)');
      assert.equal(await invoiceOf(sale.id), undefined);
    });

    it('the failure links the settings page it names, on the failures page; the stored text keeps the path (CSV, CLI)', async () => {
      const item = await db()('outbox').where({ dedupe_key: `xero:invoice:${waitingSale}` }).first('last_error');
      assert.match(String(item.last_error), /Xero settings page \(\/plugins\/xero\/settings\), then retry/);
      const page = (await admin.get('/plugins/xero/sync/failures')).text;
      assert.match(page, /A tip line needs its own account[^<]*Xero settings page \(<a href="\/plugins\/xero\/settings">\/plugins\/xero\/settings<\/a>\), then retry/);
    });

    it('the settings page checks each kind\'s account and rate against Xero', async () => {
      // The accountant keeps tips for staff in a liability account of their own.
      const added = await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/accounts`).send({ Code: '835', Name: 'Tips held for staff', Type: 'CURRLIAB', TaxType: 'NONE' });
      assert.equal(added.status, 201, added.text);
      assert.equal((await postForm(admin, SETTINGS, `${SETTINGS}/refresh`)).status, 303);
      const page = await admin.get(SETTINGS);
      assert.match(page.text, /<option value="835"[^>]*>835 · Tips held for staff<\/option>/);
      const refused = await save({ tip_account: '090', service_charge_account: '260', service_charge_tax: 'INPUT2' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Account 090 is a BANK account: tips and service charges need an income account, or a liability account for money held for staff/);
      assert.match(refused.text, /Tax type INPUT2 \(20% \(VAT on Expenses\)\) is not a sales tax rate/);
      assert.equal((await save({ tip_account: '835', service_charge_account: '260' })).status, 303);
      const rows = await f.x.ctx.db('xero_mappings').where({ org_id: f.org.orgId }).whereIn('kind', ['tip_account', 'tip_tax', 'service_charge_account', 'service_charge_tax']).orderBy('kind').select('kind', 'value');
      assert.deepEqual(rows.map((r: { kind: string; value: string }) => `${r.kind}=${r.value}`), ['service_charge_account=260', 'tip_account=835']);
    });

    it('Retry after the fix posts the failed sale; each kind to its own account and rate (read back from Xero)', async () => {
      const item = await db()('outbox').where({ dedupe_key: `xero:invoice:${waitingSale}` }).first();
      assert.equal((await postForm(admin, '/plugins/xero/sync/failures', '/plugins/xero/sync/failures/retry', { ids: String(item.id) })).status, 303);
      await f.drained();
      const invoice = await invoiceOf(waitingSale);
      assert.ok(invoice, 'in Xero after the retry');
      assert.deepEqual(invoice.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount, l.TaxAmount]), [
        ['200', 'OUTPUT2', 40, 6.67], ['835', 'NONE', 5, 0], ['260', 'OUTPUT2', 4, 0.67],
      ]);
      assert.equal(invoice.Total, 49, 'to the penny');
      assert.equal(invoice.TotalTax, 7.34);
      assert.equal((await record(waitingSale)).note, null);
    });

    it('the API and the form take the line kind; the sale page shows it', async () => {
      const bad = await request(f.x.app).post('/api/v1/sales').set('authorization', `Bearer ${await token()}`)
        .send({ ...dinner(), lines: [{ description: 'Gratuity', quantity: 1, unitPrice: '2.00', kind: 'gratuity' }] });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.body.error.details, [{ path: 'lines.0.kind', message: 'must be one of item, tip, service_charge, voucher' }]);
      const res = await postForm(staff, '/sales/new', '/sales', {
        currency: 'GBP', 'customer[name]': 'Walk In',
        'lines[0][description]': 'Coffee', 'lines[0][quantity]': '1', 'lines[0][unitPrice]': '3.00', 'lines[0][kind]': 'item',
        'lines[1][description]': 'Tip', 'lines[1][quantity]': '1', 'lines[1][unitPrice]': '0.50', 'lines[1][kind]': 'tip',
      });
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const id = Number(/\/sales\/(\d+)/.exec(res.headers.location as string)![1]);
      assert.match((await staff.get(`/sales/${id}`)).text, /Tip <span class="tag" data-testid="line-kind">Tip<\/span>/);
      await f.drained();
      assert.deepEqual((await invoiceOf(id))?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['200', 'OUTPUT2', 3], ['835', 'NONE', 0.5]]);
    });

    let apiToken: string | undefined;
    async function token(): Promise<string> {
      const { createApiToken } = await import('../../../server/auth/apiTokens');
      apiToken ??= (await createApiToken(db(), { orgId: f.org.orgId, role: 'staff', name: 'till' })).token;
      return apiToken;
    }
  });
}
