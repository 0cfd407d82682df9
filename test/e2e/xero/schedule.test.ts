// Scheduled sync over HTTP against the Xero emulator: the admin picks "once a day at 23:00" on the settings
// page; a sale's invoice item is then held until the next 23:00 in the organisation's zone (nothing reaches
// Xero), and syncs once that time comes (the item's available_at moved to now stands in for the clock).
// Switching modes reschedules the waiting items of that organisation only, and says how many.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createOrganisation } from '../../../server/domain/organisations';
import { createSale } from '../../../server/domain/sales';
import { dbKinds } from '../../support/db';
import { logIn, postForm, type Agent } from '../../support/xero';
import { startConnection } from '../../../plugins/xero/connection/store';
import { nextRunAt } from '../../../plugins/xero/sync/nextRunAt';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const SETTINGS = '/plugins/xero/settings';
const sale = (n: number) => ({
  currency: 'GBP',
  reference: `SCH-${n}-${Math.random().toString(36).slice(2, 8)}`,
  customer: { name: `Night owl ${n}`, email: `owl${n}@example.com` },
  lines: [{ description: 'Late swim', quantity: 1, unitPrice: '6.40', taxCode: 'OUTPUT2' }],
});

for (const kind of dbKinds()) {
  describe(`Xero scheduled sync e2e (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    const item = async (saleId: number) => f.x.ctx.db('outbox').where({ dedupe_key: `xero:invoice:${saleId}` }).first();
    const invoicesFor = async (saleId: number) => (await f.books<{ InvoiceNumber: string }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${saleId}`);
    const saveSchedule = async (fields: Record<string, string>) => {
      const res = await postForm(admin, SETTINGS, `${SETTINGS}/schedule`, fields);
      assert.equal(res.status, 303, res.text.slice(0, 300));
      const page = await admin.get(SETTINGS);
      return { text: page.text };
    };

    before(async () => {
      f = await startSyncFixture(kind);
      admin = await logIn(f.x.app, f.org.emails.admin);
    });
    after(async () => f?.close());

    it('real time by default: the settings page says so and a sale syncs at once', async () => {
      const page = await admin.get(SETTINGS);
      assert.equal(page.status, 200);
      assert.match(page.text, /id="sync_mode_realtime" name="sync_mode" value="realtime" checked/);
      assert.match(page.text, /Syncing in real time\./);
      const s = await f.sell(sale(1));
      await f.drained();
      assert.equal((await invoicesFor(s.id)).length, 1);
    });

    it('daily at 23:00: the page shows the next sync; a new sale is held until then and nothing reaches Xero', async () => {
      const before = Date.now();
      const page = await saveSchedule({ sync_mode: 'daily', sync_hour: '23' });
      assert.match(page.text, /Daily sync at 23:00 \(Europe\/London\): 0 waiting items rescheduled; next sync at/);
      assert.match(page.text, /Next sync at <strong>[^<]+23:00<\/strong> \(Europe\/London\)/);
      const s = await f.sell(sale(2));
      const held = await item(s.id);
      const after = Date.now();
      const expected = [nextRunAt(before, 23, 'Europe/London'), nextRunAt(after, 23, 'Europe/London')];
      assert.ok(expected.includes(Number(held.available_at)), `held until ${new Date(Number(held.available_at)).toISOString()}`);
      assert.ok(Number(held.available_at) > after);
      // Workers are running and polling every 100 ms: give them time to (wrongly) pick it up.
      await new Promise((r) => setTimeout(r, 1_500));
      assert.equal((await item(s.id)).status, 'pending');
      assert.equal((await item(s.id)).attempts, 0);
      assert.equal((await invoicesFor(s.id)).length, 0, 'nothing sent to Xero before the hour');
      const state = await f.x.ctx.db('sync_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: s.id }).first();
      assert.equal(state.status, 'pending');

      // 23:00 comes: the outbox hands the item over by itself, no scheduler process involved.
      await f.x.ctx.db('outbox').where({ id: held.id }).update({ available_at: Date.now() });
      await f.drained();
      assert.equal((await invoicesFor(s.id)).length, 1);
      assert.equal((await item(s.id)).status, 'done');
    });

    it('a refund in daily mode waits too; switching back to real time sends the waiting items now and says how many', async () => {
      const s = await f.sell(sale(3));
      const r = await f.refund(s.id, { kind: 'full' });
      const note = await f.x.ctx.db('outbox').where({ dedupe_key: `xero:creditnote:${r.id}` }).first();
      assert.ok(Number(note.available_at) > Date.now() + 60_000, 'the credit note is held as well');
      const page = await saveSchedule({ sync_mode: 'realtime', sync_hour: '23' });
      assert.match(page.text, /Real-time sync: 2 waiting items will be sent now\./);
      await f.drained();
      assert.equal((await invoicesFor(s.id)).length, 1);
      const notes = (await f.books<{ CreditNoteNumber: string }>('creditnotes')).filter((n) => n.CreditNoteNumber === `LB-R-${r.id}`);
      assert.equal(notes.length, 1);
    });

    it("switching to daily reschedules this organisation's waiting items only, not another's, nor a retry's backoff", async () => {
      await f.stopWorkers();
      try {
        const waiting = await f.sell(sale(4));
        const retrying = await f.sell(sale(5));
        const retryAt = Date.now() + 5_000;
        await f.x.ctx.db('outbox').where({ dedupe_key: `xero:invoice:${retrying.id}` }).update({ attempts: 1, available_at: retryAt });
        const other = await createOrganisation(f.x.ctx.db, { name: 'Other Gym', baseCurrency: 'GBP' });
        // Only organisations with a live Xero connection get sync items; this one's waits for re-authorisation.
        await f.x.ctx.db.transaction((trx) =>
          startConnection(f.x.deps, trx, { orgId: other.id, mode: 'oauth2', status: 'needs_reauth', createdBy: 'test', endReason: 'test' }));
        const otherSale = await createSale(f.x.host.deps, { kind: 'user', id: 999, orgId: other.id, role: 'staff', name: 'x' }, sale(6));
        const otherBefore = Number((await item(otherSale.id)).available_at);

        const page = await saveSchedule({ sync_mode: 'daily', sync_hour: '6' });
        assert.match(page.text, /Daily sync at 06:00 \(Europe\/London\): 1 waiting item rescheduled; next sync at/);
        const next = Number((await item(waiting.id)).available_at);
        assert.ok(Math.abs(next - nextRunAt(Date.now(), 6, 'Europe/London')) < 60_000);
        assert.equal(Number((await item(retrying.id)).available_at), retryAt, "a retry keeps its backoff");
        assert.equal(Number((await item(otherSale.id)).available_at), otherBefore, "another organisation's item is untouched");
      } finally {
        await saveSchedule({ sync_mode: 'realtime', sync_hour: '6' });
        f.startWorkers();
      }
    });

    it('rejects a bad hour or mode (nothing saved), staff and accountants get 403, a missing CSRF token 403', async () => {
      const bad = await postForm(admin, SETTINGS, `${SETTINGS}/schedule`, { sync_mode: 'daily', sync_hour: '24' });
      assert.equal(bad.status, 303);
      assert.match((await admin.get(SETTINGS)).text, /The hour must be a whole number from 0 to 23, got &#34;24&#34;/);
      const odd = await postForm(admin, SETTINGS, `${SETTINGS}/schedule`, { sync_mode: 'hourly', sync_hour: '3' });
      assert.equal(odd.status, 303);
      const row = await f.x.ctx.db('xero_sync_schedule').where({ org_id: f.org.orgId }).first();
      assert.equal(row.mode, 'realtime');
      for (const role of ['staff', 'accountant'] as const) {
        const agent = await logIn(f.x.app, f.org.emails[role]);
        const res = await postForm(agent, '/sales', `${SETTINGS}/schedule`, { sync_mode: 'daily', sync_hour: '3' });
        assert.equal(res.status, 403, role);
      }
      const noToken = await admin.post(`${SETTINGS}/schedule`).type('form').send({ sync_mode: 'daily', sync_hour: '3' });
      assert.equal(noToken.status, 403);
      assert.equal((await f.x.ctx.db('xero_sync_schedule').where({ org_id: f.org.orgId }).first()).mode, 'realtime');
    });
  });
}
