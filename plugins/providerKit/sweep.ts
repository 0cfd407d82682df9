// The nightly sweep schedule both providers share: catches what webhooks missed (the provider down, our
// endpoint down longer than it retries, an event older than its window). One croner job (UTC, `protect`
// so a slow run is never overlapped by the next), its pattern from the plugin's config (null: off). Each
// organisation is swept on its own: one that fails is logged and the others go on.
import { Cron } from 'croner';
import type { PluginContext } from '../../server/plugins/contract';

export interface SweepOutcome<R> {
  swept: { orgId: number; result: R }[];
  failed: { orgId: number; error: string }[];
}

/** Sweep each organisation in turn; a failure is logged and reported, never stops the others. */
export async function sweepOrganisations<R>(ctx: PluginContext<unknown>, orgIds: readonly number[], sweepOrg: (orgId: number) => Promise<R>): Promise<SweepOutcome<R>> {
  const outcome: SweepOutcome<R> = { swept: [], failed: [] };
  for (const orgId of orgIds) {
    try {
      outcome.swept.push({ orgId, result: await sweepOrg(orgId) });
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      ctx.logger.error({ orgId, err: error }, 'sweep failed for an organisation; the others go on');
      outcome.failed.push({ orgId, error });
    }
  }
  return outcome;
}

/** Start the schedule; returns its stop function (none when the pattern is off). */
export function startSweepSchedule(ctx: PluginContext<unknown>, pattern: string | null, sweep: () => Promise<unknown>): (() => Promise<void>) | undefined {
  if (!pattern) return undefined;
  const job = new Cron(pattern, { protect: true, timezone: 'UTC', catch: (err) => ctx.logger.error({ err }, 'sweep failed; it runs again at its next time') }, async () => {
    const result = await sweep();
    ctx.logger.info({ result }, 'sweep done');
  });
  return async () => {
    job.stop();
  };
}
