// GET/POST /plugins/xero/settings (admins): the organisation's account, tax and tracking coding, with
// dropdowns filled from its live Xero chart. A save is checked against Xero first and writes nothing
// unless every field is right; each error sits next to its field and names the bad code.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import { renderPage } from '../../../server/web/render';
import { setFlash, takeFlash } from '../../../server/web/flash';
import type { XeroConfig } from '../config';
import { getLiveConnection, type ConnectionRow } from '../connection/store';
import { clientForConnection } from '../connection/clientFactory';
import { fetchCatalogue, forgetCatalogue, getCatalogue, type Catalogue } from '../mappings/catalogue';
import { checkSettingsForm, formFromRows, parseSettingsForm, type SettingsForm } from '../mappings/form';
import { BUILT_IN } from '../mappings/load';
import { listMappings, replaceMappings } from '../mappings/store';
import { PAYMENT_METHODS } from '../payloads/types';
import { scheduleLocals } from './schedule';

const METHOD_LABELS: Record<string, string> = { stripe: 'Stripe', gocardless: 'GoCardless', cash: 'Cash', card_terminal: 'Card terminal' };

async function soldCategories(ctx: PluginContext<XeroConfig>, orgId: number): Promise<string[]> {
  const rows = await ctx.db('sale_lines')
    .join('sales', 'sales.id', 'sale_lines.sale_id')
    .where('sales.org_id', orgId)
    .whereNotNull('sale_lines.category')
    .distinct('sale_lines.category as category')
    .limit(250);
  return rows.map((r: { category: string }) => r.category);
}

async function catalogueFor(ctx: PluginContext<XeroConfig>, connection: ConnectionRow, refresh = false): Promise<Catalogue> {
  return getCatalogue(
    { orgId: connection.org_id, connectionId: connection.id },
    async () => {
      const client = await clientForConnection({ db: ctx.db, secrets: ctx.secrets, config: ctx.config, logger: ctx.logger }, connection);
      return fetchCatalogue(client, connection.tenant_name ?? 'your Xero organisation');
    },
    { refresh },
  );
}

interface PageState {
  form?: SettingsForm;
  errors?: Record<string, string>;
  pageError?: string | null;
}

async function renderSettings(ctx: PluginContext<XeroConfig>, req: Request, res: Response, state: PageState = {}, status?: number, refresh = false): Promise<void> {
  const orgId = req.principal!.orgId;
  const connection = await getLiveConnection(ctx.db, orgId);
  res.set('Cache-Control', 'no-store');
  const common = { title: 'Xero settings', base: ctx.mountPath, flash: takeFlash(req), methods: PAYMENT_METHODS, methodLabels: METHOD_LABELS, builtIn: BUILT_IN, schedule: await scheduleLocals(ctx, orgId) };
  if (!connection || connection.status !== 'connected') {
    renderPage(res, 'xero/settings', { ...common, connected: false, catalogue: null, form: null, errors: {}, pageError: null }, status);
    return;
  }
  let catalogue: Catalogue | null = null;
  let pageError = state.pageError ?? null;
  try {
    catalogue = await catalogueFor(ctx, connection, refresh);
  } catch (err) {
    pageError = `Could not read the chart of accounts from Xero: ${err instanceof Error ? err.message : String(err)}`;
  }
  const form = state.form ?? formFromRows(await listMappings(ctx.db, orgId), await soldCategories(ctx, orgId));
  renderPage(res, 'xero/settings', {
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
    setFlash(req, 'success', 'Accounts, tax rates and tracking categories refreshed from Xero.');
    res.redirect(303, `${ctx.mountPath}/settings`);
  });

  router.post('/settings', admin, async (req, res) => {
    // Always the principal's own organisation: nothing here takes an organisation from the request.
    const orgId = req.principal!.orgId;
    const form = parseSettingsForm((req.body ?? {}) as Record<string, unknown>);
    const connection = await getLiveConnection(ctx.db, orgId);
    if (!connection || connection.status !== 'connected') {
      await renderSettings(ctx, req, res, {}, 409);
      return;
    }
    let catalogue: Catalogue;
    try {
      // Saving re-reads the chart unless it is fresh: what is checked is what Xero has now.
      catalogue = await catalogueFor(ctx, connection);
    } catch (err) {
      await renderSettings(ctx, req, res, { form, pageError: `Nothing was saved: Xero could not be reached to check the settings (${err instanceof Error ? err.message : String(err)})` }, 502);
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
    await ctx.db.transaction((trx) => replaceMappings(trx, orgId, entries, who));
    ctx.logger.info({ orgId, by: who }, 'Xero settings saved');
    setFlash(req, 'success', 'Saved.');
    res.redirect(303, `${ctx.mountPath}/settings`);
  });

  return router;
}
