// Stripe plugin end to end over HTTP (SQLite and PostgreSQL), with the real outbox workers: the admin saves a
// key (tested against the emulator) and a signing secret; charges, a partial refund and a dispute are paid
// out; every webhook is delivered twice and newest first; the host's payouts tables hold the payout once with
// the right lines. A signed event is answered at once without a call to Stripe and worked on from the outbox;
// a payout Stripe does not have fails for good with Stripe's reason, shown to the admin. Forged, stale and
// replayed webhooks are refused (as JSON) or ignored and change nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { csrfFrom, logIn, seedOrg, type Agent } from '../../support/xero';
import { stripePlugin } from '../../../plugins/stripe';
import { startHostWorkers } from '../../../server/boot';
import { createSale } from '../../../server/domain/sales';
import { recordPayment } from '../../../server/domain/payments';
import type { OutboxWorkers } from '../../../server/outbox';
import type { PluginDefinition, Principal } from '../../../server/plugins/contract';
import { startEmulator, DAY_MS, type Running } from '../../../emulators/stripe/test/harness';
import { signPayload } from '../../../emulators/stripe/webhooks';

const SECRET = 'whsec_e2eSigningSecret0123456789';

for (const kind of dbKinds()) {
  describe(`Stripe webhooks → payouts (${kind})`, () => {
    let emu: Running;
    let app: TestApp;
    let admin: Agent;
    let orgId: number;
    let staff: Principal;
    let workers: OutboxWorkers | undefined;
    before(async () => {
      emu = await startEmulator({ account: { country: 'GB' } });
      app = await startTestApp({ kind, plugins: [stripePlugin as unknown as PluginDefinition<unknown>], env: { STRIPE_API_BASE: emu.url, STRIPE_SWEEP_CRON: 'off' } });
      const org = await seedOrg(app.host.deps.db, 'Stripe Gym');
      orgId = org.orgId;
      admin = await logIn(app.server as never, org.emails.admin);
      const staffRow = await app.host.deps.db('users').where({ org_id: orgId, role: 'staff' }).first('id');
      staff = { kind: 'user', id: Number(staffRow.id), orgId, role: 'staff', name: 'staff' };
      await emu.control('/webhook_endpoints', { url: `${app.baseUrl}/webhooks/stripe`, secret: SECRET });
      workers = startHostWorkers(app.host);
    });
    after(async () => {
      await workers?.stop();
      await app.close();
      await emu.close();
    });

    const db = () => app.host.deps.db;
    const payouts = async () => db()('payouts').where({ org_id: orgId });
    const items = (type: string) => db()('outbox').where({ type }).orderBy('id');
    const drained = async (timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const [row] = (await db()('outbox').where('type', 'like', 'stripe.%').whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
        if (Number(row!.n) === 0) return;
        assert.ok(Date.now() < until, 'Stripe outbox items did not drain');
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const stripeCalls = async () => ((await emu.control('/calls', undefined, 'GET')).body as unknown[]).length;
    const post = (body: string, signature?: string) => {
      const req = request(app.server).post('/webhooks/stripe').set('content-type', 'application/json');
      if (signature !== undefined) req.set('stripe-signature', signature);
      return req.send(body);
    };
    const signed = (event: Record<string, unknown>) => {
      const body = JSON.stringify({ object: 'event', created: Math.floor(Date.now() / 1000), livemode: false, ...event });
      return { body, signature: signPayload(body, SECRET, Math.floor(Date.now() / 1000)) };
    };

    it('saves settings only with a key Stripe accepts; the page shows the account, never the secrets', async () => {
      const page = await admin.get('/plugins/stripe');
      assert.equal(page.status, 200);
      // The emulator has no dashboard: the page says where endpoints are added instead (issue 14).
      assert.doesNotMatch(page.text, /In the Stripe dashboard|Stripe's dashboard/);
      assert.match(page.text.replace(/\s+/g, ' '), new RegExp(`Stripe-compatible service at <a href="${emu.url}"[^>]*>${emu.url}</a>.*POST /v1/webhook_endpoints`));
      const bad = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: 'sk_test_notakeyatall123', webhookSecret: SECRET });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /Stripe refused this key/);
      assert.equal((await db()('stripe_settings')).length, 0);
      const blank = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: '', webhookSecret: '' });
      assert.equal(blank.status, 422, 'nothing saved yet: both are needed');
      const noCsrf = await admin.post('/plugins/stripe').type('form').send({ secretKey: emu.account.secretKey, webhookSecret: SECRET });
      assert.equal(noCsrf.status, 403);
      const good = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: emu.account.secretKey, webhookSecret: SECRET });
      assert.equal(good.status, 303);
      const shown = await admin.get('/plugins/stripe');
      assert.match(shown.text, new RegExp(emu.account.id));
      assert.ok(!shown.text.includes(emu.account.secretKey) && !shown.text.includes(SECRET));
      const row = await db()('stripe_settings').first();
      assert.ok(!JSON.stringify(row).includes(emu.account.secretKey) && !JSON.stringify(row).includes(SECRET));
      const staff = await request(app.server).get('/plugins/stripe');
      assert.notEqual(staff.status, 200);
    });

    it('keeps a saved secret when its field is left blank, and replaces only the one given', async () => {
      const before = await db()('stripe_settings').where({ org_id: orgId }).first();
      const page = await admin.get('/plugins/stripe');
      assert.match(page.text, /leave blank to keep the saved one/);
      const kept = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: '', webhookSecret: '' });
      assert.equal(kept.status, 303);
      const after = await db()('stripe_settings').where({ org_id: orgId }).first();
      assert.equal(after.secret_key_sealed, before.secret_key_sealed);
      assert.equal(after.webhook_secret_sealed, before.webhook_secret_sealed);
      assert.equal(after.account_id, emu.account.id);

      const other = 'whsec_anotherSigningSecret987654';
      const replaced = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: '', webhookSecret: other });
      assert.equal(replaced.status, 303);
      const now = await db()('stripe_settings').where({ org_id: orgId }).first();
      assert.equal(now.secret_key_sealed, before.secret_key_sealed, 'the key is kept');
      assert.notEqual(now.webhook_secret_sealed, before.webhook_secret_sealed);
      const event = signed({ id: 'evt_keptKey0001', type: 'customer.created', data: { object: { id: 'cus_1', object: 'customer' } } });
      assert.equal((await post(event.body, event.signature)).status, 400, 'the old signing secret no longer verifies');
      const withOther = signPayload(event.body, other, Math.floor(Date.now() / 1000));
      assert.equal((await post(event.body, withOther)).status, 200);
      const back = await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), webhookSecret: SECRET });
      assert.equal(back.status, 303);
    });

    it('a charge staff already recorded by hand for another amount: the event is recorded once, answered 200, and the conflict shown', async () => {
      const sale = await createSale(app.host.deps, staff, { currency: 'GBP', customer: { name: 'Desk Customer' }, lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '50.00', taxCode: 'OUTPUT2' }] });
      await emu.control('/webhooks/settings', { hold: true });
      const pi = await emu.stripe.paymentIntents.create({ amount: 5_000, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, metadata: { ledgerbridge_sale_id: String(sale.id) } });
      const chargeId = String(pi.latest_charge);
      // At the desk, staff typed the real charge id against the wrong amount.
      const byHand = await recordPayment(app.host.deps, staff, sale.id, { method: 'stripe', amount: '20.00', providerRef: chargeId });
      await emu.control('/webhooks/settings', { hold: false });
      await emu.control('/webhooks/release', { order: 'fifo' });
      const event = ((await emu.control('/events?type=charge.succeeded', undefined, 'GET')).body as { id: string; data: { object: { id: string } } }[]).find((e) => e.data.object.id === chargeId)!;
      const deliveries = (await emu.control(`/deliveries?event=${event.id}`, undefined, 'GET')).body as { attempts: { status: number }[] }[];
      assert.deepEqual(deliveries.flatMap((d) => d.attempts.map((a) => a.status)), [200], 'answered 200 the first time (was 409 on every retry)');
      const again = (await emu.control(`/events/${event.id}/redeliver`, {})).body as { attempts: { status: number }[] }[];
      assert.equal(again[0]!.attempts[0]!.status, 200);
      await drained();

      assert.equal((await db()('stripe_events').where({ org_id: orgId, event_id: event.id })).length, 1, 'the event is recorded once');
      const [item] = await items('stripe.charge.record').where({ dedupe_key: `stripe.charge.record:${orgId}:${chargeId}` });
      assert.equal(item.status, 'dead', 'flagged for a person, not retried');
      assert.match(item.last_error, new RegExp(`^Charge ${chargeId}: names Sale ${sale.id} \\(50\\.00 GBP\\) but conflicts with a payment already recorded: .*payment ${byHand.payment.id} \\(20\\.00 GBP on Sale ${sale.id}\\)`));
      const payments = await db()('payments').where({ sale_id: sale.id });
      assert.deepEqual(payments.map((p: { amount_minor: number | string }) => Number(p.amount_minor)), [2_000], 'nothing recorded twice');
      const page = await admin.get('/plugins/stripe');
      assert.match(page.text, new RegExp(`Needs attention[\\s\\S]*Charge ${chargeId}[\\s\\S]*names Sale ${sale.id}`));
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
      await drained();
      const rows = await payouts();
      assert.equal(rows.length, 1);
      assert.equal(Number(rows[0].amount_minor), payout!.amount);
      assert.equal(rows[0].status, 'received');
      const lines = await db()('payout_lines').where({ payout_id: rows[0].id });
      const kinds = lines.map((l: { kind: string }) => l.kind).sort();
      // The four charges here and the one of the desk-conflict test before.
      assert.deepEqual(kinds, ['charge', 'charge', 'charge', 'charge', 'charge', 'dispute', 'refund']);
      const net = lines.reduce((s: number, l: { amount_minor: number; fee_minor: number }) => s + Number(l.amount_minor) - Number(l.fee_minor), 0);
      assert.equal(net, payout!.amount);
      const dispute = lines.find((l: { kind: string }) => l.kind === 'dispute');
      assert.equal(Number(dispute.fee_minor), 2_000);
      assert.equal(dispute.charge_ref, charges[1]);
      assert.equal((await items('stripe.payout.ingest')).length, 1, 'the payout was worked on once');
      const page = await admin.get('/plugins/stripe');
      assert.match(page.text, new RegExp(`data-payout="${payout!.id}"[\\s\\S]*?Recorded`), 'the payout is listed as recorded');
    });

    it('answers a signed event at once without calling Stripe; a worker does the work afterwards', async () => {
      // Stripe's own deliveries are held: the test sends the payout's event itself, with the workers stopped.
      await emu.control('/webhooks/settings', { hold: true });
      // Stripe's clock is days ahead of ours by now: the charge is recorded on its sale as received now, not later.
      const sale = await createSale(app.host.deps, staff, { currency: 'GBP', customer: { name: 'Online Customer' }, lines: [{ description: 'Drop-in class', quantity: 1, unitPrice: '42.00', taxCode: 'OUTPUT2' }] });
      await emu.stripe.paymentIntents.create({ amount: 4_200, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, metadata: { ledgerbridge_sale_id: String(sale.id) } });
      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      const payout = (await emu.stripe.payouts.list({ limit: 1 })).data[0]!;
      assert.equal(payout.status, 'paid');
      await workers!.stop();
      workers = undefined;
      const event = signed({ id: 'evt_inRequestNoCall01', type: 'payout.paid', data: { object: { id: payout.id, object: 'payout' } } });
      const callsBefore = await stripeCalls();
      const answered = await post(event.body, event.signature);
      assert.equal(answered.status, 200, answered.text);
      assert.deepEqual(answered.body, { accepted: 1, duplicates: 0 });
      assert.equal(await stripeCalls(), callsBefore, 'no call to Stripe inside the request');
      const [item] = await items('stripe.payout.ingest').where({ dedupe_key: `stripe.payout.ingest:${orgId}:${payout.id}` });
      assert.equal(item?.status, 'pending', 'its work is queued');
      assert.equal((await db()('stripe_events').where({ org_id: orgId, event_id: 'evt_inRequestNoCall01' })).length, 1);
      assert.equal((await db()('payouts').where({ org_id: orgId, provider_payout_id: payout.id })).length, 0);

      workers = startHostWorkers(app.host);
      await drained();
      assert.ok((await stripeCalls()) > callsBefore, 'the worker read the payout from Stripe');
      assert.equal((await db()('payouts').where({ org_id: orgId, provider_payout_id: payout.id })).length, 1);
      const paid = await db()('payments').where({ sale_id: sale.id });
      assert.deepEqual(paid.map((p: { amount_minor: number | string }) => Number(p.amount_minor)), [4_200], 'the payout recorded its charge on the sale');
      assert.ok(Number(paid[0].received_at) <= Date.now());
      await emu.control('/webhooks/settings', { hold: false });
      await emu.control('/webhooks/release', { order: 'fifo' });
      await drained();
      assert.equal((await db()('payouts').where({ org_id: orgId, provider_payout_id: payout.id })).length, 1, 'Stripe\'s own delivery changes nothing');
      assert.equal((await db()('payments').where({ sale_id: sale.id })).length, 1);
    });

    it('a payout Stripe does not have fails for good with Stripe\'s reason, shown to the admin', async () => {
      const event = signed({ id: 'evt_unknownPayout001', type: 'payout.paid', data: { object: { id: 'po_doesNotExist0001', object: 'payout' } } });
      const answered = await post(event.body, event.signature);
      assert.equal(answered.status, 200, 'accepted at once: the event is genuine');
      await drained();
      const [item] = await items('stripe.payout.ingest').where({ dedupe_key: `stripe.payout.ingest:${orgId}:po_doesNotExist0001` });
      assert.equal(item.status, 'dead', 'failed for good, not retried');
      assert.equal(Number(item.attempts), 1);
      assert.match(item.last_error, /Payout po_doesNotExist0001: Stripe could not return payout po_doesNotExist0001: No such payout: 'po_doesNotExist0001' \(resource_missing\)/);
      const page = await admin.get('/plugins/stripe');
      assert.match(page.text, /data-payout="po_doesNotExist0001"[\s\S]*?Failed[\s\S]*?No such payout: &#39;po_doesNotExist0001&#39; \(resource_missing\)/);
    });

    it('refuses forged and stale webhooks (400, JSON) and ignores a replayed one; nothing changes', async () => {
      const before = { payouts: (await payouts()).length, events: (await db()('stripe_events')).length, outbox: (await db()('outbox')).length };
      const event = ((await emu.control('/events?type=payout.paid', undefined, 'GET')).body as { id: string; data: unknown }[])[0]!;
      const body = JSON.stringify({ ...event, id: 'evt_forged' });
      const now = Math.floor(Date.now() / 1000);
      const forged = await post(body, signPayload(body, 'whsec_attackerSecret000', now));
      assert.equal(forged.status, 400);
      assert.match(String(forged.headers['content-type']), /^application\/json/);
      assert.equal(forged.body.error.code, 'INVALID_SIGNATURE');
      const unsigned = await post(body);
      assert.equal(unsigned.status, 400);
      assert.equal(unsigned.body.error.code, 'INVALID_SIGNATURE');
      const stale = await post(body, signPayload(body, SECRET, now - 301));
      assert.equal(stale.status, 400);
      const redelivered = (await emu.control(`/events/${event.id}/redeliver`, { signatureTimestamp: now - 600 })).body as { attempts: { status: number }[] }[];
      assert.equal(redelivered[0]!.attempts[0]!.status, 400);
      const replayed = (await emu.control(`/events/${event.id}/replay`, {})).body as { attempts: { status: number }[] }[];
      assert.equal(replayed[0]!.attempts[0]!.status, 200, 'a replay within the window is a known event id: ignored');
      assert.equal((await payouts()).length, before.payouts);
      assert.equal((await db()('stripe_events')).length, before.events);
      assert.equal((await db()('outbox')).length, before.outbox);
    });

    it('disconnect: the secrets are deleted, webhooks signed with them are refused, the page offers to connect', async () => {
      const event = signed({ id: 'evt_afterDisconnect1', type: 'customer.created', data: { object: { id: 'cus_2', object: 'customer' } } });
      const page = await admin.get('/plugins/stripe');
      assert.match(page.text, /Disconnect Stripe/);
      const res = await admin.post('/plugins/stripe/disconnect').type('form').send({ _csrf: csrfFrom(page) });
      assert.equal(res.status, 303);
      assert.equal(await db()('stripe_settings').where({ org_id: orgId }).first(), undefined);
      const after = await admin.get('/plugins/stripe');
      assert.match(after.text, /Stripe is not set up for this organisation/);
      assert.match(after.text, /Stripe is disconnected/);
      assert.ok(!/Disconnect Stripe/.test(after.text));
      assert.match(after.text, /po_doesNotExist0001/, 'what became of past payouts stays visible');
      assert.equal((await post(event.body, event.signature)).status, 400);
      const staff = await request(app.server).post('/plugins/stripe/disconnect');
      assert.notEqual(staff.status, 303);
    });
  });
}
