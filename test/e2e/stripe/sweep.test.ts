// Stripe's nightly sweep catches what webhooks missed: with no webhook endpoint at all, a paid payout is
// found through the API, queued, and recorded by a worker once; a second sweep queues nothing. An
// organisation whose key Stripe refuses is reported and the others are swept. SQLite, and PostgreSQL when
// TEST_PG_URL is set.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { startTestApp, type TestApp } from '../../support/app';
import { seedOrg } from '../../support/xero';
import { startHostWorkers } from '../../../server/boot';
import type { OutboxWorkers } from '../../../server/outbox';
import type { PluginContext, PluginDefinition } from '../../../server/plugins/contract';
import { stripePlugin } from '../../../plugins/stripe';
import type { StripeConfig } from '../../../plugins/stripe/config';
import { keyHint, stripeSettings } from '../../../plugins/stripe/settings';
import { runSweep } from '../../../plugins/stripe/sweep';
import { startEmulator, DAY_MS, type Running } from '../../../emulators/stripe/test/harness';

for (const kind of dbKinds()) {
  describe(`Stripe nightly sweep (${kind})`, () => {
    let emu: Running;
    let app: TestApp;
    let workers: OutboxWorkers;
    let ctx: PluginContext<StripeConfig>;
    let orgId: number;
    let refusedOrgId: number;
    const connect = async (org: number, secretKey: string) => stripeSettings.save(ctx.db, ctx.secrets, {
      orgId: org, secrets: { secretKey, webhookSecret: 'whsec_unusedBySweep0001' }, facts: { accountId: emu.account.id, keyHint: keyHint(secretKey) }, by: 'test', now: Date.now(),
    });

    before(async () => {
      emu = await startEmulator({ account: { country: 'GB' } });
      app = await startTestApp({ kind, plugins: [stripePlugin as unknown as PluginDefinition<unknown>], env: { STRIPE_API_BASE: emu.url, STRIPE_SWEEP_CRON: 'off' } });
      ctx = app.host.deps.plugins.plugins.find((p) => p.definition.id === 'stripe')!.context as PluginContext<StripeConfig>;
      refusedOrgId = (await seedOrg(ctx.db, 'Revoked Key Gym')).orgId;
      orgId = (await seedOrg(ctx.db, 'Sweep Gym')).orgId;
      await connect(refusedOrgId, 'sk_test_revokedKeyNobodyKnows01');
      await connect(orgId, emu.account.secretKey);
      workers = startHostWorkers(app.host);
    });
    after(async () => {
      await workers?.stop();
      await app?.close();
      await emu?.close();
    });

    const drained = async () => {
      for (let i = 0; i < 400; i += 1) {
        const [row] = (await ctx.db('outbox').where('type', 'like', 'stripe.%').whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[];
        if (Number(row!.n) === 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('outbox did not drain');
    };

    it('no webhooks: the sweep queues the paid payout, a worker records it once; a refused key is reported, the others go on', async () => {
      await emu.stripe.paymentIntents.create({ amount: 7_500, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
      await emu.control('/clock/advance', { ms: 4 * DAY_MS });
      await emu.control('/clock/advance', { ms: DAY_MS });
      const [payout] = (await emu.stripe.payouts.list()).data;
      assert.equal(payout?.status, 'paid');

      const first = await runSweep(ctx);
      assert.deepEqual(first.swept, [{ orgId, result: 1 }]);
      assert.equal(first.failed.length, 1);
      assert.equal(first.failed[0]!.orgId, refusedOrgId);
      assert.match(first.failed[0]!.error, /^Stripe could not return the paid payouts: /);
      await drained();
      const recorded = await ctx.db('payouts').where({ org_id: orgId, provider_payout_id: payout!.id });
      assert.equal(recorded.length, 1);
      assert.equal(Number(recorded[0].amount_minor), payout!.amount);

      const second = await runSweep(ctx, { orgId });
      assert.deepEqual(second, { swept: [{ orgId, result: 0 }], failed: [] }, 'what is recorded is not queued again');
      await drained();
      assert.equal((await ctx.db('payouts').where({ org_id: orgId })).length, 1);
    });
  });
}
