// Admin only: the organisation's payment methods. The install's (cash, card terminal, bank transfer, gift
// voucher, the plugins') are listed; the admin adds named methods of the organisation's own ("Cheque") and
// disables or enables them. Every change is a form POST (CSRF-checked) answered by a redirect, or the page
// again with the field's error and nothing changed.
import { Router, type Request, type Response } from 'express';
import type { HostDeps } from '../hostDeps';
import { ValidationError } from '../errors';
import { requireRole } from '../auth/middleware';
import { nowMs } from '../db/knex';
import { actorOf } from '../domain/saleRecords';
import { addOrganisationMethod, setOrganisationMethodEnabled, MAX_METHOD_LABEL } from '../domain/organisationMethods';
import { renderPage } from './render';
import { errorsByField, field, isUserFacing } from './forms';
import { setFlash, takeFlash } from './flash';

export const PAYMENT_METHODS_PATH = '/payment-methods';

interface PageState {
  values?: { label: string };
  errors?: Record<string, string>;
  formError?: string | null;
}

export function createPaymentMethodsPages(deps: Pick<HostDeps, 'db' | 'logger' | 'paymentMethods'>): Router {
  const router = Router();
  const admin = requireRole('admin');

  async function render(req: Request, res: Response, state: PageState, status?: number): Promise<void> {
    const methods = await deps.paymentMethods.ofOrganisation(deps.db, req.principal!.orgId);
    renderPage(res, 'payment-methods/index', {
      title: 'Payment methods', installed: methods.filter((m) => !m.custom), custom: methods.filter((m) => m.custom), maxLabel: MAX_METHOD_LABEL,
      flash: takeFlash(req), values: { label: '' }, errors: {}, formError: null, ...state,
    }, status);
  }

  router.get(PAYMENT_METHODS_PATH, admin, (req, res, next) => {
    render(req, res, {}).catch(next);
  });

  router.post(PAYMENT_METHODS_PATH, admin, async (req, res, next) => {
    const values = { label: field(req, 'label') };
    try {
      const method = await addOrganisationMethod(deps.db, deps.paymentMethods, req.principal!.orgId, values, actorOf(req.principal!), nowMs());
      deps.logger.info({ by: actorOf(req.principal!), orgId: req.principal!.orgId, method: method.id }, 'payment method added');
      setFlash(req, 'success', `Added ${method.label}: staff can take it now; the API names it ${method.id}. Map it to its account in the Xero settings before its payments are sent.`);
      res.redirect(303, PAYMENT_METHODS_PATH);
    } catch (err) {
      if (err instanceof ValidationError) return render(req, res, { values, errors: errorsByField(err), formError: 'The payment method was not added.' }, 422).catch(next);
      next(err);
    }
  });

  for (const enabled of [true, false]) {
    router.post(`${PAYMENT_METHODS_PATH}/${enabled ? 'enable' : 'disable'}`, admin, async (req, res, next) => {
      try {
        const method = await setOrganisationMethodEnabled(deps.db, req.principal!.orgId, field(req, 'method'), enabled, nowMs());
        deps.logger.info({ by: actorOf(req.principal!), orgId: req.principal!.orgId, method: method.id, enabled }, enabled ? 'payment method enabled' : 'payment method disabled');
        setFlash(req, 'success', enabled ? `${method.label} can be taken again.` : `${method.label} is disabled: new payments cannot use it; those already recorded keep it.`);
      } catch (err) {
        if (!isUserFacing(err)) return next(err);
        setFlash(req, 'error', `Nothing was changed: ${err.message}.`);
      }
      res.redirect(303, PAYMENT_METHODS_PATH);
    });
  }

  return router;
}
