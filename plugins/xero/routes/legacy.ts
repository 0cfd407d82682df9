// The legacy private-app routes, admins only, always on the admin's own organisation:
//   GET  /legacy/certificate.cer          download the X509 certificate (created on first download)
//   POST /legacy/certificate/regenerate   new certificate; needs confirm=yes (the page explains the cost)
//   POST /legacy/connect                  consumer key + secret → test connection → connected, or why not
import { Router, type Request } from 'express';
import { ConflictError, ValidationError } from '../../../server/errors';
import { errorsByField, field, formatDay, type PluginContext } from '../../../server/plugins/contract';
import type { XeroConfig } from '../config';
import { XeroConnectionTestError, certificateFileName, ensureCertificate, regenerateCertificate, saveLegacyConnection } from '../connection/legacy';
import { connectionDeps } from '../connection/deps';
import { renderConnectionPage } from './connectionPage';

const actorOf = (req: Request): string => `${req.principal!.kind}:${req.principal!.id}`;

export function legacyRoutes(ctx: PluginContext<XeroConfig>): Router {
  const router = Router();
  const admin = ctx.requireRole('admin');
  const deps = connectionDeps(ctx);
  const page = `${ctx.mountPath}/connection`;

  router.get('/legacy/certificate.cer', admin, async (req, res) => {
    const orgId = req.principal!.orgId;
    const org = await ctx.organisations.get(ctx.db, orgId);
    const { certificate } = await ensureCertificate(deps, orgId, actorOf(req));
    res.set({
      'Content-Type': 'application/x-pem-file',
      'Content-Disposition': `attachment; filename="${certificateFileName(org.name, orgId)}"`,
      'Cache-Control': 'no-store',
    });
    res.send(certificate.certificatePem);
  });

  router.post('/legacy/certificate/regenerate', admin, async (req, res) => {
    if (field(req, 'confirm') !== 'yes') {
      const regenerateError = 'Tick the box to confirm: the Xero app must then be updated with the new certificate, and the connection stops working until it is.';
      return renderConnectionPage(ctx, req, res, { regenerateError }, 422);
    }
    const certificate = await regenerateCertificate(deps, req.principal!.orgId, actorOf(req));
    const expires = formatDay(certificate.notAfter, (await ctx.organisations.get(ctx.db, req.principal!.orgId)).timeZone);
    ctx.pages.setFlash(req, 'success', `A new certificate was created (expires ${expires}). Download it and upload it to the private app in Xero, then save the consumer key and secret again.`);
    res.redirect(303, page);
  });

  router.post('/legacy/connect', admin, async (req, res) => {
    const consumerKey = field(req, 'consumerKey').trim();
    try {
      const { organisation } = await saveLegacyConnection(deps, {
        orgId: req.principal!.orgId,
        consumerKey,
        consumerSecret: field(req, 'consumerSecret'),
        actor: actorOf(req),
      });
      ctx.pages.setFlash(req, 'success', `Connected to ${organisation.name}: the test connection passed.`);
      res.redirect(303, page);
    } catch (err) {
      // The secret is never sent back into the form; the key is (it is on the Xero app page anyway).
      if (err instanceof ValidationError) {
        return renderConnectionPage(ctx, req, res, { legacyValues: { consumerKey }, legacyErrors: errorsByField(err) }, 422);
      }
      if (err instanceof XeroConnectionTestError || err instanceof ConflictError) {
        return renderConnectionPage(ctx, req, res, { legacyValues: { consumerKey }, legacyError: err.message }, err.statusCode);
      }
      throw err;
    }
  });

  return router;
}
