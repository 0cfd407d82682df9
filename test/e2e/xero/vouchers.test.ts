// Gift vouchers (issue 17) over HTTP against the app and the Xero emulator, on SQLite and PostgreSQL: selling
// one (a sale line of kind voucher) creates a voucher with a code, its amount and an expiry a year on, and its
// invoice line credits the voucher liability account set on Xero settings (checked live: a liability that
// accepts payments), outside the scope of VAT; redeeming it in part is a payment with method gift_voucher naming
// the code, paid in Xero from that liability account; a code that does not exist, has expired or lacks the
// balance is refused with 422 naming the field. Read back from Xero.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { startSignedInFixture, type SyncFixture } from './syncFixture';

const SETTINGS = '/plugins/xero/settings';

interface XeroLine { AccountCode: string; TaxType: string; LineAmount: number }
interface XeroInvoice { InvoiceNumber: string; LineItems: XeroLine[]; Total: number }
interface XeroPayment { Amount: number; Account: { Code?: string }; Invoice?: { InvoiceNumber: string } }
interface Voucher { code: string; saleId: number; amount: string; redeemed: string; balance: string; expiresOn: string; status: string }

for (const kind of dbKinds()) {
  describe(`gift vouchers (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const api = () => request(f.x.app);
    const sell = (body: Record<string, unknown>) => api().post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(body);
    const pay = (saleId: number, body: Record<string, unknown>) => api().post(`/api/v1/sales/${saleId}/payments`).set('authorization', `Bearer ${token}`).send(body);
    const save = (extra: Record<string, string>) => postForm(admin, SETTINGS, SETTINGS, {
      invoice_status: 'AUTHORISED', due_rule_kind: 'on_receipt', reference_source: 'sale_reference', line_amount_handling: 'auto',
      method_account_cash: '091', method_account_card_terminal: '090', ...extra,
    });
    const account = async (body: Record<string, unknown>) => {
      const res = await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/accounts`).send(body);
      assert.equal(res.status, 201, res.text);
    };
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const paymentsOf = async (saleId: number) => (await f.books<XeroPayment>('payments')).filter((p) => p.Invoice?.InvoiceNumber === `LB-${saleId}`);
    const voucherSale = (amount: string, extra: Record<string, unknown> = {}) => ({
      currency: 'GBP', customer: { name: 'Gift Giver' }, lines: [{ description: 'Gift voucher', quantity: 1, unitPrice: amount, kind: 'voucher' }],
      payments: [{ method: 'cash', amount }], ...extra,
    });

    it('the settings take a liability account that accepts payments for vouchers, checked against Xero', async () => {
      await account({ Code: '836', Name: 'Vouchers (no payments)', Type: 'CURRLIAB', TaxType: 'NONE' });
      await account({ Code: '837', Name: 'Gift vouchers held', Type: 'CURRLIAB', TaxType: 'NONE', EnablePaymentsToAccount: true });
      assert.equal((await postForm(admin, SETTINGS, `${SETTINGS}/refresh`)).status, 303);
      assert.match((await admin.get(SETTINGS)).text, /<option value="837"[^>]*>837 · Gift vouchers held<\/option>/);
      const revenue = await save({ voucher_account: '200' });
      assert.equal(revenue.status, 422);
      assert.match(revenue.text, /Account 200 is a (SALES|REVENUE) account: gift vouchers need a liability account/);
      const noPayments = await save({ voucher_account: '836' });
      assert.equal(noPayments.status, 422);
      assert.match(noPayments.text, /Account 836 \(Vouchers \(no payments\)\) does not accept payments/);
      assert.equal((await save({ voucher_account: '837', voucher_expiry_account: '260' })).status, 303);
    });

    let voucher: Voucher;
    it('selling a voucher creates it (code, amount, a year to use it) and credits the liability, not revenue, in Xero', async () => {
      const sold = await sell(voucherSale('50.00'));
      assert.equal(sold.status, 201, sold.text);
      assert.equal(sold.body.vouchers.length, 1);
      voucher = sold.body.vouchers[0];
      assert.match(voucher.code, /^GV-[A-Z0-9]{4}-[A-Z0-9]{4}$/);
      const soldOn = new Date().toISOString().slice(0, 10);
      assert.deepEqual({ ...voucher, code: '' }, {
        code: '', saleId: sold.body.id, currency: 'GBP', amount: '50.00', redeemed: '0.00', balance: '50.00',
        expiresOn: `${Number(soldOn.slice(0, 4)) + 1}${soldOn.slice(4)}`.replace(/-02-29$/, '-02-28'), status: 'active', writtenOff: null, writtenOffAutomatically: false, refunded: '0.00',
      });
      await f.drained();
      assert.deepEqual((await invoiceOf(sold.body.id))?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['837', 'NONE', 50]]);
      const page = await staff.get(`/sales/${sold.body.id}`);
      assert.match(page.text, new RegExp(`<td><code>${voucher.code}</code></td><td class="num">50.00 GBP</td><td class="num">0.00 GBP</td><td class="num">50.00 GBP</td>`));
    });

    it('redeeming it in part is a gift_voucher payment naming the code, paid in Xero from the liability account', async () => {
      const sale = await sell({ currency: 'GBP', customer: { name: 'Holder' }, lines: [{ description: 'Bouldering session', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }] });
      assert.equal(sale.status, 201, sale.text);
      const paid = await pay(sale.body.id, { method: 'gift_voucher', amount: '20.00', voucherCode: voucher.code.toLowerCase() });
      assert.equal(paid.status, 201, paid.text);
      assert.equal(paid.body.payment.voucherCode, voucher.code);
      const after = (await api().get(`/api/v1/sales/${voucher.saleId}`).set('authorization', `Bearer ${token}`));
      assert.deepEqual(after.body.vouchers.map((v: Voucher) => [v.redeemed, v.balance, v.status]), [['20.00', '30.00', 'active']]);
      await f.drained();
      assert.deepEqual((await paymentsOf(sale.body.id)).map((p) => [p.Account.Code, p.Amount]), [['837', 20]]);
      assert.match((await staff.get(`/sales/${sale.body.id}`)).text, new RegExp(`Gift voucher <code data-testid="payment-voucher">${voucher.code}</code>`));
    });

    it('refuses a code that does not exist, has expired or lacks the balance, naming the field; nothing changes', async () => {
      const sale = await sell({ currency: 'GBP', customer: { name: 'Holder' }, lines: [{ description: 'Course', quantity: 1, unitPrice: '100.00' }] });
      const unknown = await pay(sale.body.id, { method: 'gift_voucher', amount: '5.00', voucherCode: 'GV-AAAA-BBBB' });
      assert.equal(unknown.status, 422);
      assert.deepEqual(unknown.body.error.details, [{ path: 'voucherCode', message: 'no gift voucher GV-AAAA-BBBB exists in this organisation' }]);
      const tooMuch = await pay(sale.body.id, { method: 'gift_voucher', amount: '30.01', voucherCode: voucher.code });
      assert.equal(tooMuch.status, 422);
      assert.deepEqual(tooMuch.body.error.details, [{ path: 'amount', message: `is more than the 30.00 GBP left on gift voucher ${voucher.code}` }]);
      const noCode = await pay(sale.body.id, { method: 'gift_voucher', amount: '5.00' });
      assert.deepEqual(noCode.body.error.details, [{ path: 'voucherCode', message: 'is required with method gift_voucher: the code on the voucher' }]);
      // Sold two years ago: it expired a year ago.
      const old = await sell(voucherSale('15.00', { occurredAt: new Date(Date.now() - 2 * 366 * 86_400_000).toISOString() }));
      assert.equal(old.status, 201, old.text);
      assert.equal(old.body.vouchers[0].status, 'expired');
      const expired = await sell({
        currency: 'GBP', customer: { name: 'Late' }, lines: [{ description: 'Class', quantity: 1, unitPrice: '10.00' }],
        payments: [{ method: 'gift_voucher', amount: '10.00', voucherCode: old.body.vouchers[0].code }],
      });
      assert.equal(expired.status, 422);
      assert.deepEqual(expired.body.error.details, [{ path: 'payments.0.voucherCode', message: `gift voucher ${old.body.vouchers[0].code} expired on ${old.body.vouchers[0].expiresOn}` }]);
      const form = await postForm(staff, `/sales/${sale.body.id}`, `/sales/${sale.body.id}/payments`, { method: 'gift_voucher', amount: '31.00', voucherCode: voucher.code });
      assert.equal(form.status, 422);
      assert.match(form.text, /<p class="field-error" id="pay-amount-error">is more than the 30.00 GBP left on gift voucher/);
      const row = await f.x.host.deps.db('vouchers').where({ code: voucher.code }).first('balance_minor');
      assert.equal(Number(row.balance_minor), 3000, 'the balance is untouched');
      assert.equal(Number((await f.x.host.deps.db('payments').where({ sale_id: sale.body.id }).count({ n: '*' }).first())?.n), 0);
    });

    it("an admin writes off expired vouchers: each one's balance moves to revenue by one manual journal in Xero, once, in the audit trail", async () => {
      const db = f.x.host.deps.db;
      const expired = (await db('vouchers').where({ org_id: f.org.orgId }).andWhere('expires_on', '<', new Date().toISOString().slice(0, 10)).first()) as { code: string; sale_id: number; id: number };
      assert.equal((await staff.get('/vouchers')).status, 403, 'admins only');
      const list = await admin.get('/vouchers');
      assert.equal(list.status, 200);
      assert.match(list.text, new RegExp(`<td><code>${expired.code}</code></td><td><a href="/sales/${expired.sale_id}">Sale ${expired.sale_id}</a></td><td class="num">15.00 GBP</td><td class="num">0.00 GBP</td><td class="num">15.00 GBP</td><td>\\d{1,2} [A-Z][a-z]{2} \\d{4}</td><td>Expired</td>`));
      assert.match(list.text, new RegExp(`<td><code>${voucher.code}</code></td>.*<td class="num">20.00 GBP</td><td class="num">30.00 GBP</td>.*<td>Can be used</td>`));
      assert.equal((await admin.post('/vouchers/write-off').type('form').send({})).status, 403, 'no CSRF token: nothing written off');

      const written = await postForm(admin, '/vouchers', '/vouchers/write-off');
      assert.equal(written.status, 303);
      assert.match((await admin.get('/vouchers')).text, /Wrote off one expired voucher: 15.00 GBP moves from the voucher liability to revenue\./);
      const deadline = Date.now() + 20_000;
      for (;;) {
        const item = await db('outbox').where({ org_id: f.org.orgId, type: 'xero.voucher.journal' }).first('status', 'last_error');
        if (item?.status === 'done') break;
        assert.ok(Date.now() < deadline && item?.status !== 'dead', `journal item: ${JSON.stringify(item)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // Again: nothing left to write off, nothing sent twice.
      assert.equal((await postForm(admin, '/vouchers', '/vouchers/write-off')).status, 303);
      assert.match((await admin.get('/vouchers')).text, /No expired voucher has money left to write off\./);
      const journals = await f.books<{ Status: string; Narration: string; JournalLines: { AccountCode: string; LineAmount: number; TaxType: string }[] }>('manualjournals');
      assert.equal(journals.length, 1);
      assert.equal(journals[0]!.Status, 'POSTED');
      assert.equal(journals[0]!.Narration, `Expired gift voucher ${expired.code} (Sale ${expired.sale_id}) written off`, 'the sale by its one name');
      assert.deepEqual(journals[0]!.JournalLines.map((l) => [l.AccountCode, l.LineAmount, l.TaxType]), [['837', 15, 'NONE'], ['260', -15, 'NONE']]);

      const sale = await api().get(`/api/v1/sales/${expired.sale_id}`).set('authorization', `Bearer ${token}`);
      assert.deepEqual(sale.body.vouchers.map((v: Voucher & { writtenOff: string }) => [v.status, v.balance, v.writtenOff]), [['written_off', '0.00', '15.00']]);
      assert.deepEqual(sale.body.sync.filter((s: { recordType: string }) => s.recordType === 'voucher_journal').map((s: { status: string; externalRef: string }) => [s.status, s.externalRef]),
        [['synced', `Journal for ${expired.code}`]]);
      const events = await db('domain_events').where({ type: 'voucher.expired', org_id: f.org.orgId }).count({ n: '*' }).first();
      assert.equal(Number(events?.n), 1, 'the write-off is in the host\'s event log');
      const audit = await f.x.ctx.db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'voucher', entity_id: expired.id }).select('action', 'outcome');
      assert.deepEqual(audit.map((a: { action: string; outcome: string }) => [a.action, a.outcome]), [['created', 'ok']]);
    });

    it('with no expired-vouchers account the journal fails naming the setting (never a retry loop); Retry after the fix posts it once', async () => {
      const db = f.x.host.deps.db;
      assert.equal((await save({ voucher_account: '837' })).status, 303);
      const old = await sell(voucherSale('7.50', { occurredAt: new Date(Date.now() - 2 * 366 * 86_400_000).toISOString() }));
      assert.equal(old.status, 201, old.text);
      await f.drained();
      assert.equal((await postForm(admin, '/vouchers', '/vouchers/write-off')).status, 303);
      const voucherId = Number((await db('vouchers').where({ sale_id: old.body.id }).first('id')).id);
      const waitFor = async (status: string) => {
        const deadline = Date.now() + 20_000;
        for (;;) {
          const item = await db('outbox').where({ org_id: f.org.orgId, type: 'xero.voucher.journal', dedupe_key: `xero:voucher-journal:${voucherId}` }).first('id', 'status', 'attempts');
          if (item?.status === status) return item as { id: number; attempts: number };
          assert.ok(Date.now() < deadline, `journal item never ${status}: ${JSON.stringify(item)}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      const dead = await waitFor('dead');
      assert.equal(dead.attempts, 1, 'given up at once: a setting is missing, retrying cannot help');
      assert.match((await admin.get('/plugins/xero/sync/failures')).text, new RegExp(`value="${dead.id}"`), 'listed on the failures page, to retry');
      const record = await db('sync_records').where({ entity_type: 'sale', entity_id: old.body.id, record_type: 'voucher_journal' }).first('status', 'error', 'note');
      assert.equal(record.status, 'failed');
      assert.equal(record.note, 'Mapping to fix: expired vouchers revenue account (none) (Xero settings, Gift vouchers)');
      assert.equal((await f.books('manualjournals')).length, 1, 'nothing posted');

      assert.equal((await save({ voucher_account: '837', voucher_expiry_account: '260' })).status, 303);
      assert.equal((await postForm(admin, '/plugins/xero/sync/failures', '/plugins/xero/sync/failures/retry', { ids: String(dead.id) })).status, 303);
      await waitFor('done');
      const journals = await f.books<{ JournalLines: { AccountCode: string; LineAmount: number }[] }>('manualjournals');
      assert.equal(journals.length, 2);
      assert.deepEqual(journals[1]!.JournalLines.map((l) => [l.AccountCode, l.LineAmount]), [['837', 7.5], ['260', -7.5]]);
      assert.equal((await db('sync_records').where({ entity_type: 'sale', entity_id: old.body.id, record_type: 'voucher_journal' }).first('status')).status, 'synced');
    });
  });
}
