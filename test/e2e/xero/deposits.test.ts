// Deposits (issue 17) over HTTP against the app and the Xero emulator, on SQLite and PostgreSQL, read back
// from Xero: a payment taken before its sale's invoice (which waits for its service date) is posted at once
// as a prepayment into the method's account, and allocated to the invoice when the invoice is posted; two
// deposits and a balance paid at the desk afterwards; a deposit given back before the service (a refund out
// of the prepayment, its credit note then allocated to the invoice). Every figure to the penny, each record
// in Xero once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock, postForm, type Agent } from '../../support/xero';
import { instantOfWallHour } from '../../../plugins/xero/sync/nextRunAt';
import { setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { londonDay, until } from '../../support/wait';

const DAY = 86_400_000;

interface XeroInvoiceJson { InvoiceID: string; InvoiceNumber: string; DateString: string; Total: number; AmountPaid: number; AmountDue: number; AmountCredited: number; Status: string; Prepayments: { PrepaymentID: string; AppliedAmount: number }[] }
interface XeroPrepaymentJson { PrepaymentID: string; Total: number; RemainingCredit: number; Status: string; Contact: { Name: string }; Allocations: { Amount: number; Invoice: { InvoiceID: string } }[] }
interface XeroBankTransactionJson { Type: string; Reference: string; Total: number; BankAccount: { Code: string }; PrepaymentID?: string }
interface XeroLineJson { AccountCode: string; TaxType: string; LineAmount: number }
interface XeroPaymentJson { PaymentType: string; Amount: number; Account: { Code: string }; Invoice?: { InvoiceID: string }; Prepayment?: { PrepaymentID: string } }

/** Longer than the shared default: Xero allocations wait on the rate budget. */
const untilSlow = <T>(what: string, read: () => Promise<T | undefined | null | false>) => until(what, read, 30_000);

for (const kind of dbKinds()) {
  describe(`deposits (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    let staff: Agent;
    let admin: Agent;
    let token: string;

    before(async () => {
      ({ f, staff, admin, token } = await startSignedInFixture(kind));
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoiceJson>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const receiptOf = async (paymentId: number) => (await f.books<XeroBankTransactionJson>('banktransactions')).find((t) => t.Type === 'RECEIVE-PREPAYMENT' && t.Reference === `LB-P-${paymentId}`);
    const prepaymentOf = async (paymentId: number) => {
      const receipt = await receiptOf(paymentId);
      return receipt && (await f.books<XeroPrepaymentJson>('prepayments')).find((p) => p.PrepaymentID === receipt.PrepaymentID);
    };
    const syncOf = (entityType: string, entityId: number, recordType: string) => db()('sync_records').where({ entity_type: entityType, entity_id: entityId, record_type: recordType }).first();
    /** The deposit work is done (the invoices themselves wait for their day, so f.drained() would not return). */
    const depositsDrained = () => untilSlow('the deposit work to be done', async () => {
      const busy = await db()('outbox').where({ type: 'xero.deposit.push' }).whereIn('status', ['pending', 'leased']).count({ n: '*' });
      return Number((busy as { n: number | string }[])[0]?.n ?? 0) === 0;
    });
    const outstanding = async (saleId: number) => (await request(f.x.app).get(`/api/v1/sales/${saleId}`).set('authorization', `Bearer ${token}`)).body.outstanding as string;

    interface Call { seq: number; method: string; url: string; status: number }
    const calls = async () => (await request(f.emu.url).get('/_emulator/calls')).body as Call[];
    const fault = (body: Record<string, unknown>) => request(f.emu.url).post('/_emulator/faults').send(body).expect(201);

    // First: the next test moves Xero's clock to a service day 40 days on.
    it('exactly once: a prepayment whose answer was lost is found by its Reference and adopted, not sent again', async () => {
      const sale = await f.sell({ currency: 'GBP', customer: { name: 'Lost Answer Lou' }, serviceDate: londonDay(Date.now() + 40 * DAY), lines: [{ description: 'Party', quantity: 1, unitPrice: '60.00', taxCode: 'OUTPUT2' }] });
      await fault({ path: '/api.xro/2.0/BankTransactions', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 });
      const since = (await calls()).at(-1)?.seq ?? 0;
      const deposit = await f.pay(sale.id, { method: 'card_terminal', amount: '15.00' });
      await untilSlow('the deposit to be in Xero', async () => (await syncOf('payment', deposit.id, 'prepayment'))?.status === 'synced').catch(async (err) => {
        throw new Error(`${String(err)}: ${JSON.stringify(await db()('outbox').where({ type: 'xero.deposit.push' }).select())} ${JSON.stringify((await calls()).filter((c) => c.seq > since))}`);
      });
      const made = (await calls()).filter((c) => c.seq > since);
      assert.equal(made.filter((c) => c.method === 'PUT' && /\/BankTransactions/.test(c.url)).length, 1, 'sent once');
      assert.ok(made.some((c) => c.method === 'GET' && /\/BankTransactions\?/.test(c.url)), 'looked up by Reference on the retry');
      const receipts = (await f.books<XeroBankTransactionJson>('banktransactions')).filter((t) => t.Reference === `LB-P-${deposit.id}`);
      assert.equal(receipts.length, 1);
      assert.equal((await prepaymentOf(deposit.id))?.RemainingCredit, 15);
    });

    it('a booking cancelled with its deposit kept: the kept money is invoiced to the cancellation income account and paid by the deposit', async () => {
      const settings = await admin.get('/plugins/xero/settings');
      assert.match(settings.text, /<label for="cancellation_account">Cancellation income account<\/label>/);
      const sale = await f.sell({ currency: 'GBP', reference: 'PARTY-9', customer: { name: 'Cancelling Cass' }, serviceDate: londonDay(Date.now() + 40 * DAY), lines: [{ description: 'Birthday party', quantity: 1, unitPrice: '90.00', taxCode: 'OUTPUT2' }] });
      const deposit = await f.pay(sale.id, { method: 'cash', amount: '25.00' });
      await depositsDrained();
      assert.equal((await prepaymentOf(deposit.id))?.RemainingCredit, 25);

      const cancelled = await postForm(staff, `/sales/${sale.id}`, `/sales/${sale.id}/cancel`);
      assert.equal(cancelled.status, 303);
      const page = await staff.get(`/sales/${sale.id}`);
      assert.match(page.text, /Booking cancelled: 25.00 GBP kept, nothing more is owed./);
      assert.match(page.text, /<dd data-testid="sale-cancelled">[^<]*, 25.00 GBP kept<\/dd>/);
      assert.doesNotMatch(page.text, /Cancel booking, keep deposit/, 'once');
      assert.equal(await outstanding(sale.id), '0.00');

      // No cancellation income account set yet: the record fails at once, saying which setting to fix.
      const item = await untilSlow('the cancellation to fail', async () => db()('outbox').where({ dedupe_key: `xero:deposit:cancel:${sale.id}`, status: 'dead' }).first());
      const failedInvoice = await syncOf('sale', sale.id, 'invoice');
      assert.equal(failedInvoice.status, 'failed');
      assert.equal(failedInvoice.note, 'Mapping to fix: cancellation income account (none) (Xero settings, Deposits)');
      assert.match((await staff.get(`/sales/${sale.id}`)).text, /Mapping to fix: cancellation income account/);
      // The admin sets it, then retries the item.
      await setMappings(f.x, f.org.orgId, [{ kind: 'cancellation_account', key: '', value: '260' }]);
      await f.x.ctx.outbox.retry(db(), { ids: [Number(item.id)] });
      await depositsDrained();

      const invoice = (await f.books<XeroInvoiceJson & { LineItems: XeroLineJson[] }>('invoices')).find((i) => i.InvoiceNumber === `LB-${sale.id}`);
      assert.deepEqual([invoice?.Total, invoice?.Status, invoice?.AmountPaid, invoice?.AmountDue], [25, 'PAID', 25, 0], 'the kept deposit, paid by its prepayment');
      assert.deepEqual(invoice?.LineItems.map((l) => [l.AccountCode, l.TaxType, l.LineAmount]), [['260', 'NONE', 25]]);
      assert.equal((await prepaymentOf(deposit.id))?.RemainingCredit, 0);
      assert.match((await syncOf('sale', sale.id, 'invoice')).note, /Booking cancelled, deposit kept: 25.00 GBP invoiced to account 260/);

      // A second cancellation changes nothing.
      const again = await staff.post(`/sales/${sale.id}/cancel`).type('form').send({ _csrf: /name="_csrf" value="([^"]+)"/.exec(page.text)![1] });
      assert.equal(again.status, 303);
      assert.match((await staff.get(`/sales/${sale.id}`)).text, /was already cancelled/);
      assert.equal(Number((await db()('domain_events').where({ type: 'sale.cancelled' }).count({ n: '*' }))[0]!.n), 1);
    });

    it('deposits are prepayments at once, allocated to the invoice when it is posted; a balance at the desk and a deposit given back come out to the penny', async () => {
      const serviceDate = londonDay(Date.now() + 40 * DAY);
      const [y, m, d] = serviceDate.split('-').map(Number) as [number, number, number];
      const dayStart = instantOfWallHour(y, m, d, 0, 'Europe/London');
      const booking = (name: string, price: string) => ({ currency: 'GBP', customer: { name }, serviceDate, lines: [{ description: 'Summer camp week', quantity: 1, unitPrice: price, taxCode: 'OUTPUT2' }] });

      // One deposit.
      const one = await f.sell(booking('Deposit Dana', '80.00'));
      const oneDeposit = await f.pay(one.id, { method: 'card_terminal', amount: '30.00' });
      // Two deposits (one taken with the booking), the balance paid at the desk after the invoice exists.
      const two = await f.sell({ ...booking('Two Deposits Tom', '100.00'), payments: [{ method: 'cash', amount: '20.00' }] });
      const twoFirst = Number((await db()('payments').where({ sale_id: two.id }).first('id')).id);
      const twoSecond = await f.pay(two.id, { method: 'card_terminal', amount: '30.00' });
      // A deposit given back before the service.
      const back = await f.sell(booking('Refund Rita', '80.00'));
      const backDeposit = await f.pay(back.id, { method: 'cash', amount: '30.00' });
      const backRefund = await f.refund(back.id, { kind: 'amount', amount: '30.00', method: 'cash' });
      await depositsDrained();

      // Before the service: prepayments in Xero, no invoices.
      for (const s of [one, two, back]) assert.equal(await invoiceOf(s.id), undefined, 'the invoice still waits for its service date');
      const receipt = await receiptOf(oneDeposit.id);
      assert.equal(receipt?.Total, 30);
      assert.equal(receipt?.BankAccount.Code, '090', "into the card terminal's account");
      const onePrepayment = await prepaymentOf(oneDeposit.id);
      assert.equal(onePrepayment?.RemainingCredit, 30);
      assert.equal(onePrepayment?.Contact.Name, 'Deposit Dana');
      assert.equal((await prepaymentOf(twoFirst))?.RemainingCredit, 20);
      assert.equal((await receiptOf(twoFirst))?.BankAccount.Code, '091', 'cash into the cash account');
      assert.equal((await prepaymentOf(twoSecond.id))?.RemainingCredit, 30);
      const backPrepayment = await prepaymentOf(backDeposit.id);
      assert.equal(backPrepayment?.RemainingCredit, 0, 'given back');
      const refundOut = (await f.books<XeroPaymentJson>('payments')).filter((p) => p.Prepayment?.PrepaymentID === backPrepayment?.PrepaymentID);
      assert.deepEqual(refundOut.map((p) => [p.PaymentType, p.Amount, p.Account.Code]), [['ARPREPAYMENTPAYMENT', 30, '091']]);
      assert.equal((await syncOf('refund', backRefund.id, 'prepayment_refund'))?.status, 'synced');
      const waiting = await syncOf('payment', oneDeposit.id, 'prepayment');
      assert.equal(waiting.status, 'synced');
      assert.match(waiting.note, new RegExp(`until the invoice LB-${one.id} is posted`));
      assert.match((await staff.get(`/sales/${one.id}`)).text, /Deposit held in Xero as a prepayment until the invoice/);
      assert.equal(await db()('outbox').where({ type: 'xero.payment.push' }).whereRaw('payload like ?', [`%"paymentId":${oneDeposit.id},%`]).first(), undefined, 'never pushed as an invoice payment');

      // The service day comes (for Ledgerbridge's clock and Xero's): the invoices are posted, the deposits allocated.
      const clock = f.x.ctx.clock;
      const realNow = clock.now;
      const skew = dayStart + 60_000 - Date.now();
      clock.now = () => Date.now() + skew;
      await advanceEmulatorClock(f.emu.url, skew);
      // The first allocation's answer is lost: the retry reads the prepayment back and adopts it.
      await fault({ path: 'Prepayments/.*/Allocations', method: 'PUT', kind: 'timeout', landed: true, delayMs: 200, count: 1 });
      const since = (await calls()).at(-1)?.seq ?? 0;
      try {
        await db()('outbox').where({ type: 'xero.invoice.push' }).whereIn('status', ['pending']).update({ available_at: Date.now() });
        await untilSlow('the deposits to be allocated', async () => {
          const records = await db()('sync_records').whereIn('entity_id', [oneDeposit.id, twoFirst, twoSecond.id]).andWhere({ entity_type: 'payment', record_type: 'prepayment' });
          return records.length === 3 && records.every((r) => /allocated to the invoice/.test(String(r.note)));
        });
        await f.drained();
        // Xero's clock stays on the service day (it checks request times): so does ours until the end.

      const oneInvoice = await invoiceOf(one.id);
      assert.equal(oneInvoice?.DateString.slice(0, 10), serviceDate);
      assert.deepEqual([oneInvoice?.Total, oneInvoice?.AmountPaid, oneInvoice?.AmountDue], [80, 30, 50]);
      assert.deepEqual(oneInvoice?.Prepayments.map((p) => [p.PrepaymentID, p.AppliedAmount]), [[onePrepayment!.PrepaymentID, 30]]);
      assert.equal((await prepaymentOf(oneDeposit.id))?.RemainingCredit, 0);
      const allocationPuts = (await calls()).filter((c) => c.seq > since && c.method === 'PUT' && /\/Prepayments\/.*\/Allocations/.test(c.url));
      assert.equal(allocationPuts.length, 4, `one PUT per deposit with credit left (this test's three and the one before), none sent twice: ${allocationPuts.map((c) => c.url).join(', ')}`);
      assert.equal(await outstanding(one.id), '50.00', 'the booking system agrees');
      assert.match((await staff.get(`/sales/${one.id}`)).text, new RegExp(`30.00 GBP allocated to the invoice LB-${one.id} on \\d{1,2} [A-Z][a-z]{2} \\d{4}`));

      // Two deposits allocated, then the balance at the desk: an ordinary payment on the invoice.
      assert.deepEqual([(await invoiceOf(two.id))?.AmountPaid, (await invoiceOf(two.id))?.AmountDue], [50, 50]);
      await f.pay(two.id, { method: 'card_terminal', amount: '50.00' });
      // Queued on Ledgerbridge's (shifted) clock; the workers claim on the real one.
      await db()('outbox').where({ type: 'xero.payment.push', status: 'pending' }).update({ available_at: Date.now() });
      await f.drained();
      const twoInvoice = await invoiceOf(two.id);
      assert.deepEqual([twoInvoice?.Status, twoInvoice?.AmountPaid, twoInvoice?.AmountDue], ['PAID', 100, 0]);
      const onTwo = (await f.books<XeroPaymentJson>('payments')).filter((p) => p.Invoice?.InvoiceID === twoInvoice?.InvoiceID);
      assert.deepEqual(onTwo.map((p) => [p.PaymentType, p.Amount]), [['ACCRECPAYMENT', 50]], 'only the balance is a payment on the invoice');
      assert.equal(await outstanding(two.id), '0.00');

      // The deposit given back: the credit note follows the invoice and is allocated to it, never paid out again.
      const backInvoice = await invoiceOf(back.id);
      assert.deepEqual([backInvoice?.Total, backInvoice?.AmountCredited, backInvoice?.AmountPaid, backInvoice?.AmountDue], [80, 30, 0, 80 - 30]);
      assert.equal(await outstanding(back.id), '50.00');
      const outOf091 = (await f.books<XeroPaymentJson>('payments')).filter((p) => p.Account.Code === '091' && p.PaymentType !== 'ACCRECPAYMENT');
      assert.equal(outOf091.length, 1, 'the money went back once');

      // Exactly once: one prepayment per deposit.
      const receipts = (await f.books<XeroBankTransactionJson>('banktransactions')).filter((t) => t.Type === 'RECEIVE-PREPAYMENT');
      assert.equal(receipts.length, new Set(receipts.map((t) => t.Reference)).size, 'no Reference twice');
      assert.deepEqual(receipts.filter((t) => [oneDeposit.id, twoFirst, twoSecond.id, backDeposit.id].some((id) => t.Reference === `LB-P-${id}`)).map((t) => t.Total).sort(), [20, 30, 30, 30]);
      } finally {
        clock.now = realNow;
      }
    });
  });
}
