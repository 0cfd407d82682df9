// GET /plugins/xero/connection (admins only): the live connection of the admin's own organisation, the
// legacy private-app steps and the OAuth2 buttons. Other routes re-render it (with field errors or a
// failure reason) through renderConnectionPage, so every form's answer lands on the page it came from.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { connectionStatus } from '../connection/status';
import { CERTIFICATE_WARNING_DAYS } from '../connection/certificates';
import { connectionDeps } from '../connection/deps';

/** What a form handler hands back to the page: kept values (never secrets), field errors, a reason. */
export interface ConnectionPageState {
  legacyValues?: { consumerKey?: string };
  legacyErrors?: Record<string, string>;
  /** Why the test connection failed (shown above the form). */
  legacyError?: string | null;
  regenerateError?: string | null;
  /** Any other section's message (e.g. the OAuth2 routes), shown at the top. */
  pageError?: string | null;
}

export async function renderConnectionPage(
  ctx: PluginContext<XeroConfig>,
  req: Request,
  res: Response,
  state: ConnectionPageState = {},
  status?: number,
): Promise<void> {
  // Always the principal's own organisation: nothing here takes an organisation from the request.
  const orgId = req.principal!.orgId;
  const [org, xero] = await Promise.all([ctx.organisations.get(ctx.db, orgId), connectionStatus(connectionDeps(ctx), orgId)]);
  res.set('Cache-Control', 'no-store');
  ctx.pages.render(
    res,
    'connection',
    {
      title: 'Xero connection',
      org,
      xero,
      base: ctx.mountPath,
      warningDays: CERTIFICATE_WARNING_DAYS,
      apiUrl: ctx.config.apiUrl,
      oauth2Configured: Boolean(ctx.config.oauth2),
      oauth2Scopes: ctx.config.scopes,
      flash: ctx.pages.takeFlash(req),
      when: (ms: number | null) => ctx.pages.formatDateTime(ms, org.timeZone),
      day: (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: org.timeZone, dateStyle: 'long' }).format(new Date(ms)),
      legacyValues: {},
      legacyErrors: {},
      legacyError: null,
      regenerateError: null,
      pageError: null,
      ...state,
      // A refused test connection heads the page's error summary, linked to the key it was refused for; the
      // full reason also stays above the form.
      errorSummary: [
        ...(state.legacyError ? [{ text: `The test connection failed; nothing was saved. ${state.legacyError}`, href: '#consumer-key' }] : []),
        ...(state.regenerateError ? [{ text: `The certificate was not regenerated. ${state.regenerateError}`, href: '#regenerate-confirm' }] : []),
      ],
    },
    status,
  );
}

export function connectionPageRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  router.get('/connection', ctx.requireRole('admin'), async (req, res) => {
    await renderConnectionPage(ctx, req, res);
  });
  return router;
}
