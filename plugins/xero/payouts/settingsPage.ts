// GET/POST /plugins/xero/payouts/settings (admins): where payouts land and how their parts are coded —
// each provider's real bank account, the fees account and the tax type of taxed fees, the disputes and
// suspense accounts, the auto-post threshold. Dropdowns come from the organisation's live chart (the
// mapping page's catalogue); a save re-reads the chart from Xero and writes nothing unless every field
// is right, each error next to its field naming the bad code. A good save puts payouts that were waiting
// for a setting back in the queue.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { chartForSave, liveCatalogue } from '../mappings/liveCatalogue';
import { getLiveConnection } from '../connection/store';
import type { Catalogue } from '../mappings/catalogue';
import { sweepPayouts } from './enqueue';
import { payoutProviders, providerNamesText } from '../clearing/providers';
import { checkPayoutSettings, PAYOUT_DEFAULTS, payoutSettingKeys, readPayoutSettingRows, savePayoutSettings, type PayoutSettingKey } from './settings';

/** Form field names: the setting keys with ':' (not welcome in ids) as '_'. */
export const fieldOf = (key: PayoutSettingKey): string => key.replace(':', '_');

export function parsePayoutSettingsForm(body: Record<string, unknown>, keys: readonly PayoutSettingKey[]): Partial<Record<PayoutSettingKey, string>> {
  const out: Partial<Record<PayoutSettingKey, string>> = {};
  for (const key of keys) {
    const v = body[fieldOf(key)];
    out[key] = typeof v === 'string' ? v.trim().slice(0, 50) : '';
  }
  return out;
}

interface PageState {
  values?: Partial<Record<PayoutSettingKey, string>>;
  errors?: Record<string, string>;
  pageError?: string | null;
}

export function payoutSettingsRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');
  const base = `${ctx.mountPath}/payouts`;

  const render = async (req: Request, res: Response, state: PageState = {}, status?: number): Promise<void> => {
    const orgId = req.principal!.orgId;
    const connection = await getLiveConnection(ctx.db, orgId);
    const common = {
      title: 'Payout settings', base, mountPath: ctx.mountPath, flash: ctx.pages.takeFlash(req), defaults: PAYOUT_DEFAULTS, fieldOf, providers: payoutProviders(ctx), providerNames: providerNamesText(ctx),
    };
    res.set('Cache-Control', 'no-store');
    if (!connection || connection.status !== 'connected') {
      ctx.pages.render(res, 'payouts/settings', { ...common, connected: false, catalogue: null, values: {}, errors: {}, pageError: null }, status);
      return;
    }
    let catalogue: Catalogue | null = null;
    let pageError = state.pageError ?? null;
    try {
      catalogue = await liveCatalogue(ctx, connection);
    } catch (err) {
      pageError ??= `Could not read the chart of accounts from Xero: ${err instanceof Error ? err.message : String(err)}`;
    }
    ctx.pages.render(res, 'payouts/settings', {
      ...common, connected: true, organisationName: connection.tenant_name, catalogue,
      values: state.values ?? (await readPayoutSettingRows(ctx.db, orgId)), errors: state.errors ?? {}, pageError,
    }, status);
  };

  router.get('/payouts/settings', admin, async (req, res) => {
    await render(req, res);
  });

  router.post('/payouts/settings', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const values = parsePayoutSettingsForm((req.body ?? {}) as Record<string, unknown>, payoutSettingKeys(ctx));
    const connection = await getLiveConnection(ctx.db, orgId);
    if (!connection || connection.status !== 'connected') {
      await render(req, res, { pageError: 'Nothing was saved: connect to Xero first.' }, 409);
      return;
    }
    const chart = await chartForSave(ctx, connection);
    if ('failure' in chart) {
      if (chart.failure.retryAfterSeconds !== null) res.set('Retry-After', String(chart.failure.retryAfterSeconds));
      await render(req, res, { values, pageError: `Nothing was saved: ${chart.failure.message}.` }, chart.failure.status);
      return;
    }
    const { catalogue } = chart;
    const issues = checkPayoutSettings(values, catalogue);
    if (issues.length > 0) {
      const errors: Record<string, string> = {};
      for (const issue of issues) errors[fieldOf(issue.field as PayoutSettingKey)] ??= issue.message;
      await render(req, res, { values, errors, pageError: `Nothing was saved: ${issues.length === 1 ? 'one setting needs' : `${issues.length} settings need`} fixing.` }, 422);
      return;
    }
    const who = `${req.principal!.kind}:${req.principal!.id}`;
    await ctx.db.transaction((trx) => savePayoutSettings(ctx, trx, orgId, values, who));
    ctx.logger.info({ orgId, by: who }, 'Xero payout settings saved');
    // Payouts that failed for want of a setting (or wait for the sync) are tried again now.
    const again = await sweepPayouts(ctx, { orgId });
    ctx.pages.setFlash(req, 'success', again > 0 ? `Saved. ${again} payout${again === 1 ? ' is' : 's are'} being posted again with these settings.` : 'Saved.');
    res.redirect(303, `${base}/settings`);
  });

  return router;
}
