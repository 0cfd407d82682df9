// Service dates (issue 17) over HTTP against the app and the Xero emulator, on SQLite and PostgreSQL: a
// sale may name the day its service is delivered (API `serviceDate`, the sale form); with the organisation's
// setting "invoice date: the service date" its invoice is dated that day, and one for a day still to come
// waits — saying so on the sale's page — and is posted on that day, its deposit (taken before) allocated to it. Also the bug
// fixed on the way: documents were dated on the UTC day, not the organisation's (a sale at 00:30 in London
// in summer was invoiced the day before).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock, postForm, type Agent } from '../../support/xero';
import { instantOfWallHour } from '../../../plugins/xero/sync/nextRunAt';
import { setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { londonDay, until } from '../../support/wait';
import { formatCalendarDay } from '../../../server/domain/format';

const SETTINGS = '/plugins/xero/settings';
const DAY = 86_400_000;

interface XeroDoc { InvoiceNumber: string; DateString: string; Total: number; AmountPaid: number }
interface XeroPaymentJson { DateString: string; Reference: string; Amount: number }

for (const kind of dbKinds()) {
  describe(`service dates (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<XeroDoc>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const record = async (saleId: number) => db()('sync_records').where({ entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();
    const invoiceItem = async (saleId: number) => db()('outbox').where({ dedupe_key: `xero:invoice:${saleId}` }).first();
    const api = (body: Record<string, unknown>) => request(f.x.app).post('/api/v1/sales').set('authorization', `Bearer ${token}`).send(body);
    const line = { description: 'Summer camp week', quantity: 1, unitPrice: '80.00', taxCode: 'OUTPUT2' };

    it('dates documents on the organisation\'s day, not the UTC one (00:30 in London in June)', async () => {
      const sale = await f.sell({
        currency: 'GBP', customer: { name: 'Night Owl' }, occurredAt: '2026-05-31T23:30:00Z', lines: [line],
        payments: [{ method: 'cash', amount: '80.00' }],
      });
      await f.drained();
      assert.equal((await invoiceOf(sale.id))?.DateString.slice(0, 10), '2026-06-01');
      const payment = (await f.books<XeroPaymentJson>('payments')).find((p) => p.Amount === 80 && p.DateString.startsWith('2026-06'));
      assert.equal(payment?.DateString.slice(0, 10), '2026-06-01', 'the payment too');
    });

    it('takes serviceDate on the API and the form; a day that does not exist is refused', async () => {
      const bad = await api({ currency: 'GBP', customer: { name: 'Typo' }, serviceDate: '2027-02-30', lines: [line] });
      assert.equal(bad.status, 422);
      assert.deepEqual(bad.body.error.details, [{ path: 'serviceDate', message: 'must be a date that exists, YYYY-MM-DD, e.g. 2026-06-14' }]);
      const page = await staff.get('/sales/new');
      assert.match(page.text, /<input id="service-date" name="serviceDate" type="date" value="">/);
      const res = await postForm(staff, '/sales/new', '/sales', {
        currency: 'GBP', 'customer[name]': 'Form Fran', serviceDate: '2026-03-02',
        'lines[0][description]': 'Party', 'lines[0][quantity]': '1', 'lines[0][unitPrice]': '50.00',
      });
      assert.equal(res.status, 303);
      const id = Number(/\/sales\/(\d+)/.exec(res.headers.location as string)![1]);
      const shown = await staff.get(`/sales/${id}`);
      assert.match(shown.text, /<dd data-testid="sale-service-date">2 Mar 2026<\/dd>/);
      const got = await request(f.x.app).get(`/api/v1/sales/${id}`).set('authorization', `Bearer ${token}`);
      assert.equal(got.body.serviceDate, '2026-03-02');
      await f.drained();
      assert.equal((await invoiceOf(id))?.DateString.slice(0, 10), londonDay(Date.now()), 'dated on the sale date while that is the setting');
    });

    it('the admin chooses "the service date" on the settings page; a past service date dates the invoice at once', async () => {
      const fields: Record<string, string> = {
        invoice_status: 'AUTHORISED', invoice_date: 'service_date', due_rule_kind: 'on_receipt', reference_source: 'sale_reference', line_amount_handling: 'auto',
        method_account_cash: '091', method_account_card_terminal: '090',
      };
      const saved = await postForm(admin, SETTINGS, SETTINGS, fields);
      assert.equal(saved.status, 303, saved.text.slice(0, 300));
      assert.match((await admin.get(SETTINGS)).text, /<option value="service_date" selected>/);
      const sale = await f.sell({ currency: 'GBP', customer: { name: 'Late Booker' }, serviceDate: '2026-03-01', lines: [line] });
      await f.drained();
      assert.equal((await invoiceOf(sale.id))?.DateString.slice(0, 10), '2026-03-01');
    });

    it('a service date to come: the invoice waits (saying so), goes back if brought forward, and is posted that day, its deposit allocated to it', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
      const serviceDate = londonDay(Date.now() + 40 * DAY);
      const [y, m, d] = serviceDate.split('-').map(Number) as [number, number, number];
      const dayStart = instantOfWallHour(y, m, d, 0, 'Europe/London');
      const sale = await f.sell({
        currency: 'GBP', reference: 'CAMP-1', customer: { name: 'Early Planner' }, serviceDate, lines: [line],
        payments: [{ method: 'card_terminal', amount: '80.00' }],
      });
      const waiting = await record(sale.id);
      assert.equal(waiting.status, 'pending');
      const note = `Waits for its service date: the invoice is dated ${formatCalendarDay(serviceDate)} and posted to Xero on that day`;
      assert.equal(waiting.note, note);
      assert.equal(Number((await invoiceItem(sale.id)).available_at), dayStart, 'held until the day begins in London');
      const page = await staff.get(`/sales/${sale.id}`);
      assert.match(page.text, new RegExp(`<strong class="sync-note">${note}</strong>`));

      // Brought forward (as switching the schedule to real time does): the push puts it back, sending nothing.
      await db()('outbox').where({ dedupe_key: `xero:invoice:${sale.id}` }).update({ available_at: Date.now() });
      const back = await until('the invoice item to go back', async () => {
        const item = await invoiceItem(sale.id);
        return Number(item.attempts) === 1 && item.status === 'pending' ? item : undefined;
      });
      assert.ok(Number(back.available_at) >= dayStart, `back until ${new Date(Number(back.available_at)).toISOString()}`);
      assert.equal(await invoiceOf(sale.id), undefined, 'nothing in Xero before the day');
      assert.equal((await record(sale.id)).note, note);
      // Its payment, taken before the invoice, is a deposit: in Xero at once as a prepayment (deposits.test.ts), never an invoice payment.
      assert.equal(await db()('outbox').where({ type: 'xero.payment.push' }).whereRaw('payload like ?', [`%"saleId":${sale.id}%`]).first(), undefined);
      assert.ok(await db()('outbox').where({ type: 'xero.deposit.push', subject: `xero:deposits:${sale.id}` }).first(), 'posted as a deposit');

      // The day comes: for Ledgerbridge's clock, and for Xero's (which checks the request signatures' time).
      const clock = f.x.ctx.clock;
      const realNow = clock.now;
      const skew = dayStart + 60_000 - Date.now();
      clock.now = () => Date.now() + skew;
      await advanceEmulatorClock(f.emu.url, skew);
      try {
        await db()('outbox').where({ dedupe_key: `xero:invoice:${sale.id}` }).update({ available_at: Date.now() });
        await until('the invoice to be synced', async () => (await record(sale.id)).status === 'synced').catch(async (err) => {
          throw new Error(`${String(err)}: ${JSON.stringify(await invoiceItem(sale.id))}`);
        });
        await f.drained();
      } finally {
        clock.now = realNow;
      }
      const invoice = await invoiceOf(sale.id);
      assert.equal(invoice?.DateString.slice(0, 10), serviceDate);
      assert.equal(invoice?.AmountPaid, 80, 'its deposit was allocated to it');
      assert.equal((await record(sale.id)).note, null, 'the note goes once it is posted');
    });
  });
}
