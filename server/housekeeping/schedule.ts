// Runs the housekeeping hourly in worker processes (croner: a cron pattern beats a drifting setInterval and
// skips a run that would overlap a slow one): the purge of expired rows, and the write-off of expired gift
// vouchers for organisations that turned it on. Failures are logged and retried on the next hour.
import { Cron } from 'croner';
import type { Db } from '../db/knex';
import { nowMs } from '../db/knex';
import type { EventBus } from '../domain/eventBus';
import type { Logger } from '../logger';
import type { Clock } from '../plugins/contract';
import { purgeExpired, type RetentionSettings } from './purge';
import { writeOffExpiredVouchersOnSchedule } from './voucherWriteOff';

export interface HousekeepingOptions {
  db: Db;
  /** The host's events: a voucher written off emits `voucher.expired` for the integrations. */
  events: EventBus;
  logger: Logger;
  retention: RetentionSettings;
  /** Cron pattern; minute 17 keeps installs off the top of the hour. */
  pattern?: string;
  /** What "now" is (tests move it a day on); the wall clock by default. */
  clock?: Clock;
}

export function startHousekeeping(opts: HousekeepingOptions): () => Promise<void> {
  const clock = opts.clock ?? { now: nowMs };
  const run = async () => {
    try {
      const counts = await purgeExpired(opts.db, opts.retention, clock.now());
      if (counts.idempotencyKeys + counts.outboxItems > 0) opts.logger.info(counts, 'housekeeping purged expired rows');
    } catch (err) {
      opts.logger.error({ err }, 'housekeeping failed; it runs again next hour');
    }
    // Its own failures are per organisation and logged inside; a failure of the purge never holds it back.
    await writeOffExpiredVouchersOnSchedule(opts, clock.now()).catch((err: unknown) => opts.logger.error({ err }, 'the scheduled voucher write-off failed; it runs again next hour'));
  };
  const job = new Cron(opts.pattern ?? '17 * * * *', { protect: true }, run);
  return async () => {
    job.stop();
  };
}
