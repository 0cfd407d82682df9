// Webhook replay, for both /webhooks/* routes of the app with every plugin (the security world): an
// organisation has Stripe and GoCardless settings with known signing secrets; a genuine, correctly signed
// event is accepted once (its work queued once); the same bytes and signature sent again (a replay), the
// event re-signed too long ago (stale), a never-seen event signed too long ago, and a captured signature
// moved to a new timestamp are refused or ignored — and change nothing in the database.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { changedTables, snapshot, startSecurityWorld, type SecurityWorld } from './world';
import type { PluginContext } from '../../server/plugins/contract';
import { signPayload } from '../../emulators/stripe/webhooks';
import { keyHint, stripeSettings } from '../../plugins/stripe/settings';
import { gocardlessSettings } from '../../plugins/gocardless/settings';

const STRIPE_SECRET = 'whsec_securityReplaySecret0123456';
const GC_SECRET = 'gc-security-replay-secret';

for (const kind of dbKinds()) {
  describe(`security: webhook replay (${kind})`, { timeout: 120_000 }, () => {
    let w: SecurityWorld;
    const post = (path: string, body: string, headers: Record<string, string>) => request(w.x.app).post(path).set({ 'Content-Type': 'application/json', ...headers }).send(body);
    const unchanged = async (label: string, before: Awaited<ReturnType<typeof snapshot>>) => assert.deepEqual(changedTables(before, await snapshot(w.db)), [], `${label} changed nothing`);

    before(async () => {
      w = await startSecurityWorld(kind);
      const ctxOf = (id: string) => w.x.host.deps.plugins.plugins.find((p) => p.definition.id === id)!.context as PluginContext<unknown>;
      const orgId = w.a.orgId;
      const key = 'sk_test_securityReplayKey0001';
      await stripeSettings.save(w.db, ctxOf('stripe').secrets, { orgId, secrets: { secretKey: key, webhookSecret: STRIPE_SECRET }, facts: { accountId: 'acct_1SecurityReplay0', keyHint: keyHint(key) }, by: 'test', now: Date.now() });
      await gocardlessSettings.save(w.db, ctxOf('gocardless').secrets, { orgId, secrets: { accessToken: 'gc_security_replay_token', webhookSecret: GC_SECRET }, facts: { creditorId: 'CR000SECURITY', creditorName: 'Security Gym' }, by: 'test', now: Date.now() });
    });
    after(async () => w?.close());

    it('/webhooks/stripe: accepted once; replayed, stale and re-timed signatures change nothing', async () => {
      const now = Math.floor(Date.now() / 1000);
      // An event type the plugin only records (no Stripe API call), so the test needs no emulator.
      const body = JSON.stringify({ id: 'evt_1SecurityReplay', object: 'event', type: 'customer.created', created: now, livemode: false, data: { object: { id: 'cus_1', object: 'customer' } } });
      const genuine = signPayload(body, STRIPE_SECRET, now);
      const first = await post('/webhooks/stripe', body, { 'Stripe-Signature': genuine });
      assert.equal(first.status, 200, first.text);
      assert.equal((await w.db('stripe_events').where({ event_id: 'evt_1SecurityReplay' })).length, 1);
      const before = await snapshot(w.db);

      const replay = await post('/webhooks/stripe', body, { 'Stripe-Signature': genuine });
      assert.equal(replay.status, 200, 'a replay inside the window is a known event: acknowledged, ignored');
      assert.deepEqual(replay.body, { accepted: 0, duplicates: 1 });
      assert.equal((await post('/webhooks/stripe', body, { 'Stripe-Signature': signPayload(body, STRIPE_SECRET, now - 301) })).status, 400, 'stale');
      const fresh = body.replace('evt_1SecurityReplay', 'evt_1SecurityNever');
      assert.equal((await post('/webhooks/stripe', fresh, { 'Stripe-Signature': signPayload(fresh, STRIPE_SECRET, now - 600) })).status, 400, 'a never-seen event signed 10 minutes ago');
      const retimed = genuine.replace(`t=${now}`, `t=${now + 5}`);
      assert.equal((await post('/webhooks/stripe', body, { 'Stripe-Signature': retimed })).status, 400, 'a captured signature under a new timestamp');
      await unchanged('Stripe replays', before);
    });

    it('/webhooks/gocardless: accepted once with its work queued once; replayed and stale events change nothing', async () => {
      const sign = (b: string) => createHmac('sha256', GC_SECRET).update(b).digest('hex');
      const event = { id: 'EV000SECREPLAY1', created_at: new Date().toISOString(), resource_type: 'payouts', action: 'paid', links: { payout: 'PO000SECREPLAY' }, details: { origin: 'gocardless', cause: 'payout_paid', description: 'Paid' }, metadata: {} };
      const body = JSON.stringify({ events: [event], meta: { webhook_id: 'WB000SECREPLAY1' } });
      const first = await post('/webhooks/gocardless', body, { 'Webhook-Signature': sign(body) });
      assert.equal(first.status, 200, first.text);
      assert.equal((await w.db('outbox').where({ type: 'gocardless.payout.ingest', org_id: w.a.orgId })).length, 1, 'its work queued once');
      const before = await snapshot(w.db);

      const replay = await post('/webhooks/gocardless', body, { 'Webhook-Signature': sign(body) });
      assert.equal(replay.status, 200, 'a replay inside the window is a known event: acknowledged, ignored');
      // The same event resent in another webhook (GoCardless signs no timestamp: the event id is the guard).
      const resent = JSON.stringify({ events: [event], meta: { webhook_id: 'WB000SECREPLAY2' } });
      assert.equal((await post('/webhooks/gocardless', resent, { 'Webhook-Signature': sign(resent) })).status, 200);
      const old = { ...event, id: 'EV000SECSTALE01', created_at: new Date(Date.now() - 25 * 3_600_000).toISOString() };
      const staleBody = JSON.stringify({ events: [old], meta: { webhook_id: 'WB000SECSTALE1' } });
      const stale = await post('/webhooks/gocardless', staleBody, { 'Webhook-Signature': sign(staleBody) });
      assert.equal(stale.status, 400, 'an event older than the replay window');
      await unchanged('GoCardless replays', before);
    });
  });
}
