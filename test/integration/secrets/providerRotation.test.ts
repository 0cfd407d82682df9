// `secrets:rotate-org` re-seals the payment providers' secrets, and the providers still work afterwards:
// for Stripe and for GoCardless, an organisation connects through its settings page, its data key is
// rotated with the CLI, every sealed column of the plugin is re-sealed under the new key, and then a real
// webhook from the provider's emulator is verified (the webhook secret opened) and its payout read from the
// API by a worker (the API secret opened) and recorded.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Command } from 'commander';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { csrfFrom, logIn, seedOrg, type SeededOrg } from '../../support/xero';
import { registerSecretCommands } from '../../../server/cli/secrets';
import { parseEnvelope } from '../../../server/secrets/envelope';
import { startHostWorkers } from '../../../server/boot';
import type { OutboxWorkers } from '../../../server/outbox';
import type { PluginDefinition } from '../../../server/plugins/contract';
import { stripePlugin } from '../../../plugins/stripe';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import { GoCardlessClient } from '../../../plugins/gocardless/client';
import { startEmulator as startStripeEmulator, DAY_MS, type Running as RunningStripe } from '../../../emulators/stripe/test/harness';
import { startEmulator as startGoCardlessEmulator, control, type Running as RunningGoCardless } from '../../../emulators/gocardless/test/helpers';

async function rotateOrg(app: TestApp, orgId: number): Promise<{ keyId: string; output: string }> {
  const lines: string[] = [];
  const program = new Command().exitOverride();
  const { config, db, plugins } = app.host.deps;
  registerSecretCommands(program, async () => ({ config, db, sealedColumns: plugins.sealedColumns }), { print: (l) => lines.push(l), readStdin: async () => '' });
  await program.parseAsync(['secrets:rotate-org', '--org', String(orgId)], { from: 'user' });
  const output = lines.join('\n');
  const keyId = /now seals with data key (\S+);/.exec(output)?.[1];
  assert.ok(keyId, output);
  return { keyId, output };
}

async function resealed(app: TestApp, table: string, orgId: number, columns: string[], keyId: string, before: Record<string, unknown>): Promise<void> {
  const row = (await app.host.deps.db(table).where({ org_id: orgId }).first()) as Record<string, string>;
  for (const column of columns) {
    assert.notEqual(row[column], before[column], `${column} re-sealed`);
    assert.equal(parseEnvelope(row[column]!).keyId, keyId, `${column} sealed under the new data key`);
  }
}

/** Until no item of the plugin will still run: pending, leased, or paused (until resumed). */
async function drained(app: TestApp, prefix: string, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const [row] = (await app.host.deps.db('outbox').where('type', 'like', `${prefix}.%`).whereIn('status', ['pending', 'leased', 'paused']).count({ n: '*' })) as { n: number | string }[];
    if (Number(row!.n) === 0) return;
    assert.ok(Date.now() < until, `${prefix} outbox items did not drain`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

for (const kind of dbKinds()) {
  describe(`secrets:rotate-org re-seals Stripe's secrets; Stripe still works (${kind})`, () => {
    const SECRET = 'whsec_rotationSigningSecret012345';
    let emu: RunningStripe;
    let app: TestApp;
    let org: SeededOrg;
    let workers: OutboxWorkers;
    before(async () => {
      emu = await startStripeEmulator({ account: { country: 'GB' } });
      app = await startTestApp({ kind, plugins: [stripePlugin as unknown as PluginDefinition<unknown>], env: { STRIPE_API_BASE: emu.url, STRIPE_SWEEP_CRON: 'off' } });
      org = await seedOrg(app.host.deps.db, 'Rotating Stripe Gym');
      workers = startHostWorkers(app.host);
    });
    after(async () => {
      await workers?.stop();
      await app?.close();
      await emu?.close();
    });

    it('re-seals the secret key and signing secret; a payout webhook is then verified and recorded', async () => {
      const admin = await logIn(app.server as never, org.emails.admin);
      const page = await admin.get('/plugins/stripe');
      assert.equal((await admin.post('/plugins/stripe').type('form').send({ _csrf: csrfFrom(page), secretKey: emu.account.secretKey, webhookSecret: SECRET })).status, 303);
      await emu.control('/webhook_endpoints', { url: `${app.baseUrl}/webhooks/stripe`, secret: SECRET });
      const before = (await app.host.deps.db('stripe_settings').where({ org_id: org.orgId }).first()) as Record<string, unknown>;

      const { keyId, output } = await rotateOrg(app, org.orgId);
      assert.match(output, /stripe_settings\.secret_key_sealed: 1/);
      assert.match(output, /stripe_settings\.webhook_secret_sealed: 1/);
      await resealed(app, 'stripe_settings', org.orgId, ['secret_key_sealed', 'webhook_secret_sealed'], keyId, before);

      await emu.stripe.paymentIntents.create({ amount: 3_000, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      await emu.control('/webhooks/flush', {});
      const deliveries = (await emu.control('/deliveries', undefined, 'GET')).body as { eventType: string; attempts: { status: number }[] }[];
      assert.ok(deliveries.length > 0 && deliveries.every((d) => d.attempts.every((a) => a.status === 200)), 'every webhook verified');
      await drained(app, 'stripe');
      const [payout] = (await emu.stripe.payouts.list()).data;
      const recorded = await app.host.deps.db('payouts').where({ org_id: org.orgId, provider_payout_id: payout!.id });
      assert.equal(recorded.length, 1, 'the payout was read from Stripe with the re-sealed key and recorded');
    });
  });

  describe(`secrets:rotate-org re-seals GoCardless's secrets; GoCardless still works (${kind})`, () => {
    const SECRET = 'gc-rotation-webhook-secret';
    let gc: RunningGoCardless;
    let app: TestApp;
    let org: SeededOrg;
    let workers: OutboxWorkers;
    before(async () => {
      gc = await startGoCardlessEmulator({ clockStart: Date.now() });
      app = await startTestApp({ kind, plugins: [gocardlessPlugin as unknown as PluginDefinition<unknown>], env: { GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off' } });
      org = await seedOrg(app.host.deps.db, 'Rotating GoCardless Gym');
      workers = startHostWorkers(app.host);
    });
    after(async () => {
      await workers?.stop();
      await app?.close();
      await gc?.close();
    });

    it('re-seals the access token and endpoint secret; a payout webhook is then verified and recorded', async () => {
      const admin = await logIn(app.server as never, org.emails.admin);
      const page = await admin.get('/plugins/gocardless');
      assert.equal((await admin.post('/plugins/gocardless').type('form').send({ _csrf: csrfFrom(page), access_token: gc.emulator.accessToken!, webhook_secret: SECRET })).status, 303);
      await control(gc.url, 'POST', '/webhook_endpoints', { url: `${app.baseUrl}/webhooks/gocardless`, secret: SECRET });
      const before = (await app.host.deps.db('gocardless_settings').where({ org_id: org.orgId }).first()) as Record<string, unknown>;

      const { keyId, output } = await rotateOrg(app, org.orgId);
      assert.match(output, /gocardless_settings\.access_token_sealed: 1/);
      assert.match(output, /gocardless_settings\.webhook_secret_sealed: 1/);
      await resealed(app, 'gocardless_settings', org.orgId, ['access_token_sealed', 'webhook_secret_sealed'], keyId, before);

      const client = new GoCardlessClient({ baseUrl: gc.url, accessToken: gc.emulator.accessToken! });
      const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates');
      const payment = await client.createPayment({ amount: 2_500, currency: 'GBP', mandate: m.mandate.id });
      await control(gc.url, 'POST', `/payments/${payment.id}/confirm`);
      const [payout] = (await control<{ id: string }[]>(gc.url, 'POST', '/payouts/run')).body;
      await gc.emulator.webhooks.idle();
      await drained(app, 'gocardless');
      const recorded = await app.host.deps.db('payouts').where({ org_id: org.orgId, provider_payout_id: payout!.id });
      assert.equal(recorded.length, 1, 'the payout was read from GoCardless with the re-sealed token and recorded');
    });
  });
}
