// The scheduled write-off of expired gift vouchers (issue 17) over HTTP against the app and the Xero emulator,
// on SQLite and PostgreSQL: an admin turns it on on the Gift vouchers page (off by default; admins only); a
// voucher is left alone on its last day; the day after (Ledgerbridge's clock and Xero's moved two days on) the
// housekeeping schedule — croner, as in worker processes — writes it off with no one pressing the button: one
// POSTED manual journal in Xero, "written off automatically" in the audit trail, never a second one however
// often the schedule runs again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { advanceEmulatorClock, postForm, type Agent } from '../../support/xero';
import { londonDay, until } from '../../support/wait';
import { startHousekeeping } from '../../../server/housekeeping/schedule';
import { setUpVoucherAccounts, startSignedInFixture, type SyncFixture } from './syncFixture';

const DAY = 86_400_000;

interface Journal { Status: string; Narration: string; DateString?: string; JournalLines: { AccountCode: string; LineAmount: number; TaxType: string }[] }

for (const kind of dbKinds()) {
  describe(`gift vouchers written off by the schedule (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    let admin: Agent;
    let staff: Agent;
    let token: string;

    before(async () => {
      ({ f, admin, staff, token } = await startSignedInFixture(kind));
      await setUpVoucherAccounts(f, admin);
    });
    after(async () => f?.close());

    const db = () => f.x.host.deps.db;

    it('the setting is on the Gift vouchers page, off by default, for admins only', async () => {
      const page = await admin.get('/vouchers');
      assert.match(page.text, /<input type="checkbox" name="auto_write_off" id="auto-write-off" data-testid="auto-write-off" aria-describedby="auto-write-off-hint">/);
      assert.equal((await postForm(staff, '/sales/new', '/vouchers/settings', { auto_write_off: 'on' })).status, 403);
      const saved = await postForm(admin, '/vouchers', '/vouchers/settings', { auto_write_off: 'on' });
      assert.equal(saved.status, 303);
      const after = await admin.get('/vouchers');
      assert.match(after.text, /Expired vouchers will be written off automatically/);
      assert.match(after.text, /data-testid="auto-write-off" aria-describedby="auto-write-off-hint" checked>/);
    });

    it('on its last day the voucher is left alone; the day after, the schedule writes it off once: one journal in Xero, "written off automatically"', async () => {
      // Sold a year ago today: today is its last day.
      const today = londonDay(Date.now());
      const sold = await request(f.x.app).post('/api/v1/sales').set('authorization', `Bearer ${token}`).send({
        currency: 'GBP', customer: { name: 'Gift Giver' }, occurredAt: `${Number(today.slice(0, 4)) - 1}${today.slice(4)}T12:00:00Z`,
        lines: [{ description: 'Gift voucher', quantity: 1, unitPrice: '25.00', kind: 'voucher' }], payments: [{ method: 'cash', amount: '25.00' }],
      });
      assert.equal(sold.status, 201, sold.text);
      const voucher = sold.body.vouchers[0] as { code: string; expiresOn: string; status: string };
      assert.deepEqual([voucher.expiresOn, voucher.status], [today, 'active']);
      await f.drained();

      // The schedule at today's time: its last day, nothing happens.
      const clock = { skew: 0, calls: 0, now() { this.calls += 1; return Date.now() + this.skew; } };
      const stop = startHousekeeping({ db: db(), events: f.x.host.deps.events, logger: f.x.host.deps.logger, retention: { idempotencyTtlMs: DAY, outboxRetentionMs: 30 * DAY }, pattern: '* * * * * *', clock });
      const pluginClock = f.x.ctx.clock;
      const realNow = pluginClock.now;
      try {
        await until('two runs of the schedule', async () => clock.calls >= 4, 30_000);
        assert.equal(Number((await db()('vouchers').where({ code: voucher.code }).first('balance_minor')).balance_minor), 2500, 'usable on its last day');

        // Two days on, for Ledgerbridge (the schedule, the Xero plugin) and for Xero.
        const skew = 2 * DAY;
        pluginClock.now = () => Date.now() + skew;
        await advanceEmulatorClock(f.emu.url, skew);
        clock.skew = skew;
        const item = await until('the journal to be posted', async () => {
          const row = await db()('outbox').where({ org_id: f.org.orgId, type: 'xero.voucher.journal' }).first('status', 'last_error');
          assert.notEqual(row?.status, 'dead', JSON.stringify(row));
          return row?.status === 'done' ? row : undefined;
        }, 60_000);
        assert.ok(item);
        // Several more runs: nothing written off twice.
        const seen = clock.calls;
        await until('three more runs of the schedule', async () => clock.calls >= seen + 6, 30_000);
      } finally {
        await stop();
        pluginClock.now = realNow;
      }
      const journals = await f.books<Journal>('manualjournals');
      assert.equal(journals.length, 1);
      assert.equal(journals[0]!.Status, 'POSTED');
      assert.match(journals[0]!.Narration, new RegExp(`^Expired gift voucher ${voucher.code} \\(Sale ${sold.body.id}\\) written off automatically$`));
      assert.deepEqual(journals[0]!.JournalLines.map((l) => [l.AccountCode, l.LineAmount, l.TaxType]), [['837', 25, 'NONE'], ['260', -25, 'NONE']]);
      assert.equal(Number((await db()('domain_events').where({ type: 'voucher.expired', org_id: f.org.orgId }).count({ n: '*' }).first())?.n), 1);

      const id = Number((await db()('vouchers').where({ code: voucher.code }).first('id')).id);
      const audit = await f.x.ctx.db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'voucher', entity_id: id }).select('action', 'outcome', 'message');
      assert.deepEqual(audit.map((a: { action: string; outcome: string; message: string }) => [a.action, a.outcome, /written off automatically$/.test(a.message)]), [['created', 'ok', true]]);
      const got = await request(f.x.app).get(`/api/v1/sales/${sold.body.id}`).set('authorization', `Bearer ${token}`);
      assert.deepEqual(got.body.vouchers.map((v: { status: string; writtenOff: string; writtenOffAutomatically: boolean }) => [v.status, v.writtenOff, v.writtenOffAutomatically]), [['written_off', '25.00', true]]);
      assert.match((await admin.get('/vouchers')).text, new RegExp(`<td><code>${voucher.code}</code></td>.*<td>Written off automatically \\(25.00 GBP\\)</td>`));
    });
  });
}
