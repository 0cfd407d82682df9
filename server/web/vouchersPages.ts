// Admin only: the organisation's gift vouchers (sold, redeemed, balance, use-by day, status) and the write-off
// of expired ones: what is left on each moves from the voucher liability to revenue (the integrations post
// it, e.g. a manual journal in Xero), and the organisation's setting to have the schedule do it instead. Form
// POSTs (CSRF-checked) answered by a redirect with what was done.
import { Router } from 'express';
import type { HostDeps } from '../hostDeps';
import { requireRole } from '../auth/middleware';
import { nowMs } from '../db/knex';
import { actorOf } from '../domain/saleRecords';
import { getOrganisation } from '../domain/organisations';
import { formatMinor } from '../domain/money';
import { formatCalendarDay } from '../domain/format';
import { autoWriteOffEnabled, dayIn, listVouchers, setAutoWriteOff, voucherView, writeOffExpiredVouchers } from '../domain/vouchers';
import { hostRecords } from '../domain/hostRecords';
import { renderPage } from './render';
import { setFlash, takeFlash } from './flash';

export const VOUCHERS_PATH = '/vouchers';

export function createVouchersPages(deps: Pick<HostDeps, 'db' | 'logger' | 'events'>): Router {
  const router = Router();
  const admin = requireRole('admin');

  router.get(VOUCHERS_PATH, admin, async (req, res, next) => {
    try {
      const org = await getOrganisation(deps.db, req.principal!.orgId);
      const today = dayIn(nowMs(), org.timezone);
      const vouchers = (await listVouchers(deps.db, org.id)).map((v) => voucherView(v, today));
      const names = await hostRecords.saleNames!(deps.db, org.id, vouchers.map((v) => v.saleId));
      const saleNameOf = (saleId: number): string => names.get(saleId) ?? `Sale ${saleId}`;
      renderPage(res, 'vouchers/index', {
        title: 'Gift vouchers', vouchers, saleNameOf, calendarDay: formatCalendarDay, expired: vouchers.filter((v) => v.status === 'expired'), autoWriteOff: await autoWriteOffEnabled(deps.db, org.id), flash: takeFlash(req),
      });
    } catch (err) {
      next(err);
    }
  });

  router.post(`${VOUCHERS_PATH}/write-off`, admin, async (req, res, next) => {
    try {
      const org = await getOrganisation(deps.db, req.principal!.orgId);
      const now = nowMs();
      const done = await writeOffExpiredVouchers(deps, org.id, dayIn(now, org.timezone), actorOf(req.principal!), now);
      for (const v of done) deps.logger.info({ by: actorOf(req.principal!), orgId: org.id, voucher: v.code, writtenOffMinor: v.writtenOffMinor }, 'expired gift voucher written off');
      const totals = new Map<string, number>();
      for (const v of done) totals.set(v.currency, (totals.get(v.currency) ?? 0) + v.writtenOffMinor);
      const money = [...totals].map(([currency, minor]) => `${formatMinor(minor, currency)} ${currency}`).join(' and ');
      setFlash(req, 'success', done.length === 0
        ? 'No expired voucher has money left to write off.'
        : `Wrote off ${done.length === 1 ? 'one expired voucher' : `${done.length} expired vouchers`}: ${money} moves from the voucher liability to revenue.`);
      res.redirect(303, VOUCHERS_PATH);
    } catch (err) {
      next(err);
    }
  });

  // The organisation's setting: expired vouchers written off by the hourly housekeeping, without the button.
  router.post(`${VOUCHERS_PATH}/settings`, admin, async (req, res, next) => {
    try {
      const on = (req.body as Record<string, unknown>).auto_write_off === 'on';
      await setAutoWriteOff(deps.db, req.principal!.orgId, on);
      deps.logger.info({ by: actorOf(req.principal!), orgId: req.principal!.orgId, autoWriteOff: on }, 'gift voucher write-off setting saved');
      setFlash(req, 'success', on
        ? 'Expired vouchers will be written off automatically, within the hour after their last day ends.'
        : 'Expired vouchers wait for an admin to write them off.');
      res.redirect(303, VOUCHERS_PATH);
    } catch (err) {
      next(err);
    }
  });

  return router;
}
