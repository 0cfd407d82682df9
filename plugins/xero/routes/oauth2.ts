// The OAuth2 routes under /plugins/xero (admins only; every POST carries the host's CSRF token):
//   POST /oauth2/start      → Xero's consent page (state + PKCE S256 + nonce recorded first)
//   GET  /oauth2/callback   ← Xero: state checked, code exchanged, organisations listed
//   GET  /oauth2/tenants    the admin picks one of several authorised organisations
//   POST /oauth2/tenants    → test call → connected
//   POST /oauth2/custom     a custom connection (client credentials pasted by the admin)
//   POST /disconnect        any mode: revoke + remove at Xero for OAuth2, then end it here
// Answers land on the connection page (flash on success, the reason on failure). The logic is in
// connection/oauth2/flow.ts; this file only translates HTTP.
import { Router, type Request, type Response } from 'express';
import type { PluginContext } from '../../../server/plugins/contract';
import { AppError, ValidationError } from '../../../server/errors';
import type { XeroConfig } from '../config';
import { connectionDeps } from '../connection/deps';
import {
  chooseTenant, completeCallback, connectCustom, ConnectFlowError, disconnect, pendingTenantChoice, startAuthorisation,
  type Admin, type FlowDeps,
} from '../connection/oauth2/flow';
import { renderConnectionPage } from './connectionPage';

export function oauth2Routes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');
  const deps: FlowDeps = { ...connectionDeps(ctx), publicUrl: ctx.publicUrl, mountPath: ctx.mountPath };
  const connectionPage = `${ctx.mountPath}/connection`;

  /** A refusal the admin can act on, shown on the connection page; anything else is the host's 500. */
  async function refuse(req: Request, res: Response, err: unknown): Promise<void> {
    if (!(err instanceof AppError)) throw err;
    const message = err instanceof ValidationError ? err.issues.map((i) => i.message).join(' ') || err.message : [err.message, err.help].filter(Boolean).join('. ');
    await renderConnectionPage(ctx, req, res, { pageError: message }, err.statusCode);
  }

  router.post('/oauth2/start', admin, async (req, res) => {
    try {
      const consentUrl = await startAuthorisation(deps, adminOf(req));
      res.set('Cache-Control', 'no-store');
      res.redirect(303, consentUrl);
    } catch (err) {
      await refuse(req, res, err);
    }
  });

  router.get('/oauth2/callback', admin, async (req, res) => {
    res.set('Cache-Control', 'no-store');
    try {
      const outcome = await completeCallback(deps, adminOf(req), req.query as Record<string, unknown>);
      if (outcome.kind === 'choose_tenant') return res.redirect(303, `${ctx.mountPath}/oauth2/tenants`);
      ctx.pages.setFlash(req, 'success', `Connected to ${outcome.connection.tenant_name ?? 'Xero'}.`);
      res.redirect(303, connectionPage);
    } catch (err) {
      if (err instanceof ConnectFlowError) ctx.logger.info({ orgId: req.principal!.orgId, code: err.code }, 'Xero OAuth2 callback refused');
      await refuse(req, res, err);
    }
  });

  async function renderTenants(req: Request, res: Response, error: string | null, status?: number): Promise<void> {
    const pending = await pendingTenantChoice(deps, req.principal!.orgId);
    if (!pending) return res.redirect(303, connectionPage);
    res.set('Cache-Control', 'no-store');
    ctx.pages.render(res, 'oauth2-tenants', { title: 'Choose the Xero organisation', base: ctx.mountPath, tenants: pending.tenants, error }, status);
  }

  router.get('/oauth2/tenants', admin, async (req, res) => {
    await renderTenants(req, res, null);
  });

  router.post('/oauth2/tenants', admin, async (req, res) => {
    try {
      const connection = await chooseTenant(deps, adminOf(req), field(req, 'tenantId'));
      ctx.pages.setFlash(req, 'success', `Connected to ${connection.tenant_name ?? 'Xero'}.`);
      res.redirect(303, connectionPage);
    } catch (err) {
      if (err instanceof ValidationError) return renderTenants(req, res, err.message, 422);
      await refuse(req, res, err);
    }
  });

  router.post('/oauth2/custom', admin, async (req, res) => {
    try {
      const connection = await connectCustom(deps, adminOf(req), { clientId: field(req, 'clientId'), clientSecret: field(req, 'clientSecret') });
      ctx.pages.setFlash(req, 'success', `Connected to ${connection.tenant_name ?? 'Xero'} with a custom connection.`);
      res.redirect(303, connectionPage);
    } catch (err) {
      await refuse(req, res, err);
    }
  });

  router.post('/disconnect', admin, async (req, res) => {
    const result = await disconnect(deps, adminOf(req));
    if (!result) {
      ctx.pages.setFlash(req, 'error', 'There was no Xero connection to disconnect.');
    } else {
      const name = result.connection.tenant_name ?? 'Xero';
      const done = `Disconnected from ${name}. Sync has stopped; queued records wait and nothing is lost.`;
      ctx.pages.setFlash(req, result.warnings.length ? 'error' : 'success', [done, ...result.warnings].join(' '));
    }
    res.redirect(303, connectionPage);
  });

  return router;
}

function adminOf(req: Request): Admin {
  const principal = req.principal!;
  return { orgId: principal.orgId, userId: principal.id, label: principal.email ?? principal.name };
}

/** A string form field ('' when absent or not a string). */
function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
}
