// GET/POST /plugins/xero/history (admins): import history from a chosen start date, watch its progress,
// cancel or resume it. Queueing runs in this process in the background (pages commit as they go, so a
// restart loses nothing: the import shows as interrupted and Resume continues from its cursor). While
// anything is moving the page refreshes itself with a Refresh header: no script needed.
import { Router, type Request, type Response } from 'express';
import { saleNameOf } from '../engine/names';
import { formatCalendarDay, type PluginContext } from '../../../server/plugins/contract';
import { ConflictError, NotFoundError, ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { backfillProgress, cancelBackfill, createBackfill, getBackfill, listBackfills, parseStartDate, runBackfill } from '../sync/backfill';

const REFRESH_SECONDS = 2;

function runInBackground(ctx: PluginContext<XeroConfig>, orgId: number, id: number): void {
  runBackfill(ctx, orgId, id).catch((err: unknown) => {
    // runBackfill has already marked the import failed with the message; the page shows it.
    ctx.logger.warn({ orgId, backfillId: id, err: err instanceof Error ? err.message : String(err) }, 'Xero history import stopped');
  });
}

const idParam = (req: Request): number => {
  const raw = String(req.params.id);
  if (!/^\d{1,12}$/.test(raw)) throw new NotFoundError(`History import ${raw}`);
  return Number(raw);
};

async function renderHistory(ctx: PluginContext<XeroConfig>, req: Request, res: Response, state: { from?: string; error?: string | null } = {}, status?: number): Promise<void> {
  const org = await ctx.organisations.get(ctx.db, req.principal!.orgId);
  const now = ctx.clock.now();
  const imports = await Promise.all((await listBackfills(ctx.db, org.id)).map(async (row) => ({
    row,
    progress: await backfillProgress(ctx, row),
    // A running import whose lease lapsed: the process queueing it stopped.
    interrupted: row.status === 'running' && row.leaseUntil < now,
  })));
  const moving = imports.some((i) => (i.row.status === 'running' && !i.interrupted) || (i.row.status !== 'running' && !i.progress.finished && i.progress.recordsWaiting > 0));
  if (moving) res.set('Refresh', String(REFRESH_SECONDS));
  res.set('Cache-Control', 'no-store');
  ctx.pages.render(res, 'history', {
    title: 'Xero history import', base: ctx.mountPath, flash: ctx.pages.takeFlash(req), imports, timezone: org.timeZone,
    from: state.from ?? '', error: state.error ?? null, when: (ms: number | null) => ctx.pages.formatDateTime(ms, org.timeZone), moving,
  }, status);
}

export function historyRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');

  router.get('/history', admin, async (req, res) => {
    await renderHistory(ctx, req, res);
  });

  router.post('/history', admin, async (req, res) => {
    const orgId = req.principal!.orgId; // never from the request
    const from = typeof req.body?.from === 'string' ? req.body.from : '';
    try {
      const org = await ctx.organisations.get(ctx.db, orgId);
      const row = await createBackfill(ctx, { orgId, from: parseStartDate(from, org.timeZone, ctx.clock.now()), actor: `${req.principal!.kind}:${req.principal!.id}` });
      runInBackground(ctx, orgId, row.id);
      ctx.pages.setFlash(req, 'success', `History import started: ${row.salesTotal} sales from ${formatCalendarDay(from)}.`);
      res.redirect(303, `${ctx.mountPath}/history`);
    } catch (err) {
      if (err instanceof ValidationError || err instanceof ConflictError) {
        const message = err instanceof ValidationError ? err.issues.map((i) => i.message).join(' ') : err.message;
        await renderHistory(ctx, req, res, { from, error: message }, err.statusCode);
        return;
      }
      throw err;
    }
  });

  router.post('/history/:id/cancel', admin, async (req, res) => {
    const id = idParam(req);
    const cancelled = await cancelBackfill(ctx, req.principal!.orgId, id);
    ctx.pages.setFlash(req, cancelled ? 'success' : 'error', cancelled ? `History import ${id} cancelled: what was already queued still syncs; Resume continues where it stopped.` : `History import ${id} is not running.`);
    res.redirect(303, `${ctx.mountPath}/history`);
  });

  router.post('/history/:id/resume', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const row = await getBackfill(ctx.db, orgId, idParam(req)); // 404 for another organisation's import
    if (row.status === 'done') throw new ConflictError(`History import ${row.id} is already complete.`, 'BACKFILL_DONE');
    if (row.status === 'running' && row.leaseUntil >= ctx.clock.now()) throw new ConflictError(`History import ${row.id} is running right now.`, 'BACKFILL_BUSY');
    runInBackground(ctx, orgId, row.id);
    const at = row.cursorSaleId > 0 ? `after ${await saleNameOf(ctx.records, ctx.db, orgId, row.cursorSaleId)}` : 'from the start';
    ctx.pages.setFlash(req, 'success', `History import ${row.id} resumed ${at}.`);
    res.redirect(303, `${ctx.mountPath}/history`);
  });

  return router;
}

