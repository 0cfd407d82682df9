// GET/POST /plugins/stripe (admins): the organisation's Stripe secret key and webhook signing secret.
// A save first asks Stripe for the account the key belongs to (GET /v1/account): a key that does not
// work saves nothing. Both secrets are sealed; the page never shows them back, only a hint of the key.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../server/plugins/contract';
import { renderPage } from '../../server/web/render';
import { setFlash, takeFlash } from '../../server/web/flash';
import type { StripeConfig } from './config';
import { stripeClient } from './client';
import { getSettings, saveSettings } from './store';

const KEY = /^(sk|rk)_(test|live)_[A-Za-z0-9_]{8,}$/;
const WHSEC = /^whsec_[A-Za-z0-9_+/=]{8,}$/;

export function stripeRoutes(ctx: PluginContext<StripeConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');

  const render = async (req: Request, res: Response, state: { errors?: Record<string, string>; pageError?: string | null } = {}, status?: number): Promise<void> => {
    const row = await getSettings(ctx.db, req.principal!.orgId);
    res.set('Cache-Control', 'no-store');
    renderPage(res, 'stripe/settings', {
      title: 'Stripe', base: ctx.mountPath, flash: takeFlash(req), settings: row ? { accountId: row.account_id, keyHint: row.key_hint, updatedAt: new Date(Number(row.updated_at)).toISOString() } : null,
      webhookUrl: `${ctx.publicUrl.replace(/\/+$/, '')}/webhooks/stripe`, apiBase: ctx.config.apiBase, errors: state.errors ?? {}, pageError: state.pageError ?? null,
    }, status);
  };

  router.get('/', admin, async (req, res) => {
    await render(req, res);
  });

  router.post('/', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const form = (req.body ?? {}) as Record<string, unknown>;
    const secretKey = typeof form.secretKey === 'string' ? form.secretKey.trim() : '';
    const webhookSecret = typeof form.webhookSecret === 'string' ? form.webhookSecret.trim() : '';
    const errors: Record<string, string> = {};
    if (!KEY.test(secretKey)) errors.secretKey = 'Secret key: paste the key that starts sk_live_ or sk_test_ (or a restricted rk_ key) from the Stripe dashboard.';
    if (!WHSEC.test(webhookSecret)) errors.webhookSecret = 'Webhook signing secret: paste the whsec_… secret shown on the webhook endpoint in the Stripe dashboard.';
    if (Object.keys(errors).length) {
      await render(req, res, { errors, pageError: 'Nothing was saved.' }, 422);
      return;
    }
    let accountId: string;
    try {
      accountId = (await stripeClient(ctx.config, secretKey).accounts.retrieveCurrent()).id;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      await render(req, res, { errors: { secretKey: `Stripe refused this key: ${message}` }, pageError: 'Nothing was saved: the key did not work.' }, 422);
      return;
    }
    const who = `${req.principal!.kind}:${req.principal!.id}`;
    await ctx.db.transaction((trx) => saveSettings(trx, ctx.secrets, { orgId, accountId, secretKey, webhookSecret, by: who, now: Date.now() }));
    ctx.logger.info({ orgId, accountId, by: who }, 'Stripe settings saved');
    setFlash(req, 'success', `Saved: connected to Stripe account ${accountId}.`);
    res.redirect(303, ctx.mountPath);
  });

  return router;
}
