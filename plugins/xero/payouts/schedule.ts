// The nightly payout sweep on a timer (XERO_PAYOUT_SWEEP_CRON, UTC; "off" starts nothing): catches payouts
// whose event was missed or whose posting failed (sweepPayouts). Started by every process that runs background
// work (the host calls `start` only there); several worker processes firing the same scheduled minute share
// one dedupe key per payout, so there is one item between them.
import { Cron } from 'croner';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { sweepPayouts } from './enqueue';

type Ctx = Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'logger' | 'payouts'>;

/** One sweep run, as the timer makes it; `at` names the run (its minute) for the dedupe key. */
export async function runPayoutSweep(ctx: Ctx, at: Date = new Date()): Promise<number> {
  const enqueued = await sweepPayouts(ctx, { runKey: at.toISOString().slice(0, 16) });
  if (enqueued > 0) ctx.logger.info({ enqueued }, 'payout sweep: payouts not yet posted are on their way to Xero again');
  return enqueued;
}

export function startPayoutSweep(ctx: Ctx & { config: XeroConfig }): (() => Promise<void>) | undefined {
  if (!ctx.config.payoutSweepCron) return undefined;
  const job = new Cron(ctx.config.payoutSweepCron, {
    protect: true, timezone: 'UTC', catch: (err) => ctx.logger.error({ err }, 'payout sweep failed'),
  }, async (self: Cron) => {
    await runPayoutSweep(ctx, self.currentRun() ?? new Date());
  });
  return async () => {
    job.stop();
  };
}
