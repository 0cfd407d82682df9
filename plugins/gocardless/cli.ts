// `npm run cli -- gocardless:sweep [--org <id>]`: run the nightly sweep now (after an outage, say). It only
// queues work; running outbox workers record the payouts.
import type { Command } from 'commander';
import { AppError, ValidationError } from '../../server/errors';
import { plural, type PluginContext } from '../../server/plugins/contract';
import type { GoCardlessConfig } from './config';
import { runSweep } from './sweep';

export function registerGoCardlessCommands(program: Command, context: () => Promise<PluginContext<GoCardlessConfig>>, out: (line: string) => void = (l) => console.log(l)): void {
  program
    .command('gocardless:sweep')
    .description('Read recent paid payouts and payment events from GoCardless now and queue whatever was missed.')
    .option('--org <id>', 'only this organisation')
    .action(async (opts: { org?: string }) => {
      const orgId = opts.org === undefined ? undefined : Number(opts.org);
      if (orgId !== undefined && !(Number.isInteger(orgId) && orgId > 0)) throw new ValidationError([{ path: 'org', message: `must be an organisation id, got "${opts.org}"` }]);
      const ctx = await context();
      const r = await runSweep(ctx, orgId === undefined ? {} : { orgId });
      out(`${plural(r.orgs, 'organisation')} swept: ${plural(r.payoutsQueued, 'payout')} and ${plural(r.eventsAccepted, 'event')} queued.`);
      if (r.failed.length) {
        throw new AppError({ statusCode: 502, code: 'GOCARDLESS_SWEEP_FAILED', message: r.failed.map((f) => `organisation ${f.orgId}: ${f.error}`).join('\n') });
      }
    });
}
