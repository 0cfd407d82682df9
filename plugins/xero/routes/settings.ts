// GET/POST /plugins/xero/settings (admins): the organisation's account, tax and tracking coding, with
// dropdowns filled from its live Xero chart. A save is checked against Xero first and writes nothing
// unless every field is right; each error sits next to its field and names the bad code.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { catalogueFailure, liveCatalogue } from '../mappings/liveCatalogue';
import { getLiveConnection } from '../connection/store';
import { forgetCatalogue, type Catalogue } from '../mappings/catalogue';
import { checkSettingsForm, formFromRows, parseSettingsForm, type SettingsForm } from '../mappings/form';
import { BUILT_IN } from '../mappings/load';
import { listMappings, replaceMappings } from '../mappings/store';
import { scheduleLocals } from './schedule';
import { XERO_METHOD } from '../incoming/reconcile';
import { GIFT_VOUCHER_METHOD } from '../mappings/resolve';
import { payoutProviders } from '../clearing/providers';
import { clearingAccountName } from '../clearing/accounts';

/** Categories offered on the page: what the organisation sells in (at most this many). */
const SOLD_CATEGORIES = 250;

/**
 * The organisation's payment methods (the install's and its own, disabled ones too: their payments already
 * recorded still post), each mapped to an account on this page; not "Paid in Xero" (payments that are in
 * Xero already: never pushed, so they need no account), nor gift vouchers (a redemption is always paid from
 * the voucher liability account set under Gift vouchers: a method account here would be ignored).
 */
const pushedMethods = async (ctx: PluginContext<XeroConfig>, orgId: number) =>
  (await ctx.paymentMethods.ofOrganisation(ctx.db, orgId)).filter((m) => m.id !== XERO_METHOD && m.id !== GIFT_VOUCHER_METHOD);
const methodIdsOf = async (ctx: PluginContext<XeroConfig>, orgId: number): Promise<string[]> => (await pushedMethods(ctx, orgId)).map((m) => m.id);

interface PageState {
  form?: SettingsForm;
  errors?: Record<string, string>;
  pageError?: string | null;
}

async function renderSettings(ctx: PluginContext<XeroConfig>, req: Request, res: Response, state: PageState = {}, status?: number, refresh = false): Promise<void> {
  const orgId = req.principal!.orgId;
  const connection = await getLiveConnection(ctx.db, orgId);
  res.set('Cache-Control', 'no-store');
  const methods = await pushedMethods(ctx, orgId);
  const common = {
    title: 'Xero settings', base: ctx.mountPath, flash: ctx.pages.takeFlash(req), methods: methods.map((m) => m.id),
    methodLabels: Object.fromEntries(methods.map((m) => [m.id, m.enabled ? m.label : `${m.label} (disabled)`])), builtIn: BUILT_IN,
    // Methods paid out by a provider sync without an account of their own: to the provider's clearing account.
    clearingOf: Object.fromEntries(payoutProviders(ctx).map((p) => [p.id, { provider: p.name, account: clearingAccountName(p.name, '', '') }])), schedule: await scheduleLocals(ctx, orgId),
  };
  if (!connection || connection.status !== 'connected') {
    ctx.pages.render(res, 'settings', { ...common, connected: false, catalogue: null, form: null, errors: {}, pageError: null }, status);
    return;
  }
  let catalogue: Catalogue | null = null;
  let pageError = state.pageError ?? null;
  try {
    catalogue = await liveCatalogue(ctx, connection, { refresh });
  } catch (err) {
    pageError = `Could not read the chart of accounts from Xero: ${err instanceof Error ? err.message : String(err)}`;
  }
  const form = state.form ?? formFromRows(await listMappings(ctx.db, orgId), await ctx.records.saleCategories(ctx.db, orgId, SOLD_CATEGORIES), methods.map((m) => m.id));
  ctx.pages.render(res, 'settings', {
    ...common, connected: true, organisationName: connection.tenant_name, catalogue, form, errors: state.errors ?? {}, pageError,
  }, status);
}

export function settingsRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');

  router.get('/settings', admin, async (req, res) => {
    await renderSettings(ctx, req, res);
  });

  router.post('/settings/refresh', admin, async (req, res) => {
    forgetCatalogue(req.principal!.orgId);
    ctx.pages.setFlash(req, 'success', 'Accounts, tax rates and tracking categories refreshed from Xero.');
    res.redirect(303, `${ctx.mountPath}/settings`);
  });

  router.post('/settings', admin, async (req, res) => {
    // Always the principal's own organisation: nothing here takes an organisation from the request.
    const orgId = req.principal!.orgId;
    const form = parseSettingsForm((req.body ?? {}) as Record<string, unknown>, await methodIdsOf(ctx, orgId));
    const connection = await getLiveConnection(ctx.db, orgId);
    if (!connection || connection.status !== 'connected') {
      await renderSettings(ctx, req, res, {}, 409);
      return;
    }
    let catalogue: Catalogue;
    try {
      // Saving re-reads the chart unless it is fresh: what is checked is what Xero has now.
      catalogue = await liveCatalogue(ctx, connection);
    } catch (err) {
      const failure = catalogueFailure(err);
      if (failure.retryAfterSeconds !== null) res.set('Retry-After', String(failure.retryAfterSeconds));
      await renderSettings(ctx, req, res, { form, pageError: `Nothing was saved: ${failure.message}.` }, failure.status);
      return;
    }
    const existing = await listMappings(ctx.db, orgId);
    const { issues, entries } = checkSettingsForm(form, catalogue, existing);
    if (issues.length > 0) {
      const errors: Record<string, string> = {};
      for (const issue of issues) errors[issue.field] ??= issue.message;
      await renderSettings(ctx, req, res, { form, errors, pageError: `Nothing was saved: ${issues.length === 1 ? 'one setting needs' : `${issues.length} settings need`} fixing.` }, 422);
      return;
    }
    const who = `${req.principal!.kind}:${req.principal!.id}`;
    await ctx.db.transaction((trx) => replaceMappings(trx, orgId, entries, who, ctx.clock.now()));
    ctx.logger.info({ orgId, by: who }, 'Xero settings saved');
    ctx.pages.setFlash(req, 'success', 'Saved.');
    res.redirect(303, `${ctx.mountPath}/settings`);
  });

  return router;
}
