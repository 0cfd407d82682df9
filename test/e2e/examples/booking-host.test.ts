// The second host, end to end: examples/booking-host (its own tables, login and pages; Ledgerbridge through
// ledgerbridge/embed only) runs as real processes — a web process and a worker process, as an install runs
// them — and is driven over HTTP like its staff would: sign in, book, take payments, refund, connect Xero as
// a legacy private app and save its settings on the plugin's pages, save the Stripe settings, import the
// history. A card payment comes from the Stripe emulator's webhook. What counts is the Xero emulator's books:
// every booking an invoice, the partial refund a credit note allocated to its invoice, every payment a
// payment — each exactly once, also after a history import and after the worker was SIGKILLed while Xero
// held a batch of invoices it had already created.
//
// Budget: on this 2-core machine a database's run takes 11–14 s alone and 14–17 s beside another heavy e2e file
// (payouts/stripe-to-xero); 60 s per database is more than three times that.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request, { type Response as SuperResponse } from 'supertest';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { TestScope } from '../../support/scope';
import type { AppProcess } from '../../support/processes';
import { registerPrivateAppAt, startXeroEmulator, UK_ORG, type RunningEmulator } from '../../support/xero';
import { startEmulator as startStripeEmulator, type Running as RunningStripe } from '../../../emulators/stripe/test/harness';
import { SYNC_ITEM_TYPES } from '../../../plugins/xero/sync/types';

const BUDGET_MS = 60_000;
const DAY = 86_400_000;
const PASSWORD = 'riverside e2e password';
const STRIPE_WEBHOOK_SECRET = 'whsec_bookingHostE2eSecret0123456789';
/** What puts bookings in Xero (deposits and voucher journals too), and what brings Stripe's events in (Xero's history notes wait behind the rate budget: not awaited). */
const AWAITED_TYPES = SYNC_ITEM_TYPES;

type Doc = Record<string, unknown> & { InvoiceNumber?: string; CreditNoteNumber?: string; InvoiceID?: string; Status?: string; Total?: number; AmountDue?: number; AmountCredited?: number };
type Agent = ReturnType<typeof request.agent>;

const csrfFrom = (res: SuperResponse): string => {
  const match = /name="_csrf" value="([^"]+)"/.exec(res.text);
  if (!match?.[1]) throw new Error(`no CSRF token on the page (status ${res.status}): ${res.text.slice(0, 300)}`);
  return match[1];
};
const dateOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The booking system's staff at its pages (and at Ledgerbridge's pages inside it). */
class Desk {
  constructor(readonly agent: Agent) {}

  static async signIn(url: string, email: string): Promise<Desk> {
    const agent = request.agent(url);
    const page = await agent.get('/login').expect(200);
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password: PASSWORD, next: '/bookings' });
    assert.equal(res.status, 303, `sign in as ${email}: ${res.text.slice(0, 300)}`);
    return new Desk(agent);
  }

  /** GET the page for its CSRF token, then post the form as a browser would. */
  async post(pagePath: string, action: string, fields: Record<string, string>): Promise<SuperResponse> {
    const page = await this.agent.get(pagePath);
    assert.equal(page.status, 200, `${pagePath}: ${page.status} ${page.text.slice(0, 500)}`);
    return this.agent.post(action).type('form').send({ _csrf: csrfFrom(page), ...fields });
  }

  async book(guest: string, items: { label: string; qty: number; price: string; category: string }[], bookedOn = ''): Promise<number> {
    const fields: Record<string, string> = { guestName: guest, guestEmail: `${guest.toLowerCase().replace(/\W+/g, '.')}@example.com`, bookedOn };
    items.forEach((item, i) => Object.assign(fields, { [`item${i}Label`]: item.label, [`item${i}Qty`]: String(item.qty), [`item${i}Price`]: item.price, [`item${i}Category`]: item.category }));
    const res = await this.post('/bookings', '/bookings', fields);
    assert.equal(res.status, 303, `booking for ${guest}: ${res.text.slice(0, 500)}`);
    return Number(/\/bookings\/(\d+)$/.exec(String(res.headers.location))![1]);
  }

  async pay(bookingId: number, method: string, amount: string): Promise<void> {
    const res = await this.post(`/bookings/${bookingId}`, `/bookings/${bookingId}/payments`, { method, amount });
    assert.equal(res.status, 303, `payment on ${bookingId}: ${res.text.slice(0, 500)}`);
  }

  async refund(bookingId: number, amount: string, method = ''): Promise<void> {
    const res = await this.post(`/bookings/${bookingId}`, `/bookings/${bookingId}/refunds`, { amount, method, reason: 'Court closed for an hour' });
    assert.equal(res.status, 303, `refund on ${bookingId}: ${res.text.slice(0, 500)}`);
  }
}

const court = (hours: number) => [{ label: 'Court 2', qty: hours, price: '30.00', category: 'court-hire' }];
const lesson = [{ label: 'Coaching, 45 minutes', qty: 1, price: '40.00', category: 'coaching' }, { label: 'Racket hire', qty: 1, price: '4.50', category: 'equipment' }];

for (const kind of dbKinds()) {
  describe(`examples/booking-host over HTTP, Xero and Stripe emulators (${kind})`, { timeout: BUDGET_MS }, (suite) => {
    // One scope for the suite's steps: a timeout anywhere ends every process, loop and request.
    const scope = new TestScope().follow(suite.signal);
    let xero: RunningEmulator;
    let stripe: RunningStripe;
    let t: TestDatabase;
    let web: AppProcess;
    let worker: AppProcess | undefined;
    let owner: Desk;
    let tenantId: string;
    let workers = 0;
    let started = 0;

    const env = () => ({
      DATABASE_URL: t.url, MASTER_KEY: Buffer.alloc(32, 9).toString('base64'), SESSION_SECRET: 'booking-host-e2e-session-secret-0123456789',
      BOOKING_DEMO_PASSWORD: PASSWORD, XERO_API_URL: xero.url, XERO_IDENTITY_URL: xero.url, XERO_HTTP_TIMEOUT_MS: '4000',
      XERO_PAYOUT_SWEEP_CRON: 'off', STRIPE_API_BASE: stripe.url, STRIPE_SWEEP_CRON: 'off',
      // A killed worker's lease lapses after 4 s (13 s for items it had a request to Xero on the way for: 5 s +
      // twice the Xero timeout, server/outbox/README.md), and idle workers look for work every 200 ms.
      OUTBOX_LEASE_MS: '4000', OUTBOX_POLL_MS: '200', WORKER_CONCURRENCY: '2',
    });
    const spawn = async (role: 'web' | 'worker') => {
      const p = await scope.spawn({
        id: role === 'web' ? 'booking-web' : `booking-worker-${++workers}`, role, env: env(), entry: 'examples/booking-host/main.ts',
        readyMarker: role === 'web' ? 'Booking host listening on' : 'Booking host workers started',
      });
      await p.ready;
      return p;
    };
    const startWorker = async () => {
      worker = await spawn('worker');
    };

    const books = async (collection: string): Promise<Doc[]> => {
      const res = await request(xero.url).get(`/_emulator/tenants/${tenantId}/${collection}`).expect(200);
      return (res.body as { items: Doc[] }).items;
    };
    const exactlyOne = async (collection: 'invoices' | 'creditnotes', number: string): Promise<Doc> => {
      const found = (await books(collection)).filter((d) => (collection === 'invoices' ? d.InvoiceNumber : d.CreditNoteNumber) === number);
      assert.equal(found.length, 1, `${collection} ${number}: ${found.length} in Xero`);
      return found[0]!;
    };
    const paymentsOn = async (invoice: Doc) => (await books('payments')).filter((p) => (p.Invoice as Doc | undefined)?.InvoiceID === invoice.InvoiceID);
    const refundIdOf = async (bookingId: number) => Number((await t.db('booking_refunds').where({ booking_id: bookingId }).first('id')).id);

    /** Until no sync item (nor any of Stripe's) is waiting, in flight or paused, and the history imports are done queueing. */
    const drained = async (timeoutMs = 90_000) => {
      const deadline = Date.now() + timeoutMs;
      while (scope.active) {
        const busy = Number((await t.db('outbox').where((q) => q.whereIn('type', AWAITED_TYPES).orWhere('plugin_id', 'stripe'))
          .whereIn('status', ['pending', 'leased', 'paused']).count({ n: '*' }))[0]!.n);
        const importing = Number((await t.db('xero_backfills').where('status', 'running').count({ n: '*' }))[0]!.n);
        if (busy === 0 && importing === 0) return;
        if (Date.now() > deadline) {
          const rows = await t.db('outbox').whereNot('status', 'done').select('id', 'type', 'status', 'attempts', 'last_error');
          throw new Error(`not drained in ${timeoutMs} ms: ${JSON.stringify(rows).slice(0, 1500)}`);
        }
        await scope.sleep(100);
      }
    };
    const noFailures = async () => {
      assert.deepEqual(await t.db('outbox').whereIn('status', ['dead', 'paused']).select('type', 'last_error'), []);
      assert.deepEqual(await t.db('sync_records').whereNot('status', 'synced').select('entity_type', 'entity_id', 'status', 'error'), []);
    };

    before(async () => {
      started = Date.now();
      xero = await startXeroEmulator();
      stripe = await startStripeEmulator({ account: { country: 'GB' } });
      t = await createTestDatabase(kind, [], { migrate: false });
      web = await spawn('web');
      owner = await Desk.signIn(web.url!, 'owner@riverside.example');
    });
    after(async () => {
      await scope.close();
      await stripe?.close();
      await xero?.close();
      await t?.destroy();
      console.log(`booking-host e2e (${kind}): ${Math.round((Date.now() - started) / 1000)} s`);
    });

    // History: bookings made on paper before Xero was connected, one of them before the import's start date.
    let old: number, paidInFull: number, refundedBefore: number;

    it('runs on its own tables, login and pages; Ledgerbridge\'s tables beside them', async () => {
      old = await owner.book('Olga Early', court(1), dateOf(Date.now() - 40 * DAY));
      paidInFull = await owner.book('Paul Paper', court(2), dateOf(Date.now() - 10 * DAY));
      refundedBefore = await owner.book('Rita Rain', lesson, dateOf(Date.now() - 9 * DAY));
      await owner.pay(paidInFull, 'cash', '60.00');
      await owner.refund(refundedBefore, '4.50');
      const page = await owner.agent.get(`/bookings/${refundedBefore}`).expect(200);
      assert.match(page.text, /Total 44\.50 GBP · paid 0\.00 GBP · reduced by 4\.50 GBP · <strong>due 40\.00 GBP<\/strong>/);
      assert.equal((await t.db('bookings')).length, 3, 'the booking system\'s own tables');
      assert.equal((await t.db('domain_events')).length, 5, 'every booking, payment and refund emitted to Ledgerbridge');
      assert.equal((await t.db('outbox')).length, 0, 'nothing for Xero before it is connected');
      const desk = await Desk.signIn(web.url!, 'desk@riverside.example');
      assert.equal((await desk.agent.get('/plugins/xero/connection')).status, 403, 'the desk role is Ledgerbridge\'s staff: not the connection page');
      assert.equal((await request(web.url!).get('/plugins/xero/connection')).status, 303, 'signed out: to the login page');
    });

    it('connects Xero as a legacy private app and saves its settings, on the plugin\'s pages', async () => {
      const page = await owner.agent.get('/plugins/xero/connection');
      assert.equal(page.status, 200, page.text.slice(0, 500));
      assert.match(page.text, /Riverside Bookings/, 'inside the booking system\'s layout');
      const certificate = await owner.agent.get('/plugins/xero/legacy/certificate.cer').buffer(true).parse((r, done) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (chunk: string) => (text += chunk));
        r.on('end', () => done(null, text));
      });
      assert.equal(certificate.status, 200);
      const app = await registerPrivateAppAt(xero.url, certificate.body as string, { organisationName: UK_ORG });
      tenantId = app.tenantId;
      const saved = await owner.post('/plugins/xero/connection', '/plugins/xero/legacy/connect', { consumerKey: app.consumerKey, consumerSecret: app.consumerSecret });
      assert.equal(saved.status, 303, saved.text.slice(0, 500));
      assert.match((await owner.agent.get('/plugins/xero/connection')).text, /Connected to Demo Company \(UK\)/);

      const settings = await owner.post('/plugins/xero/settings', '/plugins/xero/settings', {
        default_sales_account: '200', default_tax: 'OUTPUT2', method_account_cash: '091', method_account_card: '090', method_account_stripe: '090',
      });
      assert.equal(settings.status, 303, settings.text.slice(0, 1500));
    });

    it('saves the Stripe settings on the Stripe plugin\'s page', async () => {
      await stripe.control('/webhook_endpoints', { url: `${web.url}/webhooks/stripe`, secret: STRIPE_WEBHOOK_SECRET });
      const saved = await owner.post('/plugins/stripe', '/plugins/stripe', { secretKey: stripe.account.secretKey, webhookSecret: STRIPE_WEBHOOK_SECRET });
      assert.equal(saved.status, 303, saved.text.slice(0, 500));
      const page = await owner.agent.get('/plugins/stripe');
      assert.match(page.text, /Riverside Bookings/, 'inside the booking system\'s layout');
      assert.match(page.text, new RegExp(stripe.account.id));
    });

    let refunded: number, byCard: number, byStripe: number;

    it('bookings, a partial refund and desk payments become invoices, an allocated credit note and payments in Xero, once', async () => {
      await startWorker();
      refunded = await owner.book('Sam Smash', court(2));
      byCard = await owner.book('Cara Card', lesson);
      byStripe = await owner.book('Stan Stripe', court(1));
      await owner.refund(refunded, '15.00'); // nothing paid back: Sam owes 45.00
      await owner.pay(refunded, 'cash', '45.00');
      await owner.pay(byCard, 'card', '44.50');
      await drained();

      const invoice = await exactlyOne('invoices', `LB-${refunded}`);
      assert.deepEqual([invoice.Total, invoice.AmountCredited, invoice.AmountDue, invoice.Status], [60, 15, 0, 'PAID']);
      const note = await exactlyOne('creditnotes', `LB-R-${await refundIdOf(refunded)}`);
      assert.deepEqual([note.Total, note.Status], [15, 'PAID']);
      assert.deepEqual((note.Allocations as { Invoice: { InvoiceID: string }; Amount: number }[]).map((a) => [a.Invoice.InvoiceID, a.Amount]), [[invoice.InvoiceID, 15]], 'allocated to its invoice');
      const cash = await paymentsOn(invoice);
      assert.deepEqual(cash.map((p) => [p.Amount, (p.Account as { Code: string }).Code]), [[45, '091']]);

      const card = await exactlyOne('invoices', `LB-${byCard}`);
      assert.deepEqual([card.Total, card.Status], [44.5, 'PAID']);
      assert.deepEqual((await paymentsOn(card)).map((p) => [p.Amount, (p.Account as { Code: string }).Code]), [[44.5, '090']]);
      assert.equal((await exactlyOne('invoices', `LB-${byStripe}`)).Status, 'AUTHORISED', 'not paid yet');

      for (const id of [old, paidInFull, refundedBefore]) {
        assert.equal((await books('invoices')).filter((i) => i.InvoiceNumber === `LB-${id}`).length, 0, `history booking ${id} waits for the import`);
      }
      await noFailures();
    });

    it('a card payment at Stripe naming a booking is recorded on it by the webhook, and paid in Xero, once', async () => {
      // The guest pays online: the booking system's checkout names the booking in the charge's metadata. Stripe
      // delivers the event twice.
      await stripe.control('/webhooks/settings', { duplicate: true });
      await stripe.stripe.paymentIntents.create({ amount: 3000, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, metadata: { ledgerbridge_sale_id: String(byStripe) } });
      await stripe.control('/webhooks/flush', {});
      await stripe.control('/webhooks/settings', { duplicate: false });
      const deliveries = (await stripe.control('/deliveries', undefined, 'GET')).body as { eventType: string; attempts: { status: number }[] }[];
      assert.deepEqual(deliveries.filter((d) => d.eventType === 'charge.succeeded').map((d) => d.attempts.at(-1)?.status), [200, 200], 'delivered twice, accepted twice');
      await drained();
      const recorded = await t.db('booking_payments').where({ booking_id: byStripe }).select('method', 'pence', 'external_ref');
      assert.deepEqual(recorded.map((p) => [p.method, Number(p.pence)]), [['stripe', 3000]], 'recorded once on the booking, through host.payments.record');
      assert.match(String(recorded[0]!.external_ref), /^ch_/);
      const online = await exactlyOne('invoices', `LB-${byStripe}`);
      assert.deepEqual([online.Total, online.Status], [30, 'PAID']);
      assert.deepEqual((await paymentsOn(online)).map((p) => [p.Amount, (p.Account as { Code: string }).Code]), [[30, '090']]);
      await noFailures();
    });

    it('the history import brings the bookings from its start date, with their payments and refunds, once', async () => {
      const res = await owner.post('/plugins/xero/history', '/plugins/xero/history', { from: dateOf(Date.now() - 20 * DAY) });
      assert.equal(res.status, 303, res.text.slice(0, 500));
      await drained();
      const paper = await exactlyOne('invoices', `LB-${paidInFull}`);
      assert.deepEqual([paper.Total, paper.Status], [60, 'PAID']);
      assert.deepEqual((await paymentsOn(paper)).map((p) => [p.Amount, (p.Account as { Code: string }).Code]), [[60, '091']]);
      const rain = await exactlyOne('invoices', `LB-${refundedBefore}`);
      assert.deepEqual([rain.Total, rain.AmountCredited, rain.AmountDue], [44.5, 4.5, 40]);
      const note = await exactlyOne('creditnotes', `LB-R-${await refundIdOf(refundedBefore)}`);
      assert.equal(note.Status, 'PAID', 'allocated');
      assert.equal((await books('invoices')).filter((i) => i.InvoiceNumber === `LB-${old}`).length, 0, 'before the start date: left alone');
      assert.deepEqual(await t.db('xero_backfills').pluck('status'), ['done']);

      const again = await owner.post('/plugins/xero/history', '/plugins/xero/history', { from: dateOf(Date.now() - 20 * DAY) });
      assert.equal(again.status, 303);
      await drained();
      assert.deepEqual(await t.db('xero_backfills').orderBy('id').pluck('status'), ['done', 'done']);
      for (const id of [paidInFull, refundedBefore, refunded, byCard, byStripe]) await exactlyOne('invoices', `LB-${id}`);
      await noFailures();
    });

    it('a worker SIGKILLed while Xero holds a batch it already created: after a restart, everything once', async () => {
      await worker!.stop();
      const ids: number[] = [];
      for (let n = 0; n < 12; n++) ids.push(await owner.book(`Batch Guest ${n}`, n % 2 ? lesson : court(1)));
      await owner.refund(ids[0]!, '10.00');
      await owner.pay(ids[1]!, 'card', '44.50');
      // Xero creates the batch's invoices at once but answers 5 s late: the worker is killed meanwhile.
      await request(xero.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/Invoices', method: 'PUT', kind: 'slow', delayMs: 5_000, count: 1 }).expect(201);
      await startWorker();
      const numbers = new Set(ids.map((id) => `LB-${id}`));
      while (scope.active && (await books('invoices')).filter((i) => numbers.has(String(i.InvoiceNumber))).length < ids.length) await scope.sleep(50);
      const inFlight = await t.db('outbox').where({ type: 'xero.invoice.push', status: 'leased' }).count({ n: '*' });
      assert.equal(Number(inFlight[0]!.n), ids.length, 'killed mid-batch: every invoice created in Xero, none recorded as sent');
      await worker!.kill9();
      await startWorker();
      await drained();

      for (const id of ids) await exactlyOne('invoices', `LB-${id}`);
      const first = await exactlyOne('invoices', `LB-${ids[0]}`);
      assert.deepEqual([first.AmountCredited, first.AmountDue], [10, 20]);
      await exactlyOne('creditnotes', `LB-R-${await refundIdOf(ids[0]!)}`);
      const second = await exactlyOne('invoices', `LB-${ids[1]}`);
      assert.deepEqual((await paymentsOn(second)).map((p) => p.Amount), [44.5]);
      const adopted = await t.db('xero_audit').where({ entity_type: 'sale', action: 'adopted' }).whereIn('entity_id', ids).count({ n: '*' });
      assert.equal(Number(adopted[0]!.n), ids.length, 'found by number after the restart, not sent again');
      await noFailures();
    });
  });
}
