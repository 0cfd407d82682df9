// The money of a booking business, property-style (seeded, so a failure replays): a handful of customers and a
// random mix of what a booking system sends — plain sales (unpaid, paid in part, in full, overpaid: the excess
// the customer's credit), tips and service charges, bookings for next month with one to three deposits (some
// given back in part before the service), gift vouchers sold and redeemed in part, payments from customer
// credit, the organisation's own payment method (a cheque), bookings cancelled with the deposit kept, refunds in
// full, in part and by line, with money given back or as a credit, of paid and unpaid sales — through the API
// (bearer token) and the staff's sale page, the way a till and the desk do. The worker posts it all to the Xero emulator; the service day comes (both clocks move
// on), the balances are paid at the desk, more refunds and credit follow. Then, read back from Xero: every
// customer's balance (invoices' AmountDue, less what credit notes, prepayments and overpayments still hold)
// equals the booking system's (what their sales still ask, less their credit), to the penny; and the gift
// voucher liability account holds exactly what the vouchers have left. SQLite and PostgreSQL.
//
// MONEY_PROPERTY_SEED (default 5) and MONEY_PROPERTY_SALES (default 24: about 20 s on SQLite and 50 s on
// PostgreSQL on the shared 2-core machine) pick the run; MONEY_PROPERTY_LOG=<file> writes every request made, to
// replay a failure by hand. docs/booking-money.md has the runs made at larger sizes. Xero's rate limits are raised
// in the emulator and the plugin's budget (as the fault test does): this test is about the money, and at 60 calls
// a minute a few dozen sales would take many minutes. Refunds of voucher sales are left out (their voucher's
// balance is another change's).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { RateBudget, tenantKeyOf } from '../../../plugins/xero/engine/rateBudget';
import { onServiceDay, setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { londonDay } from '../../support/wait';
import { seeded } from '../../../emulators/shared/seeded';
import { balanceDifferences, booksAt, dueOf, hostBalances, xeroBalances, xeroCreditBalance, type SaleView } from './customerBalances';

const DAY = 86_400_000;
const SALES = Number(process.env.MONEY_PROPERTY_SALES ?? 24);
// The default seed is one whose run at the default size exercises every shape (SHAPES); any other is only reported.
const SEED = Number(process.env.MONEY_PROPERTY_SEED ?? 5);
const CUSTOMERS = 5;
const VOUCHER_ACCOUNT = '837';
/** Ways money arrives at the desk: the host's own, and the organisation's own "Cheque" (added below). */
const DESK_METHODS = ['cash', 'card_terminal', 'bank_transfer', 'cheque'] as const;
/** Sync work, and the wait for it: generous, the machine is shared. */
const DRAIN_MS = 120_000;

/** What the default run must exercise, each at least once (a seed or size of your own is only reported). */
const SHAPES = [
  'sale unpaid', 'sale paid in part', 'sale paid in full', 'tip', 'overpaid', 'paid from credit', 'cheque (the organisation\'s own method)',
  'booking', 'several deposits', 'deposit given back before the service', 'booking cancelled, deposit kept', 'balance paid at the desk', 'voucher sold', 'voucher redeemed in part',
  'refund in full', 'refund in part', 'refund given back', 'refund as a credit', 'refund of an unpaid sale', 'refund by line', 'payment at the sale page', 'refund at the sale page',
] as const;

const pounds = (minor: number) => (minor / 100).toFixed(2);
const cents = (text: string) => Math.round(Number(text) * 100);

interface SaleLine { description: string; quantity: number; unitPrice: string; taxCode?: string; kind?: 'tip' | 'service_charge' | 'voucher' }

interface Tracked {
  id: number;
  customer: number;
  /** A booking cancelled with its deposit kept takes nothing more: the desk leaves it alone. */
  kind: 'plain' | 'booking' | 'voucher' | 'cancelled';
}

for (const kind of dbKinds()) {
  describe(`the money of a booking business, random mixes (${kind}, seed ${SEED}, ${SALES} sales)`, { timeout: 600_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;
    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
      await request(f.emu.url).post('/_emulator/limits').send({ perMinute: 100_000, perDay: 10_000_000 }).expect(200);
      await new RateBudget({ db: f.x.ctx.db }).setLimits(tenantKeyOf(f.org.orgId, f.tenantId), { perMinute: 100_000, perDay: 10_000_000 });
      // The accountant's accounts: tips held for staff, gift vouchers held (payments enabled: redemptions are
      // paid from it), and a clearing account for cheques.
      for (const account of [
        { Code: '835', Name: 'Tips held for staff', Type: 'CURRLIAB', TaxType: 'NONE' },
        { Code: VOUCHER_ACCOUNT, Name: 'Gift vouchers held', Type: 'CURRLIAB', TaxType: 'NONE', EnablePaymentsToAccount: true },
        { Code: '615', Name: 'Cheque clearing', Type: 'BANK', BankAccountNumber: '00000615' },
      ]) await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/accounts`).send(account).expect(201);
      // The admin adds the organisation's own method on the Payment methods page.
      assert.equal((await postForm(admin, '/payment-methods', '/payment-methods', { label: 'Cheque' })).status, 303);
      await setMappings(f.x, f.org.orgId, [
        { kind: 'invoice_date', key: '', value: 'service_date' },
        { kind: 'tip_account', key: '', value: '835' },
        { kind: 'service_charge_account', key: '', value: '260' },
        { kind: 'voucher_account', key: '', value: VOUCHER_ACCOUNT },
        { kind: 'cancellation_account', key: '', value: '260' },
        { kind: 'method_account', key: 'bank_transfer', value: '090' },
        { kind: 'method_account', key: 'cheque', value: '615' },
      ]);
    });
    after(async () => f?.close());

    it('every customer\'s balance in Xero equals the booking system\'s, to the penny; the vouchers\' liability equals what they have left', async (t) => {
      const rnd = seeded(SEED);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const pick = <T>(xs: readonly T[]): T => xs[int(0, xs.length - 1)]!;
      const chance = (p: number) => rnd() < p;
      const db = f.x.host.deps.db;
      const tracked: Tracked[] = [];
      const log: string[] = [];
      // MONEY_PROPERTY_LOG=<file>: every request as it is made, for replaying a failure by hand.
      const logFile = process.env.MONEY_PROPERTY_LOG;
      if (logFile) writeFileSync(logFile, '');
      const note = (line: string) => {
        log.push(line);
        if (logFile) appendFileSync(logFile, `${line}\n`);
      };
      const serviceDate = londonDay(Date.now() + 40 * DAY);

      /** Each sale as its last answer showed it (what it owes, what is left to refund). */
      const known = new Map<number, SaleView>();
      const mix = new Map<string, number>();
      const count = (what: string) => mix.set(what, (mix.get(what) ?? 0) + 1);
      const seen = new Set<string>();
      const saw = (shape: (typeof SHAPES)[number]) => seen.add(shape);
      const api = async (path: string, body: Record<string, unknown>): Promise<SaleView> => {
        const res = await request(f.x.app).post(`/api/v1${path}`).set('authorization', `Bearer ${token}`).send(body);
        note(`POST ${path} ${JSON.stringify(body)} → ${res.status}`);
        if (res.status === 201 && path !== '/sales') {
          const b = body as { method?: string | null; kind?: string };
          count(path.endsWith('/refunds') ? `refund ${b.kind} ${b.method === null ? 'as credit' : 'given back'}` : `payment ${b.method}${Number(res.body.payment?.toCredit ?? 0) > 0 ? ' overpaid' : ''}`);
          if (Number(res.body.payment?.toCredit ?? 0) > 0) saw('overpaid');
          if (b.method === 'customer_credit') saw('paid from credit');
        }
        if (res.status === 201 && JSON.stringify(body).includes('"cheque"')) saw('cheque (the organisation\'s own method)');
        assert.ok(res.status === 201, `POST ${path} ${JSON.stringify(body)}: ${res.status} ${res.text.slice(0, 400)}\n${log.slice(-15).join('\n')}`);
        const sale = (path === '/sales' ? res.body : res.body.sale) as SaleView;
        known.set(sale.id, sale);
        return sale;
      };
      const view = async (saleId: number): Promise<SaleView> => {
        const sale = (await request(f.x.app).get(`/api/v1/sales/${saleId}`).set('authorization', `Bearer ${token}`).expect(200)).body as SaleView;
        known.set(sale.id, sale);
        return sale;
      };
      const customer = (n: number) => ({ name: `Customer ${n}`, email: `customer${n}@example.com` });
      const creditOf = (sale: SaleView) => cents(sale.customerCredit.find((c) => c.currency === 'GBP')?.amount ?? '0');
      /** Money given back at the desk is never more than was paid, less what was already given back (the host's rule). */
      const givable = (sale: SaleView) => cents(sale.paid) - sale.refunds.filter((r) => r.method !== null).reduce((s, r) => s + cents(r.amount), 0);

      const lines = () => {
        const items: SaleLine[] = Array.from({ length: int(1, 3) }, (_, i) => ({
          description: `Session ${i + 1}`, quantity: int(1, 3), unitPrice: pounds(int(250, 6_000)), taxCode: chance(0.8) ? 'OUTPUT2' : 'ZERORATEDOUTPUT',
        }));
        if (chance(0.25)) items.push({ description: 'Tip', quantity: 1, unitPrice: pounds(int(50, 1_500)), kind: 'tip' });
        if (chance(0.1)) items.push({ description: 'Service charge', quantity: 1, unitPrice: pounds(int(100, 900)), kind: 'service_charge' });
        return items;
      };

      /** A payment at the desk: in full, in part, or more than is outstanding (the excess the customer's credit). */
      const pay = async (sale: SaleView, opts: { overpay: boolean }) => {
        const outstanding = cents(sale.outstanding);
        if (outstanding <= 0) return;
        const shape = rnd();
        const minor = opts.overpay && shape < 0.2 ? outstanding + int(1, 3_000) : shape < 0.6 ? outstanding : int(1, outstanding);
        const method = pick(DESK_METHODS);
        // The desk's own form (staff's sale page) for some, the till's API for the rest.
        if (chance(0.3)) {
          const res = await postForm(staff, `/sales/${sale.id}`, `/sales/${sale.id}/payments`, { method, amount: pounds(minor) });
          note(`form pay ${sale.id} ${method} ${pounds(minor)} → ${res.status}`);
          assert.equal(res.status, 303, `${res.text.slice(0, 400)}\n${log.slice(-15).join('\n')}`);
          count(`payment ${method} (sale page)`);
          saw('payment at the sale page');
          if (minor > outstanding) saw('overpaid');
          await view(sale.id);
        } else {
          await api(`/sales/${sale.id}/payments`, { method, amount: pounds(minor) });
        }
      };
      const payFromCredit = async (sale: SaleView) => {
        const credit = creditOf(sale);
        const outstanding = cents(sale.outstanding);
        if (outstanding <= 0) return;
        if (credit <= 0) return pay(sale, { overpay: true });
        const most = Math.min(credit, outstanding);
        await api(`/sales/${sale.id}/payments`, { method: 'customer_credit', amount: pounds(chance(0.5) ? most : int(1, most)) });
      };
      const redeem = async (sale: SaleView) => {
        const outstanding = cents(sale.outstanding);
        if (outstanding <= 0) return;
        const vouchers = (await Promise.all(tracked.filter((t) => t.kind === 'voucher').map((t) => view(t.id))))
          .flatMap((v) => v.vouchers).filter((v) => cents(v.balance) > 0);
        if (vouchers.length === 0) return pay(sale, { overpay: true });
        const voucher = pick(vouchers);
        const most = Math.min(cents(voucher.balance), outstanding);
        const minor = chance(0.4) ? most : int(1, most);
        await api(`/sales/${sale.id}/payments`, { method: 'gift_voucher', voucherCode: voucher.code, amount: pounds(minor) });
        if (minor < cents(voucher.balance)) saw('voucher redeemed in part');
      };
      /** A refund in full or in part; money given back (a desk method) when that much was paid, else a credit. */
      const refund = async (sale: SaleView) => {
        const left = cents(sale.total) - cents(sale.refunded);
        if (left <= 0) return;
        if (cents(sale.paid) === 0) saw('refund of an unpaid sale');
        const open = sale.lines.filter((l) => cents(l.lineTotal) > cents(l.refunded));
        const shape = rnd();
        if (shape < 0.2 && open.length > 0) {
          // By line: what is left of one, or part of it.
          const line = pick(open);
          const lineLeft = cents(line.lineTotal) - cents(line.refunded);
          // Never more than is left of the sale (a refund by amount takes from no line in particular).
          const most = Math.min(lineLeft, left);
          const minor = chance(0.5) ? most : int(1, most);
          const method = chance(0.6) && givable(sale) >= minor ? pick(DESK_METHODS) : null;
          await api(`/sales/${sale.id}/refunds`, { kind: 'lines', lines: [minor === lineLeft ? { lineId: line.id } : { lineId: line.id, amount: pounds(minor) }], method });
          saw('refund by line');
          saw(method === null ? 'refund as a credit' : 'refund given back');
          return;
        }
        const full = shape > 0.65;
        const minor = full ? left : int(1, left);
        const method = chance(0.6) && givable(sale) >= minor ? pick(DESK_METHODS) : null;
        saw(full ? 'refund in full' : 'refund in part');
        saw(method === null ? 'refund as a credit' : 'refund given back');
        if (chance(0.3)) {
          // At the desk: the sale page asks to confirm, then issues it.
          const fields = { kind: full ? 'full' : 'amount', ...(full ? {} : { amount: pounds(minor) }), method: method ?? '', confirm: 'yes' };
          const res = await postForm(staff, `/sales/${sale.id}`, `/sales/${sale.id}/refunds`, fields);
          note(`form refund ${sale.id} ${JSON.stringify(fields)} → ${res.status}`);
          assert.equal(res.status, 303, `${res.text.slice(0, 400)}\n${log.slice(-15).join('\n')}`);
          count(`refund ${fields.kind} ${method === null ? 'as credit' : 'given back'} (sale page)`);
          saw('refund at the sale page');
          await view(sale.id);
          return;
        }
        await api(`/sales/${sale.id}/refunds`, full ? { kind: 'full', method } : { kind: 'amount', amount: pounds(minor), method });
      };
      /** One thing the desk does next, to one of this customer's sales (any customer's: undefined). */
      const deskStep = async (who?: number) => {
        const theirs = tracked.filter((t) => (t.kind === 'plain' || t.kind === 'booking') && (who === undefined || t.customer === who)).map((t) => known.get(t.id)!);
        const next = rnd();
        const owing = theirs.filter((v) => cents(v.outstanding) > 0);
        const refundable = theirs.filter((v) => cents(v.total) > cents(v.refunded));
        if (next < 0.7 && owing.length > 0) {
          const sale = await view(pick(owing).id);
          if (next < 0.35) await pay(sale, { overpay: true });
          else if (next < 0.55) await payFromCredit(sale);
          else await redeem(sale);
        } else if (refundable.length > 0) {
          await refund(await view(pick(refundable).id));
        }
      };

      // Today: sales, bookings with their deposits, vouchers, and what follows them at the desk.
      for (let n = 0; n < SALES; n++) {
        const who = int(0, CUSTOMERS - 1);
        const shape = rnd();
        if (shape < 0.15) {
          // A gift voucher (or two), paid for at once.
          const vouchers = Array.from({ length: int(1, 2) }, () => ({ description: 'Gift voucher', quantity: 1, unitPrice: pounds(int(1_000, 8_000)), kind: 'voucher' }));
          const total = vouchers.reduce((s, v) => s + cents(v.unitPrice), 0);
          const sale = await api('/sales', { currency: 'GBP', customer: customer(who), lines: vouchers, payments: [{ method: pick(DESK_METHODS), amount: pounds(total) }] });
          tracked.push({ id: sale.id, customer: who, kind: 'voucher' });
          count('sale of gift vouchers');
          saw('voucher sold');
          continue;
        }
        if (shape < 0.4) {
          // A booking for next month: one to three deposits (more than is due, sometimes), some given back in part.
          let sale = await api('/sales', { currency: 'GBP', customer: customer(who), serviceDate, lines: lines() });
          tracked.push({ id: sale.id, customer: who, kind: 'booking' });
          count('booking');
          saw('booking');
          const taken: { minor: number; method: string }[] = [];
          for (let k = int(1, 3); k > 0; k--) {
            const outstanding = cents(sale.outstanding);
            if (outstanding <= 100) break;
            const minor = chance(0.1) ? outstanding + int(1, 2_000) : int(100, Math.min(outstanding, 6_000));
            const method = pick(DESK_METHODS);
            sale = await api(`/sales/${sale.id}/payments`, { method, amount: pounds(minor) });
            taken.push({ minor, method });
          }
          if (taken.length > 1) saw('several deposits');
          if (taken.length > 0 && chance(0.35)) {
            const from = pick(taken);
            const minor = int(1, Math.min(from.minor, givable(sale)));
            if (minor > 0) sale = await api(`/sales/${sale.id}/refunds`, { kind: 'amount', amount: pounds(minor), method: from.method });
            if (minor > 0) saw('deposit given back before the service');
          }
          if (taken.length > 0 && chance(0.15)) {
            // The customer cancels; the business keeps what was paid (the sale page's button).
            const res = await postForm(staff, `/sales/${sale.id}`, `/sales/${sale.id}/cancel`);
            note(`form cancel ${sale.id} → ${res.status}`);
            assert.equal(res.status, 303, res.text.slice(0, 400));
            tracked.at(-1)!.kind = 'cancelled';
            count('booking cancelled, deposit kept');
            saw('booking cancelled, deposit kept');
          }
          continue;
        }
        // A plain sale: unpaid, paid in part or in full when it is made.
        const sold = lines();
        const total = sold.reduce((s, l) => s + l.quantity * cents(l.unitPrice), 0);
        const paidNow = rnd();
        const payments = paidNow < 0.35 ? [] : [{ method: pick(DESK_METHODS), amount: pounds(paidNow < 0.7 ? total : int(1, total)) }];
        const sale = await api('/sales', { currency: 'GBP', customer: customer(who), lines: sold, payments });
        tracked.push({ id: sale.id, customer: who, kind: 'plain' });
        count(sold.some((l) => l.kind === 'tip') ? 'sale with a tip' : 'sale');
        if (sold.some((l) => l.kind === 'tip')) saw('tip');
        saw(payments.length === 0 ? 'sale unpaid' : cents(payments[0]!.amount) === total ? 'sale paid in full' : 'sale paid in part');
        // Then, at random, what the desk does next to this customer's sales.
        for (let k = int(0, 2); k > 0; k--) await deskStep(who);
      }

      // The deposits go to Xero at once, while their invoices wait for the service date.
      const bookings = tracked.filter((t) => t.kind === 'booking').map((t) => t.id);
      await quiet(f, 'deposits');

      // The service day comes: the plugin's clock and Xero's move on; the invoices are posted, deposits allocated.
      await onServiceDay(f, serviceDate, async () => {
        await quiet(f, 'all');
        // The balances paid at the desk; then more payments, refunds, credit and vouchers spent, on any sale.
        for (const id of bookings) {
          const booking = await view(id);
          if (cents(booking.outstanding) > 0 && chance(0.6)) {
            await pay(booking, { overpay: chance(0.3) });
            saw('balance paid at the desk');
          }
        }
        for (let n = 0; n < SALES; n++) await deskStep();
        await quiet(f, 'all');

        t.diagnostic(`the mix: ${[...mix].sort().map(([k, v]) => `${k} ×${v}`).join(', ')}`);
        const missed = SHAPES.filter((shape) => !seen.has(shape));
        if (missed.length > 0) t.diagnostic(`not exercised by this seed: ${missed.join(', ')}`);
        if (process.env.MONEY_PROPERTY_SEED === undefined && process.env.MONEY_PROPERTY_SALES === undefined) assert.deepEqual(missed, [], 'the default run exercises every shape');
        const failures = await db('sync_records').where({ org_id: f.org.orgId }).whereNot('status', 'synced')
          .select('entity_type', 'entity_id', 'record_type', 'status', 'error', 'note');
        assert.deepEqual(failures, [], 'every record reached Xero');
        const books = booksAt(f.emu.url, f.tenantId);
        const host = await hostBalances(f.x.app, token, tracked.map((t) => t.id), 'GBP');
        for (const sale of host.sales) assert.equal(sale.outstanding, pounds(Math.max(0, dueOf(sale))), `sale ${sale.id}: outstanding is what it still asks`);
        const customersInvolved = new Set(host.sales.map((s) => s.customer.id)).size;
        assert.ok(customersInvolved >= Math.min(CUSTOMERS, 3), 'a handful of customers');
        assert.deepEqual(balanceDifferences(await xeroBalances(books), host.balances), [], "each customer's balance in Xero equals the booking system's, to the penny");
        const unredeemed = host.sales.flatMap((s) => s.vouchers).reduce((sum, v) => sum + cents(v.balance), 0);
        assert.equal(pounds(await xeroCreditBalance(books, VOUCHER_ACCOUNT)), pounds(unredeemed), 'the gift voucher liability in Xero is what the vouchers have left');
      });
    });
  });
}

/**
 * Wait until the organisation's sync work is done: 'deposits', before the service day (the deposits go to Xero
 * at once; invoices wait for their day, and with them whatever follows them); 'all', once it has come (items
 * held until later by the real clock — a payment behind its invoice, a retry's backoff — are released first:
 * the plugin's clock and Xero's have moved, the real one has not). No item may end dead.
 */
async function quiet(f: SyncFixture, what: 'deposits' | 'all'): Promise<void> {
  const db = f.x.host.deps.db;
  const types = what === 'deposits' ? ['xero.deposit.push'] : ['xero.invoice.push', 'xero.creditnote.push', 'xero.payment.push', 'xero.deposit.push'];
  const items = () => db('outbox').where({ org_id: f.org.orgId }).whereIn('type', types);
  const deadline = Date.now() + DRAIN_MS;
  for (;;) {
    if (what === 'all') await items().where('status', 'pending').where('available_at', '>', Date.now()).update({ available_at: Date.now() });
    const left = (await items().whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
    if (Number(left[0]?.n ?? 0) === 0) break;
    const dead = Number(((await items().where('status', 'dead').count({ n: '*' })) as { n: number | string }[])[0]?.n ?? 0) > 0;
    if (dead || Date.now() > deadline) {
      const open = await items().whereNot('status', 'done').select('id', 'type', 'subject', 'status', 'attempts', 'last_error');
      throw new Error(`sync did not finish: ${JSON.stringify(open).slice(0, 3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(await items().whereNotIn('status', ['pending', 'leased', 'done']).select('id', 'type', 'status', 'last_error'), [], 'no sync item dead or paused');
}
