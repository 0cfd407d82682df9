// Period lock dates (issue 17) against the app and the Xero emulator, on SQLite and PostgreSQL: the
// accountant locks a period in Xero; a sale dated inside it is refused by Xero once, the plugin reads the
// lock dates (GET /Organisation) and posts the invoice on the first open day, saying so on the Xero record
// (History), in the audit trail and on the sale; the next sale in the period goes straight to the first open
// day; with the setting "hold", such a sale fails for the admin with the reason. Never a retry loop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';

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
      const note = 'Dated 2026-04-01, the first open day: its own date 2026-03-15 is in a period locked in Xero (up to 2026-03-31)';
      const synced = await record(s.id);
      assert.equal(synced.status, 'synced');
      assert.equal(synced.note, note);
      assert.equal(Number((await item(s.id)).attempts), 2, 'refused once, then posted: no loop');
      const trail = await f.x.ctx.db('xero_audit').where({ entity_type: 'sale', entity_id: s.id }).whereNot('action', 'history').orderBy('id').select('action', 'message');
      assert.deepEqual(trail.map((t: { action: string }) => t.action), ['retry', 'created']);
      assert.match(String(trail[0].message), /inside the period locked in Xero up to 2026-03-31/);
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
      assert.match(history[0]!.Details, /Dated 2026-04-01, the first open day/);
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
      assert.equal(failed.error, 'Dated 2026-03-25, in a period locked in Xero up to 2026-03-31');
      assert.match(String(failed.note), /^Held for the admin: dated 2026-03-25, in a period locked in Xero up to 2026-03-31/);
      assert.equal(Number((await item(s.id)).attempts), 1);
      assert.equal(await invoiceOf(s.id), undefined);
    });

    it('a sale after the lock is dated on its own day', async () => {
      const s = await f.sell(sale('2026-04-10'));
      await f.drained();
      assert.equal((await invoiceOf(s.id))?.DateString.slice(0, 10), '2026-04-10');
      assert.equal((await record(s.id)).note, null);
    });
  });
}
