// The scheduled write-off of expired gift vouchers, for organisations that turned it on (Gift vouchers page).
// Each organisation's vouchers that expired before its own calendar day are written off as the admin's button
// does (writeOffExpiredVouchers: one transaction, each voucher once), marked "written off automatically" for
// the audit trail. One organisation failing does not stop the others; the next run picks it up.
import type { Db } from '../db/knex';
import type { EventBus } from '../domain/eventBus';
import type { VoucherSnapshot } from '../domain/events';
import type { Logger } from '../logger';
import { AUTOMATIC_WRITE_OFF, dayIn, organisationsWritingOffAutomatically, writeOffExpiredVouchers } from '../domain/vouchers';

export interface VoucherWriteOffDeps {
  db: Db;
  events: EventBus;
  logger: Logger;
}

/** One pass at `now`: what each organisation had written off (organisations with nothing due are left out). */
export async function writeOffExpiredVouchersOnSchedule(deps: VoucherWriteOffDeps, now: number): Promise<Map<number, VoucherSnapshot[]>> {
  const done = new Map<number, VoucherSnapshot[]>();
  for (const org of await organisationsWritingOffAutomatically(deps.db)) {
    try {
      const written = await writeOffExpiredVouchers(deps, org.id, dayIn(now, org.timezone), AUTOMATIC_WRITE_OFF, now, { automatic: true });
      for (const v of written) deps.logger.info({ orgId: org.id, voucher: v.code, writtenOffMinor: v.writtenOffMinor }, 'expired gift voucher written off automatically');
      if (written.length) done.set(org.id, written);
    } catch (err) {
      deps.logger.error({ err, orgId: org.id }, 'the scheduled voucher write-off failed for this organisation; it runs again at the next run');
    }
  }
  return done;
}
