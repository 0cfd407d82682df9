// Runs the purge hourly in worker processes (croner: a cron pattern beats a drifting setInterval and
// skips a run that would overlap a slow one). Failures are logged and retried on the next hour.
import { Cron } from 'croner';
import type { Db } from '../db/knex';
import type { Logger } from '../logger';
import { purgeExpired, type RetentionSettings } from './purge';

export interface HousekeepingOptions {
  db: Db;
  logger: Logger;
  retention: RetentionSettings;
  /** Cron pattern; minute 17 keeps installs off the top of the hour. */
  pattern?: string;
}

export function startHousekeeping(opts: HousekeepingOptions): () => Promise<void> {
  const run = async () => {
    try {
      const counts = await purgeExpired(opts.db, opts.retention);
      if (counts.idempotencyKeys + counts.outboxItems > 0) opts.logger.info(counts, 'housekeeping purged expired rows');
    } catch (err) {
      opts.logger.error({ err }, 'housekeeping failed; it runs again next hour');
    }
  };
  const job = new Cron(opts.pattern ?? '17 * * * *', { protect: true }, run);
  return async () => {
    job.stop();
  };
}
