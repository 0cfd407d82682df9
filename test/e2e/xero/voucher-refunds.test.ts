// Refunding a sold gift voucher (issue 17) over HTTP against the app and the Xero emulator, on SQLite and
// PostgreSQL: a refund of the voucher's line comes off its unredeemed balance; one for more than is still
// unredeemed is refused (422 naming the line, nothing changed); a voucher refunded to nothing is cancelled and
// cannot be redeemed; a refund by amount takes the voucher line's proportional share, as its credit note
// does. In Xero each credit note debits the voucher liability account with NONE, as the sale's line credited it.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import type { Agent } from '../../support/xero';
import { setUpVoucherAccounts, startSignedInFixture, type SyncFixture } from './syncFixture';

interface XeroLine { AccountCode: string; TaxType: string; LineAmount: number }
interface XeroCreditNote { CreditNoteNumber: string; LineItems: XeroLine[]; Total: number }
interface Voucher { code: string; redeemed: string; balance: string; status: string; refunded: string }

for (const kind of dbKinds()) {
  describe(`refunding a gift voucher (${kind})`, { timeout: 150_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
      await setUpVoucherAccounts(f, admin);
    });
    after(async () => f?.close());

    const api = () => request(f.x.app);
    const auth = () => ({ authorization: `Bearer ${token}` });
    const sell = (body: Record<string, unknown>) => api().post('/api/v1/sales').set(auth()).send(body);
    const refund = (saleId: number, body: Record<string, unknown>) => api().post(`/api/v1/sales/${saleId}/refunds`).set(auth()).send(body);
    const vouchersOf = async (saleId: number) => (await api().get(`/api/v1/sales/${saleId}`).set(auth())).body.vouchers as Voucher[];
    const creditNoteOf = async (refundId: number) => (await f.books<XeroCreditNote>('creditnotes')).find((n) => n.CreditNoteNumber === `LB-R-${refundId}`);
    const counts = async () => {
      const db = f.x.host.deps.db;
      const n = async (table: string) => Number((await db(table).count({ n: '*' }).first())?.n);
      return { refunds: await n('refunds'), events: await n('domain_events'), balances: (await db('vouchers').orderBy('id').pluck('balance_minor')).map(Number) };
    };

    let saleId: number;
    let voucherLineId: number;
    let code: string;
    it('a refund of the voucher line larger than what is still unredeemed is refused, naming the line; nothing changes', async () => {
      const sold = await sell({
        currency: 'GBP', customer: { name: 'Gift Giver' }, payments: [{ method: 'cash', amount: '80.00' }],
        lines: [{ description: 'Climbing class', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }, { description: 'Gift voucher', quantity: 1, unitPrice: '50.00', kind: 'voucher' }],
      });
      assert.equal(sold.status, 201, sold.text);
      saleId = sold.body.id;
      voucherLineId = sold.body.lines[1].id;
      code = sold.body.vouchers[0].code;
      const other = await sell({ currency: 'GBP', customer: { name: 'Holder' }, lines: [{ description: 'Session', quantity: 1, unitPrice: '20.00' }], payments: [{ method: 'gift_voucher', amount: '20.00', voucherCode: code }] });
      assert.equal(other.status, 201, other.text);

      const before = await counts();
      const tooMuch = await refund(saleId, { kind: 'lines', method: 'cash', lines: [{ lineId: voucherLineId, amount: '30.01' }] });
      assert.equal(tooMuch.status, 422, tooMuch.text);
      assert.deepEqual(tooMuch.body.error.details, [{ path: 'lines.0.amount', message: `line 2 (gift voucher ${code}): refunds 30.01 GBP, more than the 30.00 GBP still unredeemed on the voucher (20.00 GBP redeemed)` }]);
      const whole = await refund(saleId, { kind: 'lines', method: 'cash', lines: [{ lineId: voucherLineId }] });
      assert.deepEqual(whole.body.error.details.map((d: { path: string }) => d.path), ['lines.0.lineId']);
      const full = await refund(saleId, { kind: 'full', method: 'cash' });
      assert.equal(full.status, 422);
      assert.deepEqual(full.body.error.details.map((d: { path: string }) => d.path), ['kind']);
      assert.deepEqual(await counts(), before);
    });

    it('a refund of part of the voucher line comes off its balance; its credit note debits the voucher liability with NONE', async () => {
      const part = await refund(saleId, { kind: 'lines', method: 'cash', lines: [{ lineId: voucherLineId, amount: '10.00' }] });
      assert.equal(part.status, 201, part.text);
      assert.deepEqual((await vouchersOf(saleId)).map((v) => [v.redeemed, v.refunded, v.balance, v.status]), [['20.00', '10.00', '20.00', 'active']]);
      await f.drained();
      assert.deepEqual((await creditNoteOf(part.body.refund.id))?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['837', 'NONE', 10]]);
    });

    it('refunded to nothing, the voucher is cancelled: it cannot be redeemed, and the pages say so', async () => {
      const rest = await refund(saleId, { kind: 'lines', method: 'cash', lines: [{ lineId: voucherLineId, amount: '20.00' }] });
      assert.equal(rest.status, 201, rest.text);
      assert.deepEqual((await vouchersOf(saleId)).map((v) => [v.refunded, v.balance, v.status]), [['30.00', '0.00', 'cancelled']]);
      const redeem = await sell({ currency: 'GBP', customer: { name: 'Holder' }, lines: [{ description: 'Session', quantity: 1, unitPrice: '1.00' }], payments: [{ method: 'gift_voucher', amount: '1.00', voucherCode: code }] });
      assert.equal(redeem.status, 422);
      assert.deepEqual(redeem.body.error.details, [{ path: 'payments.0.voucherCode', message: `gift voucher ${code} was cancelled: its sale line was refunded` }]);
      assert.match((await staff.get(`/sales/${saleId}`)).text, /<td>Cancelled: 30.00 GBP refunded<\/td>/);
      assert.match((await admin.get('/vouchers')).text, new RegExp(`<td><code>${code}</code></td>.*<td>Cancelled \\(refunded 30.00 GBP\\)</td>`));
      await f.drained();
      assert.deepEqual((await creditNoteOf(rest.body.refund.id))?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['837', 'NONE', 20]]);
    });

    it('a full refund of a voucher sale cancels it; a refund by amount takes the voucher line\'s share, as the credit note splits it', async () => {
      const alone = await sell({ currency: 'GBP', customer: { name: 'Changed Mind' }, lines: [{ description: 'Gift voucher', quantity: 1, unitPrice: '25.00', kind: 'voucher' }], payments: [{ method: 'cash', amount: '25.00' }] });
      const full = await refund(alone.body.id, { kind: 'full', method: 'cash' });
      assert.equal(full.status, 201, full.text);
      assert.deepEqual((await vouchersOf(alone.body.id)).map((v) => [v.refunded, v.balance, v.status]), [['25.00', '0.00', 'cancelled']]);

      const mixed = await sell({
        currency: 'GBP', customer: { name: 'Part Refund' }, payments: [{ method: 'cash', amount: '80.00' }],
        lines: [{ description: 'Climbing class', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }, { description: 'Gift voucher', quantity: 1, unitPrice: '50.00', kind: 'voucher' }],
      });
      const byAmount = await refund(mixed.body.id, { kind: 'amount', amount: '10.01', method: 'cash' });
      assert.equal(byAmount.status, 201, byAmount.text);
      assert.deepEqual((await vouchersOf(mixed.body.id)).map((v) => [v.refunded, v.balance, v.status]), [['6.26', '43.74', 'active']]);
      await f.drained();
      assert.deepEqual((await creditNoteOf(full.body.refund.id))?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['837', 'NONE', 25]]);
      const note = await creditNoteOf(byAmount.body.refund.id);
      assert.deepEqual(note?.LineItems.filter((l) => l.AccountCode === '837').map((l) => [l.TaxType, l.LineAmount]), [['NONE', 6.26]], 'the liability is debited by the voucher\'s share, as its balance went down');
      assert.equal(note?.Total, 10.01);
    });
  });
}
