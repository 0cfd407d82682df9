// onServiceDay (syncFixture.ts) moves the plugin's clock and Xero's, one after the other. A Xero call signed
// between the two was refused (401 timestamp_refused: Xero checks a signature's time) and its batch paused
// until someone re-authorises; the drain check did not count paused items and returned with that work never
// sent. In CI on PostgreSQL that left a payment from credit 12.00 due in Xero (deposits-not-money.test.ts).
// Made deterministic here: a payment batch is held in flight when the service day begins; it may go on only
// once the workers are stopped (its batch retries) or, as before, once the plugin's clock has jumped.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { londonDay, until } from '../../support/wait';
import type { OutboxHandler } from '../../../server/outbox';
import { PAYMENT_PUSH, SYNC_ITEM_TYPES } from '../../../plugins/xero/sync/types';
import { onServiceDay, startSyncFixture, type SyncFixture } from './syncFixture';

const DAY = 86_400_000;

for (const kind of dbKinds()) {
  describe(`the service day begins with a batch in flight (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('the clocks move only once the batch is over: nothing is signed on one clock and checked on the other, nothing pauses', async () => {
      const jumped = () => f.x.ctx.clock.now() - Date.now() > DAY;
      let held: number[] | null = null;
      let jumpedWhileHeld: boolean | null = null;
      let released!: () => void;
      const wentOn = new Promise<void>((resolve) => { released = resolve; });
      const payments = f.x.host.deps.plugins.handlers.get(PAYMENT_PUSH)!;
      const handlers = new Map<string, OutboxHandler>(f.x.host.deps.plugins.handlers);
      handlers.set(PAYMENT_PUSH, {
        ...payments,
        async handle(items, h) {
          if (held === null) {
            held = items.map((i) => i.id);
            // Held until its worker is stopped (the signal) or the plugin's clock has jumped, whichever is first.
            await new Promise<void>((resolve) => {
              const done = () => {
                clearInterval(poll);
                h.signal.removeEventListener('abort', done);
                resolve();
              };
              const poll = setInterval(() => { if (jumped()) done(); }, 5);
              h.signal.addEventListener('abort', done);
            });
            jumpedWhileHeld = jumped();
            released();
          }
          return payments.handle(items, h);
        },
      });
      await f.stopWorkers();
      f.startWorkers({ handlers });

      const sale = await f.sell({ currency: 'GBP', customer: { name: 'Clock Clara', email: 'clara@example.com' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' }] });
      const payment = await f.pay(sale.id, { method: 'cash', amount: '12.00' });
      await until('the payment batch held in flight', async () => held, 20_000);

      await onServiceDay(f, londonDay(Date.now() + 40 * DAY), async () => {
        await wentOn;
        assert.equal(jumpedWhileHeld, false, 'the plugin\'s clock moved while a batch was in flight: what it signs then, Xero refuses');
        await f.x.host.deps.db('outbox').where({ org_id: f.org.orgId, status: 'pending' }).update({ available_at: Date.now() });
        await f.drained(30_000);
        const sync = await f.x.host.deps.db('sync_records').where({ entity_type: 'payment', entity_id: payment.id }).select('status', 'error');
        assert.deepEqual(sync, [{ status: 'synced', error: null }]);
        assert.deepEqual(await f.x.host.deps.db('outbox').where({ org_id: f.org.orgId }).whereIn('type', SYNC_ITEM_TYPES).whereIn('status', ['paused', 'dead']).select('type', 'status', 'last_error'), []);
      });
      const paid = (await f.books<{ Invoice?: { InvoiceNumber: string }; Amount: number }>('payments')).filter((p) => p.Invoice?.InvoiceNumber === `LB-${sale.id}`);
      assert.deepEqual(paid.map((p) => p.Amount), [12], 'the held payment is in Xero, once');
    });
  });
}
