// Every answer of a provider webhook route that is not a success is JSON `{ error: { code, message } }`,
// never an HTML page (issue 18 #15): a signature no organisation's secret verifies and a signed body that is
// not the provider's (400), a body over the limit (413), a path or method the route does not serve (404),
// and an event that could not be recorded (500, after which the same event is accepted: nothing is lost).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { startSecurityWorld, type SecurityWorld } from './world';
import type { PluginContext } from '../../server/plugins/contract';
import { signPayload } from '../../emulators/stripe/webhooks';
import { keyHint, stripeSettings } from '../../plugins/stripe/settings';
import { gocardlessSettings } from '../../plugins/gocardless/settings';

const STRIPE_SECRET = 'whsec_securityErrorsSecret0123456';
const GC_SECRET = 'gc-security-errors-secret';

interface Provider {
  path: string;
  eventsTable: string;
  sign(body: string): Record<string, string>;
  event(id: string): string;
}

const providers: Provider[] = [
  {
    path: '/webhooks/stripe', eventsTable: 'stripe_events',
    sign: (body) => ({ 'Stripe-Signature': signPayload(body, STRIPE_SECRET, Math.floor(Date.now() / 1000)) }),
    event: (id) => JSON.stringify({ id: `evt_${id}`, object: 'event', type: 'customer.created', created: Math.floor(Date.now() / 1000), data: { object: { id: 'cus_1', object: 'customer' } } }),
  },
  {
    path: '/webhooks/gocardless', eventsTable: 'gocardless_events',
    sign: (body) => ({ 'Webhook-Signature': createHmac('sha256', GC_SECRET).update(body).digest('hex') }),
    event: (id) => JSON.stringify({ events: [{ id: `EV${id.toUpperCase()}`, created_at: new Date().toISOString(), resource_type: 'mandates', action: 'created', links: { mandate: 'MD000ERRORS' } }] }),
  },
];

function assertJsonError(res: request.Response, status: number, code: string): void {
  assert.equal(res.status, status, res.text.slice(0, 200));
  assert.match(String(res.headers['content-type']), /^application\/json/, `${status} is JSON`);
  assert.ok(!/<html/i.test(res.text), 'no HTML page');
  assert.equal(res.body.error.code, code);
  assert.equal(typeof res.body.error.message, 'string');
}

for (const kind of dbKinds()) {
  describe(`security: webhook errors are JSON (${kind})`, { timeout: 120_000 }, () => {
    let w: SecurityWorld;
    const post = (path: string, body: string | Buffer, headers: Record<string, string>) => request(w.x.app).post(path).set({ 'Content-Type': 'application/json', ...headers }).send(body);

    before(async () => {
      w = await startSecurityWorld(kind);
      const ctxOf = (id: string) => w.x.host.deps.plugins.plugins.find((p) => p.definition.id === id)!.context as PluginContext<unknown>;
      const orgId = w.a.orgId;
      const key = 'sk_test_securityErrorsKey00001';
      await stripeSettings.save(w.db, ctxOf('stripe').secrets, { orgId, secrets: { secretKey: key, webhookSecret: STRIPE_SECRET }, facts: { accountId: 'acct_1SecurityErrors0', keyHint: keyHint(key) }, by: 'test', now: Date.now() });
      await gocardlessSettings.save(w.db, ctxOf('gocardless').secrets, { orgId, secrets: { accessToken: 'gc_security_errors_token', webhookSecret: GC_SECRET }, facts: { creditorId: 'CR000ERRORS', creditorName: 'Errors Gym' }, by: 'test', now: Date.now() });
    });
    after(async () => w?.close());

    it('a webhook path no installed plugin serves is a JSON 404, not an HTML page', async () => {
      assertJsonError(await post('/webhooks/paypal', '{}', {}), 404, 'NOT_FOUND');
      assertJsonError(await request(w.x.app).get('/webhooks'), 404, 'NOT_FOUND');
    });

    for (const p of providers) {
      it(`${p.path}: 400, 413, 404 and 500 answer JSON; an event refused with 500 is accepted when sent again`, async () => {
        assertJsonError(await post(p.path, p.event('unsigned1'), {}), 400, 'INVALID_SIGNATURE');
        const garbage = 'not json at all';
        assertJsonError(await post(p.path, garbage, p.sign(garbage)), 400, 'INVALID_BODY');
        assertJsonError(await post(p.path, '', {}), 400, 'INVALID_BODY');
        const huge = Buffer.alloc(3 * 1024 * 1024, 0x20);
        assertJsonError(await post(p.path, huge, {}), 413, 'PAYLOAD_TOO_LARGE');
        assertJsonError(await request(w.x.app).get(p.path), 404, 'NOT_FOUND');
        assertJsonError(await post(`${p.path}/elsewhere`, p.event('elsewhere1'), {}), 404, 'NOT_FOUND');

        const body = p.event('recordlater1');
        await w.db.schema.renameTable(p.eventsTable, `${p.eventsTable}_away`);
        try {
          assertJsonError(await post(p.path, body, p.sign(body)), 500, 'WEBHOOK_NOT_RECORDED');
        } finally {
          await w.db.schema.renameTable(`${p.eventsTable}_away`, p.eventsTable);
        }
        const again = await post(p.path, body, p.sign(body));
        assert.equal(again.status, 200, again.text);
        assert.equal(again.body.accepted, 1);
      });
    }
  });
}
