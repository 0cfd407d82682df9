// Deposits, property-style (seeded, so a failure replays): random bookings for next month, each with one to
// three deposits by cash or card, some partly given back before the service; the service day comes, the
// invoices are posted and the deposits allocated; then some balances are paid at the desk. For every booking,
// what Xero says is still due on its invoice equals what the booking system says is outstanding, to the
// penny, and nothing is left on a prepayment. SQLite and PostgreSQL. Eight bookings by default (about a minute:
// each deposit is its own Xero call, so Xero's 60 calls a minute is the pace); DEPOSIT_PROPERTY_BOOKINGS and
// DEPOSIT_PROPERTY_SEED for more.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock } from '../../support/xero';
import { instantOfWallHour } from '../../../plugins/xero/sync/nextRunAt';
import { setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { londonDay, until } from '../../support/wait';
import { seeded as random } from '../../../emulators/shared/seeded';

const DAY = 86_400_000;
const BOOKINGS = Number(process.env.DEPOSIT_PROPERTY_BOOKINGS ?? 8);
const SEED = Number(process.env.DEPOSIT_PROPERTY_SEED ?? 20261203);


const pounds = (minor: number) => (minor / 100).toFixed(2);
/** Longer than the shared default: Xero allocations wait on the rate budget. */
const untilSlow = <T>(what: string, read: () => Promise<T | undefined | null | false>) => until(what, read, 60_000);

for (const kind of dbKinds()) {
  describe(`deposits to the penny, random bookings (${kind}, seed ${SEED})`, { timeout: 300_000 }, () => {
    let f: SyncFixture;
    let token: string;
    before(async () => {
      ({ f, token } = await startSignedInFixture(kind));
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }]);
    });
    after(async () => f?.close());

    it(`${BOOKINGS} bookings: what Xero says is due equals what the booking system says is outstanding`, async () => {
      const rnd = random(SEED);
      const int = (lo: number, hi: number) => lo + Math.floor(rnd() * (hi - lo + 1));
      const db = f.x.host.deps.db;
      const serviceDate = londonDay(Date.now() + 40 * DAY);
      const [y, m, d] = serviceDate.split('-').map(Number) as [number, number, number];
      const dayStart = instantOfWallHour(y, m, d, 0, 'Europe/London');
      const sales: number[] = [];
      const deposits: number[] = [];
      for (let b = 0; b < BOOKINGS; b++) {
        const totalMinor = int(2_000, 20_000);
        const sale = await f.sell({ currency: 'GBP', customer: { name: `Booker ${b % 5}`, email: `booker${b % 5}@example.com` }, serviceDate, lines: [{ description: `Booking ${b}`, quantity: 1, unitPrice: pounds(totalMinor), taxCode: 'OUTPUT2' }] });
        sales.push(sale.id);
        let left = totalMinor;
        const taken: { id: number; minor: number; method: string }[] = [];
        for (let k = int(1, 3); k > 0 && left > 100; k--) {
          const minor = int(100, Math.min(left, 6_000));
          const method = rnd() < 0.5 ? 'cash' : 'card_terminal';
          const { id } = await f.pay(sale.id, { method, amount: pounds(minor) });
          taken.push({ id, minor, method });
          deposits.push(id);
          left -= minor;
        }
        if (taken.length > 0 && rnd() < 0.35) {
          const from = taken[int(0, taken.length - 1)]!;
          await f.refund(sale.id, { kind: 'amount', amount: pounds(int(1, from.minor)), method: from.method });
        }
      }
      await untilSlow('the deposits to be in Xero', async () => Number(((await db('outbox').where({ type: 'xero.deposit.push' }).whereNot('status', 'done').count({ n: '*' })) as { n: number | string }[])[0]?.n) === 0);

      const clock = f.x.ctx.clock;
      const realNow = clock.now;
      const skew = dayStart + 60_000 - Date.now();
      clock.now = () => Date.now() + skew;
      await advanceEmulatorClock(f.emu.url, skew);
      try {
        await db('outbox').where({ type: 'xero.invoice.push', status: 'pending' }).update({ available_at: Date.now() });
        await untilSlow('every deposit allocated', async () => {
          const notes = await db('sync_records').whereIn('entity_id', deposits).andWhere({ entity_type: 'payment', record_type: 'prepayment' }).pluck('note');
          return notes.length === deposits.length && notes.every((n) => /allocated to the invoice|nothing left of it/.test(String(n)));
        });
        await f.drained(60_000);
        // Some balances paid at the desk, in part or in full, once the invoices are in Xero.
        for (const saleId of sales) {
          if (rnd() < 0.5) continue;
          const outstanding = (await request(f.x.app).get(`/api/v1/sales/${saleId}`).set('authorization', `Bearer ${token}`)).body.outstanding as string;
          const minor = Math.round(Number(outstanding) * 100);
          if (minor > 0) await f.pay(saleId, { method: 'card_terminal', amount: pounds(rnd() < 0.5 ? minor : int(1, minor)) });
        }
        await db('outbox').where({ type: 'xero.payment.push', status: 'pending' }).update({ available_at: Date.now() });
        await f.drained(60_000);

        const invoices = await f.books<{ InvoiceNumber: string; AmountDue: number }>('invoices');
        const mismatches: string[] = [];
        for (const saleId of sales) {
          const host = (await request(f.x.app).get(`/api/v1/sales/${saleId}`).set('authorization', `Bearer ${token}`)).body.outstanding as string;
          const xero = invoices.find((i) => i.InvoiceNumber === `LB-${saleId}`);
          if (!xero || xero.AmountDue.toFixed(2) !== host) mismatches.push(`sale ${saleId}: Xero ${xero?.AmountDue.toFixed(2) ?? 'no invoice'}, booking system ${host}`);
        }
        assert.deepEqual(mismatches, []);
        const credit = (await f.books<{ RemainingCredit: number }>('prepayments')).filter((p) => p.RemainingCredit !== 0);
        assert.deepEqual(credit, [], 'every deposit went to its invoice or back to the customer');
      } finally {
        clock.now = realNow;
      }
    });
  });
}
