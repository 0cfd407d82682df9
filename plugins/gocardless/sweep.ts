// The nightly sweep: catches anything a webhook missed (GoCardless down, our endpoint down longer than
// GoCardless retries, an event older than the replay window). For each connected organisation it reads the
// paid payouts and the payment events of the last GOCARDLESS_SWEEP_DAYS from the API and feeds them through
// the same dedupe as webhooks: an already-recorded payout or event does nothing.
import { Cron } from 'croner';
import type { PluginContext } from '../../server/plugins/contract';
import type { GoCardlessConfig } from './config';
import { acceptEvent, enqueueWork, PAYOUT_INGEST } from './events';
import { allSettings, clientFor } from './settings';

export interface SweepResult { orgs: number; payoutsQueued: number; eventsAccepted: number; failed: { orgId: number; error: string }[] }

export async function runSweep(ctx: PluginContext<GoCardlessConfig>, opts: { orgId?: number; now?: number } = {}): Promise<SweepResult> {
  const since = new Date((opts.now ?? Date.now()) - ctx.config.sweepDays * 86_400_000).toISOString();
  const result: SweepResult = { orgs: 0, payoutsQueued: 0, eventsAccepted: 0, failed: [] };
  for (const settings of await allSettings(ctx.db)) {
    if (opts.orgId !== undefined && settings.org_id !== opts.orgId) continue;
    result.orgs += 1;
    try {
      const client = await clientFor(ctx.db, ctx.secrets, ctx.config, settings);
      const payouts = await client.allPayouts({ status: 'paid', 'created_at[gte]': since });
      const known = new Set(((await ctx.db('gocardless_payouts').where({ org_id: settings.org_id }).whereIn('payout_id', payouts.map((p) => p.id)).select('payout_id')) as { payout_id: string }[]).map((r) => r.payout_id));
      for (const payout of payouts) {
        if (known.has(payout.id)) continue;
        if (await enqueueWork(ctx.db, ctx, settings.org_id, { type: PAYOUT_INGEST, id: payout.id })) result.payoutsQueued += 1;
      }
      let after: string | undefined;
      do {
        const page = await client.eventsPage({ resource_type: 'payments', 'created_at[gte]': since, limit: 500, after });
        await ctx.db.transaction(async (trx) => {
          for (const event of page.items) if (await acceptEvent(trx, ctx, settings.org_id, event, 'sweep')) result.eventsAccepted += 1;
        });
        after = page.after ?? undefined;
      } while (after);
    } catch (err) {
      ctx.logger.error({ orgId: settings.org_id, err }, 'GoCardless sweep failed for an organisation; the others go on');
      result.failed.push({ orgId: settings.org_id, error: (err as Error).message });
    }
  }
  return result;
}

/** Start the nightly schedule (UTC); returns its stop function. No schedule when GOCARDLESS_SWEEP_CRON=off. */
export function startSweepSchedule(ctx: PluginContext<GoCardlessConfig>): (() => Promise<void>) | undefined {
  if (!ctx.config.sweepCron) return undefined;
  const job = new Cron(ctx.config.sweepCron, { protect: true, timezone: 'UTC' }, async () => {
    try {
      const r = await runSweep(ctx);
      if (r.orgs > 0) ctx.logger.info(r, 'GoCardless nightly sweep');
    } catch (err) {
      ctx.logger.error({ err }, 'GoCardless nightly sweep failed; it runs again tomorrow');
    }
  });
  return async () => {
    job.stop();
  };
}
