// The nightly payout sweep, through the function its timer calls (runPayoutSweep): a payout whose posting
// item was lost is enqueued again and posts; two processes firing the same scheduled run enqueue it once;
// a payout whose posting failed gets its dead item back (a new item would wait behind it forever). Also the
// XERO_PAYOUT_SWEEP_CRON setting: off starts no timer, a bad pattern is refused at boot. SQLite and PG.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { XeroConfigSchema } from '../../../plugins/xero/config';
import { runPayoutSweep, startPayoutSweep } from '../../../plugins/xero/payouts/schedule';
import { savePayoutSettings } from '../../../plugins/xero/payouts/settings';
import { DEFAULT_PAYOUT_SETTINGS, outboxIdle, seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';

type Json = Record<string, unknown>;

describe('XERO_PAYOUT_SWEEP_CRON', () => {
  it('defaults to nightly, off starts no timer, a bad pattern is refused naming the variable', async () => {
    assert.equal(XeroConfigSchema.parse({}).payoutSweepCron, '40 3 * * *');
    const off = XeroConfigSchema.parse({ XERO_PAYOUT_SWEEP_CRON: 'off' });
    assert.equal(off.payoutSweepCron, null);
    assert.equal(startPayoutSweep({ config: off } as never), undefined);
    const bad = XeroConfigSchema.safeParse({ XERO_PAYOUT_SWEEP_CRON: 'every night' });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.error!.issues.map((i) => i.path.join('.')), ['XERO_PAYOUT_SWEEP_CRON']);
    const on = XeroConfigSchema.parse({ XERO_PAYOUT_SWEEP_CRON: '*/5 * * * *' });
    const stop = startPayoutSweep({ config: on, db: null, outbox: null, logger: null } as never);
    assert.equal(typeof stop, 'function');
    await stop!();
  });
});

for (const kind of dbKinds()) {
  describe(`payout sweep (${kind})`, () => {
    let f: PayoutFixture;
    const items = async (payoutId: number) => (await f.x.ctx.db('outbox').where({ subject: `xero:payout:${payoutId}` }).orderBy('id').select('id', 'status', 'dedupe_key')) as Json[];

    before(async () => {
      f = await startPayoutFixture(kind, { env: { XERO_PAYOUT_SWEEP_CRON: 'off' } });
    });
    after(async () => f?.close());

    it('enqueues a payout whose item was lost, once per scheduled run across processes; it posts', async () => {
      const { payout } = await seedSyntheticStripePayout(f, { known: 3, refunds: 1, unknown: 0, payoutId: 'po_sweep_lost' });
      await f.stopWorkers();
      const { payoutId } = await f.x.ctx.payouts.record(f.org.orgId, payout);
      // The item is lost (a restore from backup, a purge): the payout is recorded, nothing will post it.
      await f.x.ctx.db('outbox').where({ subject: `xero:payout:${payoutId}` }).delete();
      // Two processes fire the same scheduled run at once (on PostgreSQL they race): one item between them.
      const runs = await Promise.all([runPayoutSweep(f.x.ctx, new Date('2026-03-02T03:40:00.120Z')), runPayoutSweep(f.x.ctx, new Date('2026-03-02T03:40:00.480Z'))]);
      assert.ok(runs.includes(1), JSON.stringify(runs));
      // A later run while it is pending adds nothing.
      assert.equal(await runPayoutSweep(f.x.ctx, new Date('2026-03-03T03:40:00.000Z')), 0);
      assert.equal((await items(payoutId)).length, 1);
      f.startWorkers();
      const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
      assert.equal(state.status, 'posted', String(state.message));
      assert.equal(await runPayoutSweep(f.x.ctx), 0, 'a posted payout is left alone');
    });

    it('sends a failed payout\'s dead item again instead of queuing one behind it', async () => {
      await savePayoutSettings(f.x.ctx, f.x.ctx.db, f.org.orgId, { ...DEFAULT_PAYOUT_SETTINGS, 'bank_account:stripe': '' }, 'test');
      const { payout } = await seedSyntheticStripePayout(f, { known: 3, refunds: 1, unknown: 0, payoutId: 'po_sweep_failed' });
      const { payoutId } = await f.x.ctx.payouts.record(f.org.orgId, payout);
      await outboxIdle(f);
      const failed = await waitForPayout(f, payoutId, ['failed', 'posted']);
      assert.equal(failed.status, 'failed');
      assert.deepEqual((await items(payoutId)).map((i) => i.status), ['dead']);
      await savePayoutSettings(f.x.ctx, f.x.ctx.db, f.org.orgId, DEFAULT_PAYOUT_SETTINGS, 'test');
      assert.equal(await runPayoutSweep(f.x.ctx), 1);
      await outboxIdle(f);
      const state = await waitForPayout(f, payoutId, ['posted']);
      assert.equal(state.status, 'posted');
      assert.deepEqual((await items(payoutId)).map((i) => i.status), ['done'], 'the same item, sent again');
    });
  });
}
