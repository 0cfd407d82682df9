// /plugins/gocardless (admins): connect GoCardless for this organisation. Saving reads the creditor with the
// token first (so a wrong token is refused with GoCardless's own message and nothing is stored), then seals
// the token and the webhook endpoint secret. Blank fields keep what is saved. CSRF is checked by the host.
import { Router, type Request, type Response } from 'express';
import { AuthRevokedError, PermanentError, RetryableError } from '../../../server/errors';
import type { PluginContext } from '../../../server/plugins/contract';
import { renderPage } from '../../../server/web/render';
import { setFlash, takeFlash } from '../../../server/web/flash';
import { GoCardlessClient } from '../client';
import type { GoCardlessConfig } from '../config';
import { deleteSettings, getSettings, saveSettings } from '../settings';

interface FormState { errors: Record<string, string>; pageError: string | null }

async function render(ctx: PluginContext<GoCardlessConfig>, req: Request, res: Response, state: FormState = { errors: {}, pageError: null }, status?: number): Promise<void> {
  const orgId = req.principal!.orgId;
  const settings = await getSettings(ctx.db, orgId);
  const payouts = (await ctx.db('gocardless_payouts').where({ org_id: orgId }).orderBy('recorded_at', 'desc').limit(10)) as {
    payout_id: string; currency: string; amount_minor: number | string; arrival_date: string | null; line_count: number; status: string;
  }[];
  res.set('Cache-Control', 'no-store');
  renderPage(res, 'gocardless/settings', {
    title: 'GoCardless', base: ctx.mountPath, flash: takeFlash(req), settings: settings ?? null,
    hasSecret: Boolean(settings?.webhook_secret_sealed), webhookUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/webhooks/gocardless`,
    apiBase: ctx.config.apiBase, payouts, ...state,
  }, status);
}

const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v.trim() : '';
};

export function settingsRoutes(ctx: PluginContext<GoCardlessConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');

  router.get('/', admin, async (req, res) => {
    await render(ctx, req, res);
  });

  router.post('/', admin, async (req, res) => {
    const orgId = req.principal!.orgId; // never from the request
    const accessToken = field(req.body, 'access_token');
    const webhookSecret = field(req.body, 'webhook_secret');
    const existing = await getSettings(ctx.db, orgId);
    const errors: Record<string, string> = {};
    if (!accessToken && !existing) errors.access_token = 'Enter the access token (GoCardless dashboard → Developers → Create access token, read-only is enough).';
    if (accessToken && !/^[\x21-\x7e]{8,200}$/.test(accessToken)) errors.access_token = 'That does not look like a GoCardless access token (8 to 200 printable characters, no spaces).';
    if (webhookSecret && !/^[\x21-\x7e]{8,200}$/.test(webhookSecret)) errors.webhook_secret = 'The webhook endpoint secret is 8 to 200 printable characters, no spaces.';
    if (!webhookSecret && !existing?.webhook_secret_sealed) errors.webhook_secret = 'Enter the webhook endpoint secret shown when you created the endpoint in GoCardless.';
    if (Object.keys(errors).length) return render(ctx, req, res, { errors, pageError: null }, 422);

    // Test the token the form sent (or the saved one) against the API before anything is stored.
    let creditor: { id: string; name: string } = { id: existing?.creditor_id ?? '', name: existing?.creditor_name ?? '' };
    if (accessToken) {
      try {
        creditor = await new GoCardlessClient({ baseUrl: ctx.config.apiBase, accessToken, timeoutMs: ctx.config.httpTimeoutMs }).creditor();
      } catch (err) {
        const message = err instanceof AuthRevokedError ? 'GoCardless refused this access token.'
          : err instanceof RetryableError ? 'GoCardless did not answer; nothing was saved. Try again in a moment.'
            : err instanceof PermanentError ? err.message : 'Checking the token with GoCardless failed; nothing was saved.';
        if (!(err instanceof AuthRevokedError || err instanceof RetryableError || err instanceof PermanentError)) ctx.logger.error({ err }, 'GoCardless token check failed');
        return render(ctx, req, res, { errors: { access_token: message }, pageError: null }, 422);
      }
    }
    const actor = `${req.principal!.kind}:${req.principal!.id}`;
    await ctx.db.transaction((trx) => saveSettings(trx, ctx.secrets, {
      orgId, creditorId: creditor.id, creditorName: creditor.name, actor,
      ...(accessToken ? { accessToken } : {}), ...(webhookSecret ? { webhookSecret } : {}),
    }));
    ctx.logger.info({ orgId, by: actor, creditor: creditor.id }, 'GoCardless settings saved');
    setFlash(req, 'success', `Connected to GoCardless: ${creditor.name} (${creditor.id}).`);
    res.redirect(303, ctx.mountPath);
  });

  router.post('/disconnect', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const removed = await deleteSettings(ctx.db, orgId);
    ctx.logger.info({ orgId, by: `${req.principal!.kind}:${req.principal!.id}` }, 'GoCardless settings removed');
    setFlash(req, 'success', removed ? 'GoCardless is disconnected: webhooks for it are refused and the sweep skips it.' : 'GoCardless was not connected.');
    res.redirect(303, ctx.mountPath);
  });

  return router;
}
