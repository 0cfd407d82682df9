// The outbox as a plugin sees it (server/outbox/pluginOutbox.ts): reads scoped to the plugin's own types,
// `list` with ids from a subquery of the plugin's table, and `queueState`, the pacing read a plugin makes
// inside a sale's transaction (the Xero plugin's coalescing): due items, or the earliest held one; and
// `waitingForWorker`, whether any organisation's item has been due a while with no worker taking it.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { createPluginOutbox } from '../../../server/outbox/pluginOutbox';
import type { PluginOutbox } from '../../../server/plugins/contract';
import { enqueueAll, item, outboxFixture, type OutboxFixture } from './helpers';

const TYPE = 'pace.invoice.push';

for (const kind of dbKinds()) {
  describe(`a plugin's outbox (${kind})`, () => {
    let fx: OutboxFixture;
    let outbox: PluginOutbox;
    const now = Date.now();

    before(async () => {
      fx = await outboxFixture(kind);
      outbox = createPluginOutbox('pace', fx.writer);
      await fx.tdb.db.schema.createTable('pace_batch_items', (t) => {
        t.integer('batch_id').notNullable();
        t.integer('outbox_item_id').notNullable();
      });
    });
    after(async () => fx.close());
    beforeEach(async () => {
      await fx.tdb.db('outbox').delete();
      await fx.tdb.db('pace_batch_items').delete();
    });

    it('queueState: nothing waiting is neither due nor held', async () => {
      assert.deepEqual(await outbox.queueState(fx.tdb.db, { orgId: 1, type: TYPE, now, heldUntil: now + 1_000 }), { due: false, earliestHeld: null });
    });

    it('queueState: a due item of the organisation is a backlog, whatever else is held', async () => {
      await enqueueAll(fx.tdb.db, fx.writer, [item({ type: TYPE, orgId: 1, availableAt: now + 500 }), item({ type: TYPE, orgId: 1, availableAt: now - 10 })]);
      assert.deepEqual(await outbox.queueState(fx.tdb.db, { orgId: 1, type: TYPE, now, heldUntil: now + 1_000 }), { due: true, earliestHeld: null });
    });

    it('queueState: the earliest never-attempted item held within the horizon; later ones, retries and others are not', async () => {
      const [early, , retried] = await enqueueAll(fx.tdb.db, fx.writer, [
        item({ type: TYPE, orgId: 1, availableAt: now + 300 }),
        item({ type: TYPE, orgId: 1, availableAt: now + 5_000 }), // beyond the horizon
        item({ type: TYPE, orgId: 1, availableAt: now + 100 }),
        item({ type: TYPE, orgId: 2, availableAt: now - 10 }), // another organisation's backlog
        item({ type: 'pace.note.push', orgId: 1, availableAt: now - 10 }), // another type
        item({ type: 'other.invoice.push', orgId: 1, availableAt: now - 10 }), // another plugin
      ]);
      await fx.tdb.db('outbox').where({ id: retried }).update({ attempts: 1 }); // a retry's backoff is no window
      const state = await outbox.queueState(fx.tdb.db, { orgId: 1, type: TYPE, now, heldUntil: now + 1_000 });
      assert.deepEqual(state, { due: false, earliestHeld: Number((await fx.tdb.db('outbox').where({ id: early }).first('available_at')).available_at) });
    });

    it('queueState refuses a type that is not the plugin\'s own', async () => {
      await assert.rejects(outbox.queueState(fx.tdb.db, { orgId: 1, type: 'other.invoice.push', now, heldUntil: now }), /not its own/);
    });

    it('waitingForWorker: a pending item of any organisation due by then; not a later one, a leased one, another type or plugin', async () => {
      const [overdue] = await enqueueAll(fx.tdb.db, fx.writer, [
        item({ type: TYPE, orgId: 7, availableAt: now - 2_000 }),
        item({ type: TYPE, orgId: 8, availableAt: now - 500 }), // due, but only just
        item({ type: 'pace.note.push', orgId: 7, availableAt: now - 5_000 }), // a type not asked about
        item({ type: 'other.invoice.push', orgId: 7, availableAt: now - 5_000 }), // another plugin's
      ]);
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [TYPE], dueBy: now - 1_000 }), true);
      await fx.tdb.db('outbox').where({ id: overdue }).update({ status: 'leased', lease_owner: 'w', lease_expires_at: now + 60_000 });
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [TYPE], dueBy: now - 1_000 }), false, 'a worker has it');
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [TYPE], dueBy: now }), true, 'the one due half a second ago');
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [], dueBy: now }), false);
      await assert.rejects(outbox.waitingForWorker(fx.tdb.db, { types: ['other.invoice.push'], dueBy: now }), /not its own/);
    });

    it('waitingForWorker: an item held back by an earlier one of its subject (dead) is waiting for a person, not a worker', async () => {
      const [dead] = await enqueueAll(fx.tdb.db, fx.writer, [
        item({ type: TYPE, orgId: 7, subject: 'sale:1', availableAt: now - 5_000 }),
        item({ type: TYPE, orgId: 7, subject: 'sale:1', availableAt: now - 5_000 }),
      ]);
      await fx.tdb.db('outbox').where({ id: dead }).update({ status: 'dead' });
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [TYPE], dueBy: now - 1_000 }), false);
      await fx.tdb.db('outbox').where({ id: dead }).update({ status: 'done' });
      assert.equal(await outbox.waitingForWorker(fx.tdb.db, { types: [TYPE], dueBy: now - 1_000 }), true, 'once the earlier one is done, the next is claimable');
    });

    it('list takes ids from a subquery of the plugin\'s own table, and still shows only its own items', async () => {
      const [mine, alsoMine, theirs] = await enqueueAll(fx.tdb.db, fx.writer, [
        item({ type: TYPE, orgId: 1 }), item({ type: TYPE, orgId: 1 }), item({ type: 'other.invoice.push', orgId: 1 }),
      ]);
      await fx.tdb.db('pace_batch_items').insert([mine, theirs, alsoMine].map((id) => ({ batch_id: 7, outbox_item_id: id })));
      await fx.tdb.db('outbox').where({ id: alsoMine }).update({ status: 'dead' });
      const ids = fx.tdb.db('pace_batch_items').where({ batch_id: 7 }).select('outbox_item_id');
      assert.deepEqual((await outbox.list(fx.tdb.db, { ids, order: 'asc' })).map((i) => i.id), [mine, alsoMine]);
      assert.deepEqual((await outbox.list(fx.tdb.db, { ids, statuses: ['dead'] })).map((i) => i.id), [alsoMine]);
      assert.deepEqual(await outbox.countByStatus(fx.tdb.db, { ids }), { pending: 1, dead: 1 });
    });
  });
}
