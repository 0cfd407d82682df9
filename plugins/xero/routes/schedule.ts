// POST /plugins/xero/settings/schedule (admins): real time or once a day at an hour of the organisation's
// time zone. Saving reschedules the organisation's waiting Xero items and says how many moved.
import { Router } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import { ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { getSchedule, nextScheduledRun, parseScheduleForm, setSchedule } from '../sync/schedule';

/** What the settings page shows about the schedule (views/_schedule.ejs). */
export async function scheduleLocals(ctx: PluginContext<XeroConfig>, orgId: number) {
  const org = await ctx.organisations.get(ctx.db, orgId);
  const next = await nextScheduledRun(ctx, ctx.db, orgId, ctx.clock.now());
  return { ...(await getSchedule(ctx.db, orgId)), timezone: org.timeZone, nextRunLabel: next === null ? null : ctx.pages.formatDateTime(next, org.timeZone) };
}

export function scheduleRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  router.post('/settings/schedule', ctx.requireRole('admin'), async (req, res) => {
    const orgId = req.principal!.orgId; // never from the request
    let schedule;
    try {
      schedule = parseScheduleForm((req.body ?? {}) as Record<string, unknown>);
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      ctx.pages.setFlash(req, 'error', `${err.message} ${err.issues.map((i) => i.message).join(' ')}`);
      res.redirect(303, `${ctx.mountPath}/settings`);
      return;
    }
    const who = `${req.principal!.kind}:${req.principal!.id}`;
    const { rescheduled, nextRunAt } = await setSchedule(ctx, { orgId, schedule, actor: who });
    const org = await ctx.organisations.get(ctx.db, orgId);
    const moved = `${rescheduled} waiting ${rescheduled === 1 ? 'item' : 'items'}`;
    ctx.logger.info({ orgId, by: who, mode: schedule.mode, hour: schedule.hour, rescheduled }, 'Xero sync schedule saved');
    ctx.pages.setFlash(req, 'success', nextRunAt === null
      ? `Real-time sync: ${moved} will be sent now.`
      : `Daily sync at ${String(schedule.hour).padStart(2, '0')}:00 (${org.timeZone}): ${moved} rescheduled; next sync at ${ctx.pages.formatDateTime(nextRunAt, org.timeZone)}.`);
    res.redirect(303, `${ctx.mountPath}/settings`);
  });
  return router;
}
