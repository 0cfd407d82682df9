// The nightly sweep (provider kit's schedule): for each connected organisation, the payouts Stripe paid in
// the last STRIPE_SWEEP_DAYS that are not recorded yet are queued, as their payout.paid event would have
// queued them (the outbox dedupes, so one queued by its event too is worked on once).
import type { PluginContext } from '../../server/plugins/contract';
import { enqueueWork, knownPayouts, sweepOrganisations, type SweepOutcome } from '../providerKit';
import type { StripeConfig } from './config';
import { callStripe } from './client';
import { stripeSettings } from './settings';
import { connect, PAYOUTS_TABLE, payoutWork } from './work';

type Ctx = PluginContext<StripeConfig>;

async function sweepOrg(ctx: Ctx, orgId: number): Promise<number> {
  const conn = await connect(ctx, orgId);
  if (!conn) return 0;
  const since = Math.floor(ctx.clock.now() / 1000) - ctx.config.sweepDays * 86_400;
  const paid = await callStripe('the paid payouts', () => conn.stripe.payouts.list({ status: 'paid', created: { gte: since }, limit: 100 }).autoPagingToArray({ limit: 10_000 }));
  const known = await knownPayouts(ctx.db, PAYOUTS_TABLE, orgId, paid.map((p) => p.id));
  let queued = 0;
  await ctx.db.transaction(async (trx) => {
    for (const payout of paid) if (!known.has(payout.id) && (await enqueueWork(ctx, trx, orgId, payoutWork(payout.id)))) queued += 1;
  });
  return queued;
}

/** Sweep every connected organisation (or one); returns how many payouts each queued. */
export async function runSweep(ctx: Ctx, opts: { orgId?: number } = {}): Promise<SweepOutcome<number>> {
  const orgIds = (await stripeSettings.all(ctx.db)).map((s) => s.orgId).filter((id) => opts.orgId === undefined || id === opts.orgId);
  return sweepOrganisations(ctx, orgIds, (orgId) => sweepOrg(ctx, orgId));
}
