// GoCardless end to end over HTTP: the real app (GoCardless plugin, outbox workers) and the GoCardless
// emulator on real ports. The admin connects through the settings form (token tested against the API);
// webhooks delivered twice each and in reverse order record each payout once, with the right lines, in the
// host's payout tables, and the sale's payment once; forged, tampered, replayed and stale webhooks are
// refused and change nothing. SQLite, and PostgreSQL when TEST_PG_URL is set.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { startTestApp, type TestApp } from '../../support/app';
import { dbKinds } from '../../support/db';
import { csrfFrom, PASSWORD, seedOrg, type SeededOrg } from '../../support/xero';
import { startOutboxWorkers, type OutboxWorkers } from '../../../server/outbox';
import { createSale } from '../../../server/domain/sales';
import type { PluginDefinition, Principal } from '../../../server/plugins/contract';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import { startEmulator, control, type Running } from '../../../emulators/gocardless/test/helpers';
import { GoCardlessClient } from '../../../plugins/gocardless/client';

const SECRET = 'gc-webhook-secret-e2e';

async function logInAt(baseUrl: string, email: string) {
  const agent = request.agent(baseUrl);
  const page = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(page), email, password: PASSWORD });
  assert.equal(res.status, 303, `login: ${res.status}`);
  return agent;
}

for (const kind of dbKinds()) {
  describe(`GoCardless webhooks end to end (${kind})`, () => {
    let gc: Running;
    let app: TestApp;
    let org: SeededOrg;
    let workers: OutboxWorkers;
    let client: GoCardlessClient;

    const db = () => app.host.deps.db;
    const counts = async () => ({
      events: Number(((await db()('gocardless_events').count({ n: '*' })) as { n: number | string }[])[0]!.n),
      outbox: Number(((await db()('outbox').where('type', 'like', 'gocardless.%').count({ n: '*' })) as { n: number | string }[])[0]!.n),
      payouts: Number(((await db()('payouts').where({ provider: 'gocardless' }).count({ n: '*' })) as { n: number | string }[])[0]!.n),
      payments: Number(((await db()('payments').where({ method: 'gocardless' }).count({ n: '*' })) as { n: number | string }[])[0]!.n),
    });
    const drained = async (timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      for (;;) {
        await gc.emulator.webhooks.idle();
        const waiting = (await db()('outbox').where('type', 'like', 'gocardless.%').whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
        if (Number(waiting[0]!.n) === 0) return;
        if (Date.now() > until) throw new Error('GoCardless outbox items did not drain');
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const post = (body: string, signature: string | undefined) => {
      const req = request(app.baseUrl).post('/webhooks/gocardless').set('Content-Type', 'application/json');
      if (signature !== undefined) req.set('Webhook-Signature', signature);
      return req.send(body);
    };

    before(async () => {
      gc = await startEmulator({ clockStart: Date.now() });
      app = await startTestApp({ kind, plugins: [gocardlessPlugin as unknown as PluginDefinition<unknown>], env: { GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off', SESSION_SECRET: 'gocardless-e2e-session-secret-0123456789', LOGIN_MAX_ATTEMPTS: '1000' } });
      org = await seedOrg(db(), 'Direct Debit Gym');
      workers = startOutboxWorkers({ db: db(), handlers: app.host.deps.plugins.handlers, concurrency: 2, leaseMs: 15_000, pollMs: 100, logger: app.host.deps.logger, notifier: app.host.notifier });
      client = new GoCardlessClient({ baseUrl: gc.url, accessToken: gc.emulator.accessToken! });
    });
    after(async () => {
      await workers?.stop();
      await app?.close();
      await gc?.close();
    });

    test('settings: a wrong token is refused and nothing saved; the right one is tested, sealed and saved; roles', async () => {
      const staff = await logInAt(app.baseUrl, org.emails.staff);
      assert.equal((await staff.get('/plugins/gocardless')).status, 403);
      const admin = await logInAt(app.baseUrl, org.emails.admin);
      const page = await admin.get('/plugins/gocardless');
      assert.equal(page.status, 200);
      assert.match(page.text, /Not connected/);
      // The emulator has no dashboard: the page says where endpoints are added instead (issue 14).
      assert.doesNotMatch(page.text, /GoCardless's dashboard/);
      assert.match(page.text.replace(/\s+/g, ' '), /GoCardless-compatible service at <a href="http:\/\/[^"]+"[^>]*>.*POST \/_emulator\/webhook_endpoints/);
      const noCsrf = await admin.post('/plugins/gocardless').type('form').send({ access_token: 'wrong-token-123', webhook_secret: SECRET });
      assert.equal(noCsrf.status, 403);
      const wrong = await admin.post('/plugins/gocardless').type('form').send({ _csrf: csrfFrom(page), access_token: 'wrong-token-123', webhook_secret: SECRET });
      assert.equal(wrong.status, 422);
      assert.match(wrong.text, /GoCardless refused this access token/);
      assert.equal(await db()('gocardless_settings').first(), undefined);

      const ok = await admin.post('/plugins/gocardless').type('form').send({ _csrf: csrfFrom(page), access_token: gc.emulator.accessToken!, webhook_secret: SECRET });
      assert.equal(ok.status, 303);
      const row = await db()('gocardless_settings').where({ org_id: org.orgId }).first();
      assert.ok(row);
      const creditor = [...gc.emulator.books.creditors.values()][0]!;
      assert.equal(row.creditor_id, creditor.id);
      assert.ok(!String(row.access_token_sealed).includes(gc.emulator.accessToken!), 'the token is sealed');
      assert.ok(!String(row.webhook_secret_sealed).includes(SECRET), 'the secret is sealed');
      const after = await admin.get('/plugins/gocardless');
      assert.match(after.text, /Connected to <strong>Demo Gym Ltd<\/strong>/);
      assert.ok(!after.text.includes(SECRET) && !after.text.includes(gc.emulator.accessToken!));
      await control(gc.url, 'POST', '/webhook_endpoints', { url: `${app.baseUrl}/webhooks/gocardless`, secret: SECRET });
    });

    test('settings: a secret left blank keeps the saved one; a new one replaces only itself', async () => {
      const admin = await logInAt(app.baseUrl, org.emails.admin);
      const before = await db()('gocardless_settings').where({ org_id: org.orgId }).first();
      const page = await admin.get('/plugins/gocardless');
      assert.match(page.text, /Access token \(leave blank to keep the saved one\)/);
      const kept = await admin.post('/plugins/gocardless').type('form').send({ _csrf: csrfFrom(page), access_token: '', webhook_secret: '' });
      assert.equal(kept.status, 303);
      const after = await db()('gocardless_settings').where({ org_id: org.orgId }).first();
      assert.equal(after.access_token_sealed, before.access_token_sealed);
      assert.equal(after.webhook_secret_sealed, before.webhook_secret_sealed);
      const bad = await admin.post('/plugins/gocardless').type('form').send({ _csrf: csrfFrom(page), access_token: 'has spaces in it', webhook_secret: '' });
      assert.equal(bad.status, 422);
      assert.match(bad.text, /Nothing was saved/);
      assert.equal((await db()('gocardless_settings').where({ org_id: org.orgId }).first()).access_token_sealed, before.access_token_sealed);
    });

    test('every webhook twice and in reverse order: each payout recorded once with its lines, the sale paid once', async () => {
      const staffRow = await db()('users').where({ org_id: org.orgId, role: 'staff' }).first('id');
      const staff: Principal = { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' };
      const sale = await createSale(app.host.deps, staff, { currency: 'GBP', customer: { name: 'Ada Lovelace' }, lines: [{ description: 'Annual membership', quantity: 1, unitPrice: '250.00', taxCode: 'OUTPUT2' }] });

      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 2, hold: true });
      const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.test' } });
      const amounts = [25_000, 1_234, 999, 50_000, 3_000];
      const payments = [];
      for (const [i, amount] of amounts.entries()) {
        payments.push(await client.createPayment({ amount, currency: 'GBP', mandate: m.mandate.id, description: `DD ${i}`, ...(i === 0 ? { metadata: { ledgerbridge_sale_id: String(sale.id) } } : {}) }));
      }
      for (const p of payments) await control(gc.url, 'POST', `/payments/${p.id}/confirm`);
      await client.createRefund({ payment: payments[1]!.id, amount: 234, totalAmountConfirmation: 234 });
      const [first] = (await control<{ id: string; amount: number; items: unknown[] }[]>(gc.url, 'POST', '/payouts/run')).body;
      await control(gc.url, 'POST', `/payments/${payments[3]!.id}/charge_back`);
      const extra = await client.createPayment({ amount: 60_000, currency: 'GBP', mandate: m.mandate.id });
      await control(gc.url, 'POST', `/payments/${extra.id}/confirm`);
      const [second] = (await control<{ id: string; amount: number; items: unknown[] }[]>(gc.url, 'POST', '/payouts/run')).body;
      assert.ok(first && second);

      const before = await counts();
      const released = (await control<{ released: number }>(gc.url, 'POST', '/webhooks/release', { order: 'reverse' })).body.released;
      assert.ok(released >= 4);
      await drained();
      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 1, hold: false });

      const payouts = (await db()('payouts').where({ org_id: org.orgId, provider: 'gocardless' }).orderBy('id')) as { id: number; provider_payout_id: string; amount_minor: number | string; status: string; line_count: number }[];
      assert.deepEqual(payouts.map((p) => p.provider_payout_id).sort(), [first.id, second.id].sort());
      for (const p of payouts) {
        const expected: { amount: number; items: unknown[] } = p.provider_payout_id === first.id ? first : second;
        assert.equal(Number(p.amount_minor), expected.amount);
        assert.equal(p.status, 'received', 'lines add up to the payout');
        assert.equal(p.line_count, expected.items.length);
      }
      const secondRow = payouts.find((p) => p.provider_payout_id === second.id)!;
      const lines = (await db()('payout_lines').where({ payout_id: secondRow.id }).orderBy('position')) as { kind: string; amount_minor: number | string; fee_minor: number | string; fee_tax_minor: number | string; charge_ref: string | null }[];
      assert.deepEqual(lines.map((l) => [l.kind, Number(l.amount_minor), Number(l.fee_minor), Number(l.fee_tax_minor), l.charge_ref]), [
        ['dispute', -50_000, 0, 0, payments[3]!.id],
        ['fee', 0, -(400 + 80), -80, payments[3]!.id],
        ['charge', 60_000, 0, 0, extra.id],
        ['fee', 0, 480, 80, extra.id],
      ]);
      const firstRow = payouts.find((p) => p.provider_payout_id === first.id)!;
      const firstLines = (await db()('payout_lines').where({ payout_id: firstRow.id }).orderBy('position')) as { kind: string; sale_id: number | null; counterparty_name: string | null; counterparty_email: string | null; amount_minor: number | string }[];
      assert.equal(firstLines.filter((l) => l.kind === 'charge').length, 5);
      assert.deepEqual(firstLines.filter((l) => l.kind === 'refund').map((l) => Number(l.amount_minor)), [-234]);
      const saleLine = firstLines.find((l) => l.sale_id !== null);
      assert.equal(saleLine?.sale_id, sale.id);
      assert.equal(saleLine?.counterparty_name, 'Ada Lovelace');
      assert.equal(saleLine?.counterparty_email, 'ada@example.test');

      const recordItems = await db()('outbox').where({ type: 'gocardless.payment.record' }).select('status', 'last_error');
      const payment = (await db()('payments').where({ org_id: org.orgId, method: 'gocardless' })) as { sale_id: number; amount_minor: number | string; provider_ref: string }[];
      assert.deepEqual(payment.map((p) => [p.sale_id, Number(p.amount_minor), p.provider_ref]), [[sale.id, 25_000, payments[0]!.id]], JSON.stringify(recordItems));

      const afterCounts = await counts();
      const uniqueEvents = new Set((await control<{ eventIds: string[] }[]>(gc.url, 'GET', '/webhooks')).body.flatMap((w) => w.eventIds));
      assert.equal(afterCounts.events - before.events, uniqueEvents.size, 'each event id recorded once');
      assert.equal(afterCounts.payouts, 2);
    });

    test('a €10.00 payment naming a £ sale is never recorded as £10.00: its item fails with the reason, shown to the admin', async () => {
      const staffRow = await db()('users').where({ org_id: org.orgId, role: 'staff' }).first('id');
      const staff: Principal = { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' };
      const sale = await createSale(app.host.deps, staff, { currency: 'GBP', customer: { name: 'Grace Hopper' }, lines: [{ description: 'Class pass', quantity: 1, unitPrice: '50.00', taxCode: 'OUTPUT2' }] });
      const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Grace', family_name: 'Hopper', email: 'grace@example.test' } });
      const euro = await client.createPayment({ amount: 1_000, currency: 'EUR', mandate: m.mandate.id, description: 'Class pass (EUR)', metadata: { ledgerbridge_sale_id: String(sale.id) } });
      await control(gc.url, 'POST', `/payments/${euro.id}/confirm`);
      await drained();
      assert.deepEqual(await db()('payments').where({ sale_id: sale.id }), [], 'nothing recorded on the GBP sale');
      const items = (await db()('outbox').where({ type: 'gocardless.payment.record', status: 'dead' }).select('last_error')) as { last_error: string }[];
      const failure = items.find((i) => i.last_error.includes(euro.id));
      assert.ok(failure, JSON.stringify(items));
      assert.match(failure.last_error, /currency: must be GBP, the currency of the sale/);
      const admin = await logInAt(app.baseUrl, org.emails.admin);
      const page = await admin.get('/plugins/gocardless').expect(200);
      assert.match(page.text, new RegExp(`${euro.id}[\\s\\S]*must be GBP`));
    });

    test('forged, tampered, replayed and stale webhooks are refused and change nothing', async () => {
      const hooks = (await control<{ id: string; state: string }[]>(gc.url, 'GET', '/webhooks')).body.filter((w) => w.state === 'delivered');
      const delivered = hooks[hooks.length - 1]!;
      const before = await counts();

      const event = { id: 'EV0FORGED0001', created_at: new Date().toISOString(), resource_type: 'payouts', action: 'paid', links: { payout: 'PO0FORGED' }, details: {}, metadata: {} };
      const body = JSON.stringify({ events: [event], meta: { webhook_id: 'WB0FORGED' } });
      const forged = await post(body, createHmac('sha256', 'not-the-secret').update(body).digest('hex'));
      assert.equal(forged.status, 400);
      assert.equal((await post(body, undefined)).status, 400);
      assert.equal((await post(body, 'zz')).status, 400);
      const genuine = createHmac('sha256', SECRET).update(body).digest('hex');
      const tampered = await post(body.replace('PO0FORGED', 'PO0OTHER00'), genuine);
      assert.equal(tampered.status, 400);

      const replay = await control<{ status: number }>(gc.url, 'POST', `/webhooks/${delivered.id}/replay`);
      assert.equal(replay.body.status, 200, 'a replay inside the window is acknowledged…');

      const old = { ...event, id: 'EV0STALE00001', created_at: new Date(Date.now() - 25 * 3_600_000).toISOString() };
      const staleBody = JSON.stringify({ events: [old], meta: { webhook_id: 'WB0STALE' } });
      const stale = await post(staleBody, createHmac('sha256', SECRET).update(staleBody).digest('hex'));
      assert.equal(stale.status, 400);
      assert.equal(stale.body.error.code, 'STALE_EVENTS');

      await drained();
      assert.deepEqual(await counts(), before, '…and nothing changed');
    });
    test('a payout GoCardless does not have fails for good with its reason, shown to the admin', async () => {
      const event = { id: 'EV0MISSINGPO01', created_at: new Date().toISOString(), resource_type: 'payouts', action: 'paid', links: { payout: 'PO0MISSING0001' }, details: {}, metadata: {} };
      const body = JSON.stringify({ events: [event], meta: { webhook_id: 'WB0MISSINGPO01' } });
      const res = await post(body, createHmac('sha256', SECRET).update(body).digest('hex'));
      assert.equal(res.status, 200, res.text);
      await drained();
      const [item] = await db()('outbox').where({ type: 'gocardless.payout.ingest', dedupe_key: `gocardless.payout.ingest:${org.orgId}:PO0MISSING0001` });
      assert.equal(item.status, 'dead', 'failed for good, not retried');
      assert.equal(Number(item.attempts), 1);
      assert.match(item.last_error, /^Payout PO0MISSING0001: GoCardless GET \/payouts\/PO0MISSING0001: /);
      const admin = await logInAt(app.baseUrl, org.emails.admin);
      const page = await admin.get('/plugins/gocardless');
      assert.match(page.text, /data-payout="PO0MISSING0001"[\s\S]*?Failed[\s\S]*?GoCardless GET \/payouts\/PO0MISSING0001/);
      assert.match(page.text, /Recorded/, 'the recorded payouts are listed too');
    });

    test('disconnect: the secrets are deleted and webhooks signed with them refused', async () => {
      const admin = await logInAt(app.baseUrl, org.emails.admin);
      const page = await admin.get('/plugins/gocardless');
      const res = await admin.post('/plugins/gocardless/disconnect').type('form').send({ _csrf: csrfFrom(page) });
      assert.equal(res.status, 303);
      assert.equal(await db()('gocardless_settings').where({ org_id: org.orgId }).first(), undefined);
      assert.match((await admin.get('/plugins/gocardless')).text, /GoCardless is disconnected[\s\S]*Not connected/);
      const event = { id: 'EV0AFTERDISC01', created_at: new Date().toISOString(), resource_type: 'payouts', action: 'paid', links: { payout: 'PO0AFTERDISC' }, details: {}, metadata: {} };
      const body = JSON.stringify({ events: [event], meta: { webhook_id: 'WB0AFTERDISC01' } });
      const refused = await post(body, createHmac('sha256', SECRET).update(body).digest('hex'));
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.code, 'INVALID_SIGNATURE');
    });
  });
}
