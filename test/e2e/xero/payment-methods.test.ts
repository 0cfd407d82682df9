// The organisation's payment methods (issue 17) over HTTP against the app and the Xero emulator, on SQLite
// and PostgreSQL: bank transfer beside cash and card; an admin adds "Cheque" on the Payment methods page
// (CSRF, PRG, field errors); the Xero settings map it to its own clearing account, checked live (an income
// account is refused: payments need a bank account or one with payments enabled); the API and the forms take
// it; a disabled or unknown method is refused with 422 naming the field; each payment reaches Xero exactly
// once, into its mapped account (read back from Xero).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { startSignedInFixture, type SyncFixture } from './syncFixture';

const SETTINGS = '/plugins/xero/settings';
const METHODS = '/payment-methods';

interface XeroPayment { Amount: number; Status: string; Account: { AccountID: string; Code?: string }; Invoice?: { InvoiceNumber: string } }

for (const kind of dbKinds()) {
  describe(`organisation payment methods (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const api = () => request(f.x.app);
    const save = (extra: Record<string, string>) => postForm(admin, SETTINGS, SETTINGS, {
      invoice_status: 'AUTHORISED', due_rule_kind: 'on_receipt', reference_source: 'sale_reference', line_amount_handling: 'auto',
      method_account_cash: '091', method_account_card_terminal: '090', ...extra,
    });
    const class_ = (payments: unknown[]) => ({
      currency: 'GBP', customer: { name: 'Cheque Payer' }, lines: [{ description: 'Climbing course', quantity: 1, unitPrice: '60.00', taxCode: 'OUTPUT2' }], payments,
    });
    const paymentsOf = async (saleId: number) => (await f.books<XeroPayment>('payments')).filter((p) => p.Invoice?.InvoiceNumber === `LB-${saleId}`);

    it('the admin adds Cheque on the Payment methods page; a blank or taken name is refused beside its field, nothing added', async () => {
      const page = await admin.get(METHODS);
      assert.equal(page.status, 200);
      assert.match(page.text, /<td>Bank transfer<\/td><td><code>bank_transfer<\/code><\/td>/);
      assert.match(page.text, /<td>Paid in Xero<\/td><td><code>xero<\/code><\/td><td>Xero <span class="hint" data-testid="recorded-by-plugin">\(recorded by Xero only: not taken at the desk or through the API\)<\/span><\/td>/);
      assert.match(page.text, /data-testid="no-custom-methods"/);
      const refusals: [string, string][] = [['', 'is required'], ['cash', 'the install already has the method Cash \\(cash\\)'], ['2 for 1', 'must start with a letter']];
      for (const [label, message] of refusals) {
        const refused = await postForm(admin, METHODS, METHODS, { label });
        assert.equal(refused.status, 422);
        assert.match(refused.text, new RegExp(`<p class="field-error" id="method-label-error">[^<]*${message}`));
      }
      assert.equal(await f.x.host.deps.db('organisation_payment_methods').count({ n: '*' }).first().then((r) => Number(r?.n)), 0);
      const added = await postForm(admin, METHODS, METHODS, { label: 'Cheque' });
      assert.equal(added.status, 303);
      assert.equal(added.headers.location, METHODS);
      assert.match((await admin.get(METHODS)).text, /<td>Cheque<\/td>\s*<td><code>cheque<\/code><\/td>\s*<td>Taken<\/td>/);
      assert.equal((await postForm(admin, METHODS, METHODS, { label: 'CHEQUE' })).status, 422, 'the same name again');
      assert.equal((await staff.get(METHODS)).status, 403, 'admins only');
      const forged = await admin.post(METHODS).type('form').send({ label: 'Forged' });
      assert.equal(forged.status, 403, 'no CSRF token, nothing added');
    });

    it('the Xero settings map cheque and bank transfer, checked against Xero (income account refused)', async () => {
      const added = await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/accounts`)
        .send({ Code: '615', Name: 'Cheque clearing', Type: 'BANK', BankAccountNumber: '00000615' });
      assert.equal(added.status, 201, added.text);
      assert.equal((await postForm(admin, SETTINGS, `${SETTINGS}/refresh`)).status, 303);
      const page = await admin.get(SETTINGS);
      assert.match(page.text, /<label for="method_account_cheque">Cheque<\/label>/);
      assert.match(page.text, /<label for="method_account_bank_transfer">Bank transfer<\/label>/);
      const refused = await save({ method_account_cheque: '200', method_account_bank_transfer: '090' });
      assert.equal(refused.status, 422);
      assert.match(refused.text, /Account 200 is a (SALES|REVENUE) account: payments need a bank account \(or one with &#34;enable payments to this account&#34;\)/);
      assert.equal((await save({ method_account_cheque: '615', method_account_bank_transfer: '090' })).status, 303);
    });

    let chequeSale = 0;
    it('the API takes cheque and bank transfer; each payment reaches Xero once, into its own account', async () => {
      const sold = await api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(class_([{ method: 'cheque', amount: '40.00', providerRef: 'chq-100231' }]));
      assert.equal(sold.status, 201, sold.text);
      chequeSale = sold.body.id;
      const paid = await api().post(`/api/v1/sales/${chequeSale}/payments`).set('authorization', `Bearer ${token}`).send({ method: 'bank_transfer', amount: '20.00' });
      assert.equal(paid.status, 201, paid.text);
      // The till sends the cheque again (a retry after a timeout): the same payment, recorded and posted once.
      const again = await api().post(`/api/v1/sales/${chequeSale}/payments`).set('authorization', `Bearer ${token}`).send({ method: 'cheque', amount: '40.00', providerRef: 'chq-100231' });
      assert.equal(again.status, 200, again.text);
      await f.drained();
      const payments = await paymentsOf(chequeSale);
      assert.deepEqual(payments.map((p) => [p.Account.Code, p.Amount, p.Status]).sort(), [['090', 20, 'AUTHORISED'], ['615', 40, 'AUTHORISED']]);
      const synced = await f.x.host.deps.db('sync_records').where({ entity_type: 'payment', status: 'synced' }).count({ n: '*' }).first();
      assert.equal(Number(synced?.n), 2);
    });

    it('a disabled method is refused with 422 naming the field (API and form); an unknown one lists the methods', async () => {
      assert.equal((await postForm(admin, METHODS, `${METHODS}/disable`, { method: 'cheque' })).status, 303);
      assert.match((await admin.get(METHODS)).text, /<td>Disabled<\/td>/);
      const sale = await api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(class_([{ method: 'cheque', amount: '5.00' }]));
      assert.equal(sale.status, 422);
      assert.deepEqual(sale.body.error.details, [{ path: 'payments.0.method', message: 'cheque is disabled for this organisation (an admin can enable it under Payment methods)' }]);
      const unknown = await api().post(`/api/v1/sales/${chequeSale}/payments`).set('authorization', `Bearer ${token}`).send({ method: 'paypal', amount: '1.00' });
      assert.equal(unknown.status, 422);
      assert.equal(unknown.body.error.details[0].path, 'method');
      assert.match(unknown.body.error.details[0].message, /^must be one of cash, card_terminal, bank_transfer, .*$/);
      const unpaid = await api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(class_([]));
      const form = await postForm(staff, `/sales/${unpaid.body.id}`, `/sales/${unpaid.body.id}/payments`, { method: 'cheque', amount: '1.00' });
      assert.equal(form.status, 422);
      assert.match(form.text, /<p class="field-error" id="pay-method-error">cheque is disabled for this organisation/);
      assert.doesNotMatch((await staff.get('/sales/new')).text, /<option value="cheque"/, 'the form no longer offers it');
      const payments = await f.x.host.deps.db('payments').where({ sale_id: chequeSale }).count({ n: '*' }).first();
      assert.equal(Number(payments?.n), 2, 'nothing recorded');
    });

    it('enabled again, the forms offer it and take it; the sale page names it', async () => {
      assert.equal((await postForm(admin, METHODS, `${METHODS}/enable`, { method: 'cheque' })).status, 303);
      assert.match((await staff.get('/sales/new')).text, /<option value="cheque"[^>]*>Cheque<\/option>/);
      const sold = await api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(class_([]));
      assert.equal(sold.status, 201, sold.text);
      const form = await postForm(staff, `/sales/${sold.body.id}`, `/sales/${sold.body.id}/payments`, { method: 'cheque', amount: '60.00' });
      assert.equal(form.status, 303, form.text.slice(0, 300));
      assert.match((await staff.get(`/sales/${sold.body.id}`)).text, /<td>Cheque<\/td>/);
      await f.drained();
      assert.deepEqual((await paymentsOf(sold.body.id)).map((p) => [p.Account.Code, p.Amount]), [['615', 60]]);
    });
  });
}
