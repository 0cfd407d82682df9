// The nightly sweep catches what webhooks missed: with no webhook endpoint at all, a paid payout and a
// confirmed payment for our sale are found through the API and recorded once; a second sweep does nothing.
// SQLite, and PostgreSQL when TEST_PG_URL is set.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestApp, type TestApp } from '../../support/app';
import { dbKinds } from '../../support/db';
import { seedOrg, type SeededOrg } from '../../support/xero';
import { startOutboxWorkers, type OutboxWorkers } from '../../../server/outbox';
import { createSale } from '../../../server/domain/sales';
import type { PluginContext, PluginDefinition, Principal } from '../../../server/plugins/contract';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import type { GoCardlessConfig } from '../../../plugins/gocardless/config';
import { gocardlessSettings } from '../../../plugins/gocardless/settings';
import { runSweep } from '../../../plugins/gocardless/sweep';
import { GoCardlessClient } from '../../../plugins/gocardless/client';
import { startEmulator, control, type Running } from '../../../emulators/gocardless/test/helpers';

for (const kind of dbKinds()) {
  describe(`GoCardless nightly sweep (${kind})`, () => {
    let gc: Running;
    let app: TestApp;
    let org: SeededOrg;
    let workers: OutboxWorkers;
    let ctx: PluginContext<GoCardlessConfig>;

    before(async () => {
      gc = await startEmulator({ clockStart: Date.now() });
      app = await startTestApp({ kind, plugins: [gocardlessPlugin as unknown as PluginDefinition<unknown>], env: { GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off' } });
      ctx = app.host.deps.plugins.plugins.find((p) => p.definition.id === 'gocardless')!.context as PluginContext<GoCardlessConfig>;
      org = await seedOrg(app.host.deps.db, 'Sweep Gym');
      const creditor = [...gc.emulator.books.creditors.values()][0]!;
      await gocardlessSettings.save(ctx.db, ctx.secrets, { orgId: org.orgId, secrets: { accessToken: gc.emulator.accessToken!, webhookSecret: 'unused-secret' }, facts: { creditorId: creditor.id, creditorName: creditor.name }, by: 'test', now: Date.now() });
      workers = startOutboxWorkers({ db: ctx.db, handlers: app.host.deps.plugins.handlers, concurrency: 2, leaseMs: 15_000, pollMs: 100, logger: app.host.deps.logger, notifier: app.host.notifier });
    });
    after(async () => {
      await workers?.stop();
      await app?.close();
      await gc?.close();
    });

    const drained = async () => {
      for (let i = 0; i < 200; i += 1) {
        const [row] = (await ctx.db('outbox').where('type', 'like', 'gocardless.%').whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
        if (Number(row!.n) === 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('outbox did not drain');
    };

    test('no webhooks: the sweep records the paid payout and the sale payment, once', async () => {
      const staffRow = await ctx.db('users').where({ org_id: org.orgId, role: 'staff' }).first('id');
      const staff: Principal = { kind: 'user', id: Number(staffRow.id), orgId: org.orgId, role: 'staff', name: 'staff' };
      const sale = await createSale(app.host.deps, staff, { currency: 'GBP', customer: { name: 'Grace Hopper' }, lines: [{ description: 'Class pass', quantity: 1, unitPrice: '40.00', taxCode: 'OUTPUT2' }] });
      const client = new GoCardlessClient({ baseUrl: gc.url, accessToken: gc.emulator.accessToken! });
      const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates');
      const p = await client.createPayment({ amount: 4000, currency: 'GBP', mandate: m.mandate.id, metadata: { ledgerbridge_sale_id: String(sale.id) } });
      await control(gc.url, 'POST', `/payments/${p.id}/confirm`);
      const [payout] = (await control<{ id: string; amount: number }[]>(gc.url, 'POST', '/payouts/run')).body;
      assert.ok(payout);

      const first = await runSweep(ctx);
      assert.deepEqual({ orgs: first.orgs, payoutsQueued: first.payoutsQueued, failed: first.failed }, { orgs: 1, payoutsQueued: 1, failed: [] });
      assert.ok(first.eventsAccepted >= 2);
      await drained();
      const payouts = await ctx.db('payouts').where({ org_id: org.orgId, provider: 'gocardless' });
      assert.deepEqual(payouts.map((r: { provider_payout_id: string; amount_minor: number | string }) => [r.provider_payout_id, Number(r.amount_minor)]), [[payout.id, payout.amount]]);
      const payments = await ctx.db('payments').where({ org_id: org.orgId, method: 'gocardless' });
      assert.deepEqual(payments.map((r: { sale_id: number; provider_ref: string }) => [r.sale_id, r.provider_ref]), [[sale.id, p.id]]);

      const second = await runSweep(ctx);
      assert.deepEqual({ payoutsQueued: second.payoutsQueued, eventsAccepted: second.eventsAccepted }, { payoutsQueued: 0, eventsAccepted: 0 });
      await drained();
      assert.equal((await ctx.db('payouts').where({ org_id: org.orgId })).length, 1);
    });

    test('a refused token is reported for that organisation and the sweep goes on', async () => {
      await control(gc.url, 'POST', '/tokens/revoke', { access_token: gc.emulator.accessToken });
      const r = await runSweep(ctx);
      assert.equal(r.failed.length, 1);
      assert.match(r.failed[0]!.error, /not a valid live API access token/);
    });
  });
}
