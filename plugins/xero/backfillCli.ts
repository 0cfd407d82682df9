// `npm run cli -- xero:backfill --from 2026-01-01 [--org <id>] [--no-wait]`: import history, with a progress
// bar while sales are queued and another while the sync (the app's workers) sends them; exits non-zero,
// listing the failures, if any record failed. `--resume <id>` continues a cancelled or interrupted import.
import { SingleBar, Presets } from 'cli-progress';
import type { Command } from 'commander';
import { AppError } from '../../server/errors';
import type { PluginContext } from '../../server/plugins/contract';
import { saleNameOf } from './engine/names';
import type { XeroConfig } from './config';
import { backfillFailures, backfillProgress, createBackfill, getBackfill, parseStartDate, runBackfill } from './sync/backfill';

export class BackfillFailedError extends AppError {
  constructor(message: string, help?: string) {
    super({ statusCode: 500, code: 'BACKFILL_FAILED', message, ...(help ? { help } : {}) });
  }
}

export interface BackfillCliOptions {
  out: (line: string) => void;
  /** Where the bars draw (stderr by default; tests pass a sink). */
  stream?: NodeJS.WritableStream;
  pollMs?: number;
}

export function registerBackfillCommand(program: Command, context: () => Promise<PluginContext<XeroConfig>>, opts: BackfillCliOptions): void {
  program
    .command('xero:backfill')
    .description('Import history: push every sale from a start date (with its refunds and payments) to Xero, skipping what is already there.')
    .option('--from <date>', 'first day to import, YYYY-MM-DD, in the organisation time zone')
    .option('--resume <id>', 'continue a cancelled or interrupted import instead of starting one')
    .option('--org <id>', 'organisation id (optional when there is one)')
    .option('--no-wait', 'return once everything is queued, without waiting for the sync')
    .option('--timeout <seconds>', 'give up waiting for the sync after this long (0: no limit)', '0')
    .option('--page-size <n>', 'sales per transaction', '500')
    .action(async (o: { from?: string; resume?: string; org?: string; wait: boolean; timeout: string; pageSize: string }) => {
      const ctx = await context();
      const org = await ctx.organisations.resolve(ctx.db, o.org === undefined ? undefined : Number(o.org));
      const pageSize = Math.max(1, Math.min(5_000, Number(o.pageSize) || 500));
      const stream = opts.stream ?? process.stderr;
      let row;
      if (o.resume !== undefined) row = await getBackfill(ctx.db, org.id, Number(o.resume));
      else {
        if (!o.from) throw new BackfillFailedError('Say where the history starts: --from YYYY-MM-DD (or --resume <id>).');
        row = await createBackfill(ctx, { orgId: org.id, from: parseStartDate(o.from, org.timeZone, ctx.clock.now()), actor: 'cli' });
      }
      opts.out(`History import ${row.id} for ${org.name}: ${row.salesTotal === 1 ? '1 sale' : `${row.salesTotal} sales`} from ${ctx.pages.formatDateTime(row.fromAt, org.timeZone)}`);

      const queueing = new SingleBar({ format: 'Queueing  [{bar}] {value}/{total} sales', stream, noTTYOutput: true, notTTYSchedule: 1000 }, Presets.shades_classic);
      queueing.start(row.salesTotal, row.salesDone);
      const ended = await runBackfill(ctx, org.id, row.id, { pageSize, onPage: (r) => queueing.update(r.salesDone) }).finally(() => queueing.stop());
      if (ended.status === 'cancelled') {
        const at = ended.cursorSaleId > 0 ? `after ${await saleNameOf(ctx.records, ctx.db, org.id, ended.cursorSaleId)}` : 'before its first sale';
        throw new BackfillFailedError(`History import ${ended.id} was cancelled ${at}.`, `Resume it with: xero:backfill --resume ${ended.id}`);
      }

      let progress = await backfillProgress(ctx, ended);
      opts.out(`Queued: ${progress.recordsTotal} records (${progress.recordsSynced} already in Xero).`);
      if (!o.wait) {
        opts.out(`Not waiting: follow it on /plugins/xero/history, or run xero:backfill --resume ${ended.id}.`);
        return;
      }
      const deadline = Number(o.timeout) > 0 ? Date.now() + Number(o.timeout) * 1000 : Infinity;
      const syncing = new SingleBar({ format: 'Syncing   [{bar}] {value}/{total} records · {failed} failed', stream, noTTYOutput: true, notTTYSchedule: 1000 }, Presets.shades_classic);
      syncing.start(progress.recordsTotal, progress.recordsSynced + progress.recordsFailed, { failed: progress.recordsFailed });
      try {
        while (!progress.finished) {
          if (Date.now() > deadline) throw new BackfillFailedError(`Gave up waiting after ${o.timeout} s: ${progress.recordsWaiting} records still waiting.`, 'Are the workers running (npm start)? Everything stays queued; check again with --resume.');
          await new Promise((r) => setTimeout(r, opts.pollMs ?? 500));
          progress = await backfillProgress(ctx, ended);
          syncing.update(progress.recordsSynced + progress.recordsFailed, { failed: progress.recordsFailed });
        }
      } finally {
        syncing.stop();
      }
      opts.out(`Synced ${progress.recordsSynced} of ${progress.recordsTotal} records; ${progress.recordsFailed} failed.`);
      if (progress.recordsFailed > 0) {
        for (const f of await backfillFailures(ctx, ended.id)) opts.out(`FAILED ${f.type} ${f.payload} (outbox #${f.outboxId}): ${f.error ?? 'no message'}`);
        throw new BackfillFailedError(`${progress.recordsFailed} records of history import ${ended.id} failed (listed above).`, 'Fix the cause (see /plugins/xero/sync/failures), then retry them there.');
      }
    });
}
