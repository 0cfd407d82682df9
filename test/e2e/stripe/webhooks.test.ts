// Stripe plugin end to end over HTTP (SQLite and PostgreSQL): the admin saves a key (tested against the
// emulator) and a signing secret; charges, a partial refund and a dispute are paid out; every webhook
// is delivered twice and newest first; the host's payouts tables hold the payout once with the right
// lines. Forged, stale and replayed webhooks are refused or ignored and change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { csrfFrom, logIn, seedOrg, type Agent } from '../../support/xero';
import { stripePlugin } from '../../../plugins/stripe';
import type { PluginDefinition } from '../../../server/plugins/contract';
import { startEmulator, DAY_MS, type Running } from '../../../emulators/stripe/test/harness';
import { signPayload } from '../../../emulators/stripe/webhooks';

const SECRET = 'whsec_e2eSigningSecret0123456789';

for (const kind of dbKinds()) {
  describe(`Stripe webhooks → payouts (${kind})`, () => {
    let emu: Running;
    let app: TestApp;
    let admin: Agent;
    let orgId: number;
    before(async () => {
      emu = await startEmulator({ account: { country: 'GB' } });
      app = await startTestApp({ kind, plugins: [stripePlugin as unknown as PluginDefinition<unknown>], env: { STRIPE_API_BASE: emu.url } });
      const org = await seedOrg(app.host.deps.db, 'Stripe Gym');
      orgId = org.orgId;
      admin = await logIn(app.server as never, org.emails.admin);
      await emu.control('/webhook_endpoints', { url: `${app.baseUrl}/webhooks/stripe`, secret: SECRET });
    });
    after(async () => {
      await app.close();
      await emu.close();
    });

    const payouts = async () => app.host.deps.db('payouts').where({ org_id: orgId });

    it('saves settings only with a key Stripe accepts; the page shows the account, never the secrets', async () => {
      const page = await admin.get('/plugins/stripe');
      assert.equal(page.status, 200);
      const bad = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: 'sk_test_notakeyatall123', webhookSecret: SECRET });
      assert.equal(bad.status, 422);
      assert.equal((await app.host.deps.db('stripe_settings')).length, 0);
      const noCsrf = await admin.post('/plugins/stripe').type('form').send({ secretKey: emu.account.secretKey, webhookSecret: SECRET });
      assert.equal(noCsrf.status, 403);
      const good = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: emu.account.secretKey, webhookSecret: SECRET });
      assert.equal(good.status, 303);
      const shown = await admin.get('/plugins/stripe');
      assert.match(shown.text, new RegExp(emu.account.id));
      assert.ok(!shown.text.includes(emu.account.secretKey) && !shown.text.includes(SECRET));
      const row = await app.host.deps.db('stripe_settings').first();
      assert.ok(!JSON.stringify(row).includes(emu.account.secretKey));
      const staff = await request(app.server).get('/plugins/stripe');
      assert.notEqual(staff.status, 200);
    });

    it('records a payout once with its lines when every webhook comes twice and newest first', async () => {
      await emu.control('/webhooks/settings', { hold: true, duplicate: true });
      const charges: string[] = [];
      for (const amount of [5_000, 2_500, 1_999, 12_345]) {
        const pi = await emu.stripe.paymentIntents.create({ amount, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
        charges.push(pi.latest_charge as string);
      }
      await emu.stripe.refunds.create({ charge: charges[0]!, amount: 1_000 });
      await emu.control('/disputes', { charge: charges[1] });
      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      const [payout] = (await emu.stripe.payouts.list()).data;
      assert.equal(payout?.status, 'paid');
      assert.equal((await payouts()).length, 0, 'nothing before the webhooks');
      await emu.control('/webhooks/settings', { hold: false, duplicate: false });
      await emu.control('/webhooks/release', { order: 'reverse' });
      const deliveries = (await emu.control('/deliveries', undefined, 'GET')).body as { eventType: string; attempts: { status: number }[] }[];
      assert.ok(deliveries.filter((d) => d.eventType === 'payout.paid').length === 2);
      assert.ok(deliveries.every((d) => d.attempts.every((a) => a.status === 200)), 'every delivery accepted');
      const rows = await payouts();
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0].amount_minor), payout!.amount);
      assert.equal(rows[0].status, 'received');
      const lines = await app.host.deps.db('payout_lines').where({ payout_id: rows[0].id });
      const kinds = lines.map((l: { kind: string }) => l.kind).sort();
      assert.deepEqual(kinds, ['charge', 'charge', 'charge', 'charge', 'dispute', 'refund']);
      const net = lines.reduce((s: number, l: { amount_minor: number; fee_minor: number }) => s + Number(l.amount_minor) - Number(l.fee_minor), 0);
      assert.equal(net, payout!.amount);
      const dispute = lines.find((l: { kind: string }) => l.kind === 'dispute');
      assert.equal(Number(dispute.fee_minor), 2_000);
      assert.equal(dispute.charge_ref, charges[1]);
    });

    it('refuses forged and stale webhooks (400) and ignores a replayed one; nothing changes', async () => {
      const before = { payouts: (await payouts()).length, events: (await app.host.deps.db('stripe_events')).length };
      const event = ((await emu.control('/events?type=payout.paid', undefined, 'GET')).body as { id: string; data: unknown }[])[0]!;
      const body = JSON.stringify({ ...event, id: 'evt_forged' });
      const now = Math.floor(Date.now() / 1000);
      const forged = await request(app.server).post('/webhooks/stripe').set('content-type', 'application/json').set('stripe-signature', signPayload(body, 'whsec_attackerSecret000', now)).send(body);
      assert.equal(forged.status, 400);
      const unsigned = await request(app.server).post('/webhooks/stripe').set('content-type', 'application/json').send(body);
      assert.equal(unsigned.status, 400);
      const stale = await request(app.server).post('/webhooks/stripe').set('content-type', 'application/json').set('stripe-signature', signPayload(body, SECRET, now - 301)).send(body);
      assert.equal(stale.status, 400);
      const redelivered = (await emu.control(`/events/${event.id}/redeliver`, { signatureTimestamp: now - 600 })).body as { attempts: { status: number }[] }[];
      assert.equal(redelivered[0]!.attempts[0]!.status, 400);
      const replayed = (await emu.control(`/events/${event.id}/replay`, {})).body as { attempts: { status: number }[] }[];
      assert.equal(replayed[0]!.attempts[0]!.status, 200, 'a replay within the window is a known event id: ignored');
      assert.equal((await payouts()).length, before.payouts);
      assert.equal((await app.host.deps.db('stripe_events')).length, before.events);
    });
  });
}
