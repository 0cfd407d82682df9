// Webhook forgery: every /webhooks/* route of the running app (plugins mount them without a session)
// refuses a request that is not signed by its provider — no signature, a made-up one, or a Stripe-style
// and GoCardless-style header with a wrong secret — with a 4xx, and the database is unchanged.
//
// Replay (a correctly signed event delivered again, or signed too long ago) needs each provider's signing
// secret and event format, so it is proven per provider against its emulator: test/e2e/stripe/webhooks.test.ts
// (stale signature refused, replayed event id ignored, nothing changes) and test/e2e/gocardless/webhooks.test.ts
// (forged, tampered, replayed and stale refused or ignored, nothing changes). This test skips when the app
// has no webhook routes at all.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { appRoutes } from './routes';
import { changedTables, snapshot, startSecurityWorld, type SecurityWorld } from './world';

const EVENT = JSON.stringify({ id: 'evt_forged', type: 'payout.paid', data: { object: { id: 'po_forged', amount: 100000 } }, events: [{ id: 'EV_forged', action: 'paid' }] });
const now = Math.floor(Date.now() / 1000);
const FORGERIES: Record<string, Record<string, string>> = {
  'no signature': {},
  'made-up Stripe signature': { 'Stripe-Signature': `t=${now},v1=${'ab'.repeat(32)}` },
  'made-up GoCardless signature': { 'Webhook-Signature': 'cd'.repeat(32) },
  'made-up generic signature': { 'X-Signature': 'ef'.repeat(32), 'X-Hub-Signature-256': `sha256=${'01'.repeat(32)}` },
};

for (const kind of dbKinds()) {
  describe(`security: webhook forgery (${kind})`, { timeout: 120_000 }, () => {
    let w: SecurityWorld;
    before(async () => {
      w = await startSecurityWorld(kind);
    });
    after(async () => w?.close());

    it('refuses unsigned and wrongly signed webhook requests, changing nothing', async (t) => {
      const hooks = appRoutes(w.x.app).filter((r) => r.path.startsWith('/webhooks/') && r.method !== 'GET');
      if (hooks.length === 0) {
        t.skip('no /webhooks/* routes are installed');
        return;
      }
      const problems: string[] = [];
      for (const hook of hooks) {
        const path = hook.path.replace(/:[A-Za-z]+/g, 'forged');
        const method = hook.method === 'USE' ? 'post' : (hook.method.toLowerCase() as 'post');
        const before = await snapshot(w.db);
        for (const [label, headers] of Object.entries(FORGERIES)) {
          const res = await request(w.x.app)[method](path).set({ 'Content-Type': 'application/json', ...headers }).send(EVENT);
          if (res.status < 400 || res.status >= 500) problems.push(`${hook.key} with ${label}: ${res.status} ${res.text.slice(0, 120)}`);
        }
        const changed = changedTables(before, await snapshot(w.db));
        if (changed.length) problems.push(`${hook.key}: forged webhooks changed ${changed.join(', ')}`);
      }
      assert.deepEqual(problems, [], problems.join('\n'));
    });
  });
}
