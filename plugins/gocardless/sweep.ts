// The nightly sweep (provider kit's schedule): catches anything a webhook missed. For each connected
// organisation it reads the paid payouts and the payment events of the last GOCARDLESS_SWEEP_DAYS from the
// API and feeds them through the same dedupe as webhooks: an already-recorded payout or event does nothing.
import type { PluginContext } from '../../server/plugins/contract';
import { acceptEvents, enqueueWork, knownPayouts, sweepOrganisations } from '../providerKit';
import type { GoCardlessConfig } from './config';
import { EVENTS_TABLE, payoutWork, providerEvent } from './events';
import { PAYOUTS_TABLE } from './payouts/ingest';
import { clientFor, gocardlessSettings } from './settings';

type Ctx = PluginContext<GoCardlessConfig>;

export interface SweepResult { orgs: number; payoutsQueued: number; eventsAccepted: number; failed: { orgId: number; error: string }[] }

async function sweepOrg(ctx: Ctx, orgId: number, since: string): Promise<{ payoutsQueued: number; eventsAccepted: number }> {
  const client = await clientFor(ctx, orgId);
  if (!client) return { payoutsQueued: 0, eventsAccepted: 0 };
  const payouts = await client.allPayouts({ status: 'paid', 'created_at[gte]': since });
  const known = await knownPayouts(ctx.db, PAYOUTS_TABLE, orgId, payouts.map((p) => p.id));
  let payoutsQueued = 0;
  await ctx.db.transaction(async (trx) => {
    for (const payout of payouts) if (!known.has(payout.id) && (await enqueueWork(ctx, trx, orgId, payoutWork(payout.id)))) payoutsQueued += 1;
  });
  let eventsAccepted = 0;
  let after: string | undefined;
  do {
    const page = await client.eventsPage({ resource_type: 'payments', 'created_at[gte]': since, limit: 500, after });
    const { accepted } = await ctx.db.transaction((trx) => acceptEvents(ctx, trx, EVENTS_TABLE, orgId, page.items.map((e) => providerEvent(e, 'sweep'))));
    eventsAccepted += accepted;
    after = page.after ?? undefined;
  } while (after);
  return { payoutsQueued, eventsAccepted };
}

export async function runSweep(ctx: Ctx, opts: { orgId?: number; now?: number } = {}): Promise<SweepResult> {
  const since = new Date((opts.now ?? ctx.clock.now()) - ctx.config.sweepDays * 86_400_000).toISOString();
  const orgIds = (await gocardlessSettings.all(ctx.db)).map((s) => s.orgId).filter((id) => opts.orgId === undefined || id === opts.orgId);
  const outcome = await sweepOrganisations(ctx, orgIds, (orgId) => sweepOrg(ctx, orgId, since));
  return {
    orgs: orgIds.length,
    payoutsQueued: outcome.swept.reduce((n, s) => n + s.result.payoutsQueued, 0),
    eventsAccepted: outcome.swept.reduce((n, s) => n + s.result.eventsAccepted, 0),
    failed: outcome.failed,
  };
}
