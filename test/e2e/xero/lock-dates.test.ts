// Period lock dates (issue 17) against the app and the Xero emulator, on SQLite and PostgreSQL: the
// accountant locks a period in Xero; a sale dated inside it is refused by Xero once, the plugin reads the
// lock dates (GET /Organisation) and posts the invoice on the first open day, saying so on the Xero record
// (History), in the audit trail and on the sale; the next sale in the period goes straight to the first open
// day; with the setting "hold", such a sale fails for the admin with the reason. Payments, credit notes and
// refund payments the same way, whether the lock dates were known or learnt from Xero's refusal. Never a retry loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';
import { RateBudget, tenantKeyOf } from '../../../plugins/xero/engine/rateBudget';
import { formatCalendarDay } from '../../../server/domain/format';

interface XeroInvoice { InvoiceNumber: string; InvoiceID: string; DateString: string; DueDateString: string }
interface HistoryRow { ObjectID: string; Details: string }

for (const kind of dbKinds()) {
  describe(`period lock dates (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;

    before(async () => {
      f = await startSyncFixture(kind);
      const res = await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/lockdates`).send({ PeriodLockDate: '2026-03-31', EndOfYearLockDate: '2025-12-31' });
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.body.PeriodLockDate), /^\/Date\(1774915200000\+0000\)\/$/);
      // Room in the rate budget, so History notes (which step aside while under a quarter of it is left) go out now.
      await new RateBudget({ db: f.x.ctx.db }).setLimits(tenantKeyOf(f.org.orgId, f.tenantId), { perMinute: 10_000 });
      await request(f.emu.url).post('/_emulator/limits').send({ perMinute: 10_000 }).expect(200);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;
    const invoiceOf = async (saleId: number) => (await f.books<XeroInvoice>('invoices')).find((i) => i.InvoiceNumber === `LB-${saleId}`);
    const record = async (saleId: number) => db()('sync_records').where({ entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();
    const item = async (saleId: number) => db()('outbox').where({ dedupe_key: `xero:invoice:${saleId}` }).first();
    const sale = (day: string) => ({ currency: 'GBP', customer: { name: `Locked ${day}` }, occurredAt: `${day}T12:00:00Z`, lines: [{ description: 'Class', quantity: 1, unitPrice: '10.00', taxCode: 'OUTPUT2' }] });

    it('a sale dated in a locked period is posted on the first open day, with a note on the Xero record, in the audit trail and on the sale', async () => {
      const s = await f.sell(sale('2026-03-15'));
      await f.drained();
      const invoice = await invoiceOf(s.id);
      assert.equal(invoice?.DateString.slice(0, 10), '2026-04-01');
      assert.equal(invoice?.DueDateString.slice(0, 10), '2026-04-01', 'due on receipt, from the day it is dated');
      const note = 'Dated 1 Apr 2026, the first open day: its own date 15 Mar 2026 is in a period locked in Xero (up to 31 Mar 2026)';
      const synced = await record(s.id);
      assert.equal(synced.status, 'synced');
      assert.equal(synced.note, note);
      assert.equal(Number((await item(s.id)).attempts), 2, 'refused once, then posted: no loop');
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id }).whereNot('action', 'history').orderBy('id').select('action', 'message');
      assert.deepEqual(trail.map((t: { action: string }) => t.action), ['retry', 'created']);
      assert.match(String(trail[0].message), /inside the period locked in Xero up to 31 Mar 2026/);
      assert.equal(trail[1].message, note);
      assert.deepEqual(await f.x.ctx.db('xero_lock_dates').where({ org_id: f.org.orgId }).first('period_lock_date', 'end_of_year_lock_date'),
        { period_lock_date: '2026-03-31', end_of_year_lock_date: '2025-12-31' }, 'read from Xero\'s Organisation');
      const history = await (async () => {
        const deadline = Date.now() + 15_000;
        for (;;) {
          const rows = (await f.books<HistoryRow>('history')).filter((h) => h.ObjectID === invoice!.InvoiceID && h.Details.includes('first open day'));
          if (rows.length || Date.now() > deadline) return rows;
          // A History note yields to the pushes and backs off meanwhile; they are done: it may go now.
          await db()('outbox').where({ org_id: f.org.orgId, type: 'xero.history.note', status: 'pending' }).update({ available_at: Date.now() });
          await new Promise((r) => setTimeout(r, 100));
        }
      })();
      assert.equal(history.length, 1, `the note is on the Xero record: ${JSON.stringify(await db()('outbox').where({ org_id: f.org.orgId }).whereNot('status', 'done').select('type', 'status', 'attempts', 'last_error', 'payload'))} ${JSON.stringify((await f.books<HistoryRow>('history')).slice(-5))}`);
      assert.match(history[0]!.Details, /Dated 1 Apr 2026, the first open day/);
      const staff = await logIn(f.x.app, f.org.emails.staff);
      assert.ok((await staff.get(`/sales/${s.id}`)).text.includes(`<strong class="sync-note">${note}</strong>`), 'the note is on the sale page');
    });

    it('the next sale in the locked period goes to the first open day at once', async () => {
      const s = await f.sell(sale('2026-03-20'));
      await f.drained();
      assert.equal((await invoiceOf(s.id))?.DateString.slice(0, 10), '2026-04-01');
      assert.equal(Number((await item(s.id)).attempts), 1);
    });

    it('with the setting "hold", such a sale fails for the admin with the reason, and is not sent', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'locked_period', key: '', value: 'hold' }]);
      const s = await f.sell(sale('2026-03-25'));
      await f.drained();
      const failed = await record(s.id);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error, 'Dated 25 Mar 2026, in a period locked in Xero up to 31 Mar 2026');
      assert.match(String(failed.note), /^Held for the admin: dated 25 Mar 2026, in a period locked in Xero up to 31 Mar 2026/);
      assert.equal(Number((await item(s.id)).attempts), 1);
      assert.equal(await invoiceOf(s.id), undefined);
    });

    it('a sale after the lock is dated on its own day', async () => {
      const s = await f.sell(sale('2026-04-10'));
      openSale = s.id;
      await f.drained();
      assert.equal((await invoiceOf(s.id))?.DateString.slice(0, 10), '2026-04-10');
      assert.equal((await record(s.id)).note, null);
    });

    // Payments, credit notes and refund payments: the same setting, the same notes, never a retry loop.
    let lockedSale = 0;
    let openSale = 0;
    const paymentRecord = (paymentId: number) => db()('sync_records').where({ entity_type: 'payment', entity_id: paymentId, record_type: 'payment' }).first();
    const paymentItem = (paymentId: number) => db()('outbox').where({ dedupe_key: `xero:payment:${paymentId}` }).first();
    const xeroPayment = async (paymentId: number) => {
      const row = await f.x.ctx.db('xero_records').where({ entity_type: 'payment', entity_id: paymentId, record_type: 'payment' }).first();
      return (await f.books<{ PaymentID: string; Date: string; Amount: number }>('payments')).find((p) => p.PaymentID === row?.xero_id);
    };
    const dayOf = (msDate: string) => new Date(Number(/\((\d+)/.exec(msDate)![1])).toISOString().slice(0, 10);
    const historyOf = async (objectId: string, text: string) => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const rows = (await f.books<HistoryRow>('history')).filter((h) => h.ObjectID === objectId && h.Details.includes(text));
        if (rows.length || Date.now() > deadline) return rows;
        await db()('outbox').where({ org_id: f.org.orgId, type: 'xero.history.note', status: 'pending' }).update({ available_at: Date.now() });
        await new Promise((r) => setTimeout(r, 100));
      }
    };

    it('a payment dated in a locked period is posted on the first open day, with the note on the payment, its Xero record and the trail', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'locked_period', key: '', value: 'first_open_day' }]);
      lockedSale = (await f.sell(sale('2026-03-18'))).id;
      await f.drained();
      const p = await f.pay(lockedSale, { method: 'cash', amount: '4.00', receivedAt: '2026-03-20T10:00:00Z' });
      await f.drained();
      const note = 'Dated 1 Apr 2026, the first open day: its own date 20 Mar 2026 is in a period locked in Xero (up to 31 Mar 2026)';
      const synced = await paymentRecord(p.id);
      assert.equal(synced.status, 'synced', JSON.stringify(synced));
      assert.equal(synced.note, note);
      assert.equal(Number((await paymentItem(p.id)).attempts), 1, 'the lock dates were known: posted at once');
      const inXero = await xeroPayment(p.id);
      assert.equal(dayOf(inXero!.Date), '2026-04-01');
      assert.equal(inXero!.Amount, 4);
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'payment', entity_id: p.id, action: 'created' }).first('message');
      assert.equal(trail.message, note);
      assert.equal((await historyOf(inXero!.PaymentID, 'first open day')).length, 1, 'the note is on the payment in Xero');
    });

    it('with the setting "hold", such a payment fails for the admin with the reason, and is not sent', async () => {
      await setMappings(f.x, f.org.orgId, [{ kind: 'locked_period', key: '', value: 'hold' }]);
      try {
        const p = await f.pay(lockedSale, { method: 'cash', amount: '1.00', receivedAt: '2026-03-22T10:00:00Z' });
        await f.drained();
        const failed = await paymentRecord(p.id);
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error, 'Dated 22 Mar 2026, in a period locked in Xero up to 31 Mar 2026');
        assert.match(String(failed.note), /^Held for the admin: dated 22 Mar 2026/);
        assert.equal(await xeroPayment(p.id), undefined);
      } finally {
        await setMappings(f.x, f.org.orgId, [{ kind: 'locked_period', key: '', value: 'first_open_day' }]);
      }
    });

    // The accountant locks up to the day after tomorrow: today's payments and refunds are inside it, and
    // Ledgerbridge learns the new dates from Xero's first refusal.
    const today = new Date().toISOString().slice(0, 10);
    const plusDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
    const newLock = plusDays(today, 2);
    const firstOpen = plusDays(today, 3);
    /** A day as the notes write it ("6 Dec 2026"). */
    const shown = formatCalendarDay;

    it('a payment Xero refuses for a lock date it did not know: the lock dates are read, and it is posted on the first open day at the next attempt', async () => {
      await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/lockdates`).send({ PeriodLockDate: newLock }).expect(200);
      const p = await f.pay(openSale, { method: 'cash', amount: '4.00' });
      await f.drained();
      const synced = await paymentRecord(p.id);
      assert.equal(synced.status, 'synced', JSON.stringify(synced));
      assert.match(String(synced.note), new RegExp(`^Dated ${shown(firstOpen)}, the first open day: its own date \\d{1,2} \\w{3} \\d{4} is in a period locked in Xero \\(up to ${shown(newLock)}\\)$`));
      assert.equal(Number((await paymentItem(p.id)).attempts), 2, 'refused once, then posted: no loop');
      assert.equal(dayOf((await xeroPayment(p.id))!.Date), firstOpen);
      assert.equal((await f.x.ctx.db('xero_lock_dates').where({ org_id: f.org.orgId }).first('period_lock_date')).period_lock_date, newLock);
    });

    it('a refund in a locked period: its credit note and its refund payment are dated on the first open day, saying so', async () => {
      const r = await f.refund(openSale, { kind: 'amount', amount: '2.00', method: 'cash' });
      await f.drained();
      const synced = await db()('sync_records').where({ entity_type: 'refund', entity_id: r.id, record_type: 'credit_note' }).first();
      assert.equal(synced.status, 'synced', JSON.stringify(synced));
      assert.match(String(synced.note), new RegExp(`^Credit note dated ${shown(firstOpen)}, the first open day: .*; Refund payment dated ${shown(firstOpen)}, the first open day: .*\\(up to ${shown(newLock)}\\)$`));
      assert.equal(Number((await db()('outbox').where({ dedupe_key: `xero:creditnote:${r.id}` }).first()).attempts), 1, 'the lock dates were known: posted at once');
      const notes = await f.books<{ CreditNoteNumber: string; CreditNoteID: string; DateString: string; Status: string }>('creditnotes');
      const creditNote = notes.find((n) => n.CreditNoteNumber === `LB-R-${r.id}`)!;
      assert.equal(creditNote.DateString.slice(0, 10), firstOpen);
      assert.equal(creditNote.Status, 'PAID', 'paid out in full');
      const payOut = await f.x.ctx.db('xero_records').where({ entity_type: 'refund', entity_id: r.id, record_type: 'refund_payment' }).first();
      const refundPayment = (await f.books<{ PaymentID: string; Date: string; Amount: number }>('payments')).find((p) => p.PaymentID === payOut.xero_id)!;
      assert.equal(dayOf(refundPayment.Date), firstOpen);
      assert.equal(refundPayment.Amount, 2);
      assert.equal((await historyOf(creditNote.CreditNoteID, 'first open day')).length, 1, 'the note is on the credit note in Xero');
    });

    it('a refund Xero refuses for a lock date it did not know is read, then posted on the first open day (one retry)', async () => {
      const later = plusDays(today, 4);
      await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/lockdates`).send({ PeriodLockDate: later }).expect(200);
      const r = await f.refund(openSale, { kind: 'amount', amount: '1.00', method: 'cash' });
      await f.drained();
      const synced = await db()('sync_records').where({ entity_type: 'refund', entity_id: r.id, record_type: 'credit_note' }).first();
      assert.equal(synced.status, 'synced', JSON.stringify(synced));
      assert.equal(Number((await db()('outbox').where({ dedupe_key: `xero:creditnote:${r.id}` }).first()).attempts), 2);
      const creditNote = (await f.books<{ CreditNoteNumber: string; DateString: string }>('creditnotes')).find((n) => n.CreditNoteNumber === `LB-R-${r.id}`)!;
      assert.equal(creditNote.DateString.slice(0, 10), plusDays(today, 5));
    });
  });
}
