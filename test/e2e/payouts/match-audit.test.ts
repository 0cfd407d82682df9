// A payout's match decisions keep their audit entries even when the attempt that made them fails later:
// Xero answers 500 to the payout's first bank transaction (the fees SPEND), the attempt is retried, and the
// trail still says why each unknown charge was matched or queued (the retry finds the decisions made and
// decides nothing again). SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from './fixture';

for (const kind of dbKinds()) {
  describe(`payout match audit survives a failed attempt (${kind})`, () => {
    let f: PayoutFixture;
    before(async () => {
      f = await startPayoutFixture(kind);
    });
    after(async () => f?.close());

    it('a 500 after matching: retried, and every decision is in the audit trail once', async () => {
      const { payout } = await seedSyntheticStripePayout(f, { known: 3, refunds: 1, unknown: 2, payoutId: 'po_audit_1' });
      await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/BankTransactions', method: 'PUT', kind: '500', count: 1, rate: 1 }).expect(201);
      const { payoutId } = await f.x.ctx.payouts.record(f.org.orgId, payout);
      const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
      assert.equal(state.status, 'needs_signoff', String(state.message));
      const [item] = (await f.x.ctx.db('outbox').where({ subject: `xero:payout:${payoutId}` }).select('attempts')) as { attempts: number }[];
      assert.ok(Number(item!.attempts) >= 2, 'the 500 made the first attempt fail');
      const audit = (await f.x.ctx.db('xero_audit').where({ entity_type: 'payout', entity_id: payoutId, record_type: 'payout_match' }).orderBy('id')) as { action: string }[];
      assert.deepEqual(audit.map((a) => a.action), ['matched', 'queued']);
    });
  });
}
