// The polling sweep on a timer (XERO_POLL_CRON, UTC, default every 15 minutes; "off" starts nothing).
// Started by every process that runs background work; the run's minute dedupes the items between them.
import { Cron } from 'croner';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { enqueuePolls } from './poll';

export function startPollSweep(ctx: Pick<PluginContext<XeroConfig>, 'db' | 'outbox' | 'logger' | 'config'>): (() => Promise<void>) | undefined {
  if (!ctx.config.pollCron) return undefined;
  const job = new Cron(ctx.config.pollCron, {
    protect: true, timezone: 'UTC', catch: (err) => ctx.logger.error({ err }, 'xero polling sweep could not be queued'),
  }, async (self: Cron) => {
    await enqueuePolls(ctx, (self.currentRun() ?? new Date()).toISOString().slice(0, 16));
  });
  return async () => {
    job.stop();
  };
}
