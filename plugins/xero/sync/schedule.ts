// Real time (the default) or once a day at a chosen hour in the organisation's time zone, as Qonto's Xero
// sync does at 11pm. There is no scheduler process: in daily mode new items are enqueued with `availableAt`
// = the next run, and the outbox simply holds them until then (workers sleep until the earliest due item).
import { ValidationError } from '../../../server/errors';
import type { PluginContext, Queryable } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { nextRunAt } from './nextRunAt';

export type SyncMode = 'realtime' | 'daily';
export const DEFAULT_DAILY_HOUR = 23;

export interface SyncSchedule {
  mode: SyncMode;
  /** 0–23, in the organisation's time zone (kept when switching back to real time, for the form). */
  hour: number;
}

export async function getSchedule(db: Queryable, orgId: number): Promise<SyncSchedule> {
  const row = await db('xero_sync_schedule').where({ org_id: orgId }).first('mode', 'hour');
  if (!row) return { mode: 'realtime', hour: DEFAULT_DAILY_HOUR };
  return { mode: row.mode === 'daily' ? 'daily' : 'realtime', hour: Number(row.hour) };
}

type Organisations = Pick<PluginContext<XeroConfig>, 'organisations'>;

/** When a new sync item of the organisation may run: undefined (now) in real time, the next run when daily. */
export async function scheduledAvailableAt(ctx: Organisations, db: Queryable, orgId: number, now: number): Promise<number | undefined> {
  const schedule = await getSchedule(db, orgId);
  if (schedule.mode !== 'daily') return undefined;
  const org = await ctx.organisations.get(db, orgId);
  return nextRunAt(now, schedule.hour, org.timeZone);
}

/** The next daily run of the organisation, or null in real time (for "next sync at …"). */
export async function nextScheduledRun(ctx: Organisations, db: Queryable, orgId: number, now: number): Promise<number | null> {
  return (await scheduledAvailableAt(ctx, db, orgId, now)) ?? null;
}

/** The settings form's two fields → a schedule, or a ValidationError naming the bad field. */
export function parseScheduleForm(body: Record<string, unknown>): SyncSchedule {
  const mode = typeof body.sync_mode === 'string' ? body.sync_mode : '';
  const hourText = typeof body.sync_hour === 'string' ? body.sync_hour.trim() : '';
  const issues: { path: string; message: string }[] = [];
  if (mode !== 'realtime' && mode !== 'daily') issues.push({ path: 'sync_mode', message: 'Choose real time or once a day.' });
  const hour = Number(hourText);
  const hourValid = /^\d{1,2}$/.test(hourText) && hour >= 0 && hour <= 23;
  if (mode === 'daily' && !hourValid) issues.push({ path: 'sync_hour', message: `The hour must be a whole number from 0 to 23, got "${hourText}".` });
  if (issues.length) throw new ValidationError(issues, 'The sync schedule was not saved.');
  return { mode: mode as SyncMode, hour: hourValid ? hour : DEFAULT_DAILY_HOUR };
}

/**
 * Save the schedule and move the organisation's waiting Xero items to match, in one transaction: to the
 * next run when daily, to now when back to real time. Only items never attempted move: a retry keeps the
 * backoff the far side asked for.
 */
export async function setSchedule(
  ctx: Pick<PluginContext<XeroConfig>, 'db' | 'organisations' | 'outbox' | 'clock'>,
  input: { orgId: number; schedule: SyncSchedule; actor: string },
): Promise<{ rescheduled: number; nextRunAt: number | null }> {
  const now = ctx.clock.now();
  const { orgId, schedule } = input;
  return ctx.db.transaction(async (trx) => {
    const row = { mode: schedule.mode, hour: schedule.hour, updated_by: input.actor, updated_at: now };
    await trx('xero_sync_schedule').insert({ org_id: orgId, ...row }).onConflict('org_id').merge(row);
    const next = await nextScheduledRun(ctx, trx, orgId, now);
    const rescheduled = await ctx.outbox.reschedule(trx, next === null
      ? { orgId, availableAt: now, direction: 'earlier' }
      : { orgId, availableAt: next, direction: 'later' });
    return { rescheduled, nextRunAt: next };
  });
}
