// The scheduled write-off of expired gift vouchers (issue 17), on a real database: only organisations that
// turned it on, only vouchers expired before the organisation's day, each once — under a crash mid-run (all
// rolled back, done by the next run), two runs at once (two workers' schedules) and runs repeated — with
// "written off automatically" in the voucher and in the `voucher.expired` event the integrations receive.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { dbKinds } from '../../support/db';
import { createSale } from '../../../server/domain/sales';
import { AUTOMATIC_WRITE_OFF, autoWriteOffEnabled, setAutoWriteOff } from '../../../server/domain/vouchers';
import type { HostEvent } from '../../../server/domain/events';
import { writeOffExpiredVouchersOnSchedule } from '../../../server/housekeeping/voucherWriteOff';
import { committedEvents, createDomainFixture, type DomainFixture } from '../domain/fixtures';

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });

for (const kind of dbKinds()) {
  describe(`scheduled write-off of expired vouchers (${kind})`, () => {
    let fx: DomainFixture;
    const expiredEvents: HostEvent[] = [];
    let failNext = false;

    before(async () => {
      fx = await createDomainFixture(kind);
      fx.events.on('voucher.expired', async (event) => {
        // Stands in for a crash between two vouchers: the run's transaction is rolled back.
        if (failNext && expiredEvents.length === 1) throw new Error('the worker died mid-run');
        expiredEvents.push(event);
      });
    });
    after(async () => fx?.destroy());

    const sellVoucher = async (orgId: number, amount: string, soldAt: number) => {
      const sale = await createSale(fx, { ...fx.staff, orgId }, {
        currency: 'GBP', customer: { name: 'Gift Giver' }, occurredAt: new Date(soldAt).toISOString(),
        lines: [{ description: 'Gift voucher', quantity: 1, unitPrice: amount, kind: 'voucher' }],
      });
      return sale.vouchers[0]!;
    };
    const voucherRow = (code: string) => fx.db('vouchers').where({ code }).first('balance_minor', 'written_off_minor', 'written_off_by');

    it('is off by default, and writes nothing off while off', async () => {
      assert.equal(await autoWriteOffEnabled(fx.db, fx.orgId), false);
      const old = await sellVoucher(fx.orgId, '15.00', Date.now() - 400 * DAY);
      assert.deepEqual(await writeOffExpiredVouchersOnSchedule({ ...fx, logger }, Date.now()), new Map());
      assert.equal(Number((await voucherRow(old.code)).balance_minor), 1500);
      await fx.db('vouchers').where({ code: old.code }).del(); // out of the way of the next tests
    });

    it('turned on: writes off what expired before the organisation\'s day, not what is still usable; each once, marked automatic', async () => {
      await setAutoWriteOff(fx.db, fx.orgId, true);
      const now = Date.now();
      const a = await sellVoucher(fx.orgId, '20.00', now - 400 * DAY);
      const b = await sellVoucher(fx.orgId, '7.50', now - 390 * DAY);
      const usable = await sellVoucher(fx.orgId, '30.00', now - 10 * DAY);
      const elsewhere = await sellVoucher(fx.otherOrgId, '9.00', now - 400 * DAY); // its organisation did not turn it on

      // A crash after the first voucher's event: nothing is kept, for the next run.
      failNext = true;
      assert.deepEqual(await writeOffExpiredVouchersOnSchedule({ ...fx, logger }, now), new Map(), 'the organisation failed and was logged');
      failNext = false;
      expiredEvents.length = 0;
      assert.equal(Number((await voucherRow(a.code)).balance_minor), 2000, 'rolled back');
      assert.equal((await committedEvents(fx.db)).filter((e) => e.type === 'voucher.expired').length, 0);

      // Two workers' schedules at once, then again: each voucher written off once.
      const runs = await Promise.all([writeOffExpiredVouchersOnSchedule({ ...fx, logger }, now), writeOffExpiredVouchersOnSchedule({ ...fx, logger }, now)]);
      await writeOffExpiredVouchersOnSchedule({ ...fx, logger }, now + DAY);
      const written = runs.flatMap((r) => r.get(fx.orgId) ?? []).map((v) => v.code).sort();
      assert.deepEqual(written, [a.code, b.code].sort());
      assert.deepEqual(expiredEvents.map((e) => (e.data as { voucher: { code: string; automatic?: boolean } }).voucher).map((v) => [v.code, v.automatic]).sort(),
        [[a.code, true], [b.code, true]].sort());
      const stored = await committedEvents(fx.db);
      assert.equal(stored.filter((e) => e.type === 'voucher.expired').length, 2, 'one voucher.expired per voucher in the event log');
      assert.deepEqual(await voucherRow(a.code), { balance_minor: 0, written_off_minor: 2000, written_off_by: AUTOMATIC_WRITE_OFF });
      assert.equal(Number((await voucherRow(usable.code)).balance_minor), 3000, 'still usable: untouched');
      assert.equal(Number((await voucherRow(elsewhere.code)).balance_minor), 900, 'the other organisation keeps the button');
    });
  });
}
