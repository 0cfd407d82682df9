// Authentication, tenant and scope checks for /api.xro/2.0. A request is either an OAuth2 bearer
// (user app or custom connection) or an OAuth 1.0a private-app signature; either way it ends with
// res.locals.xero set for the limits, idempotency and the accounting router.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock, XeroRequestAuth } from '../contracts';
import { looksLikeOAuth1, problemBody, verifyOAuth1Request } from '../oauth1/verifyRequest';
import type { NonceStore } from '../oauth1/nonces';
import type { Identity } from './index';
import { sendUnauthorized, sendXeroProblem } from './problems';
import { bearer } from './routes';
import { FULL_ACCESS_SCOPES, isAllowed } from './scopes';

export interface ApiAuthDeps {
  identity: Identity;
  clock: Clock;
  nonces: NonceStore;
  oauth1MaxSkewMs: () => number;
  /** When the emulator sits behind a proxy, clients sign this origin rather than what the socket saw. */
  publicUrl?: string;
}

export function authenticateApiCall(deps: ApiAuthDeps): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    // Xero's Date is Xero's clock, the one oauth_timestamp is checked against: from the emulated clock, not
    // the host's (Node would stamp real time), so a client can tell how far its own clock is off.
    res.setHeader('Date', new Date(deps.clock.now()).toUTCString());
    authenticate(deps, req, res)
      .then((auth) => {
        if (!auth) return;
        if (!isAllowed(auth.scopes, req.method, req.path)) {
          return sendXeroProblem(res, 403, 'AuthorizationUnsuccessful');
        }
        res.locals.xero = auth;
        next();
      })
      .catch(next);
  };
}

/** Answers the request itself and returns undefined when it is refused. */
async function authenticate(deps: ApiAuthDeps, req: Request, res: Response): Promise<XeroRequestAuth | undefined> {
  const base = deps.publicUrl ? deps.publicUrl.replace(/\/$/, '') : `${req.protocol}://${req.get('host') ?? 'localhost'}`;
  const url = new URL(`${base}${req.originalUrl}`);
  const authorization = req.get('authorization');
  const requestedTenant = (req.get('xero-tenant-id') ?? '').trim();

  if (looksLikeOAuth1(authorization, url)) {
    const result = verifyOAuth1Request(
      { method: req.method, url, authorization, contentType: req.get('content-type'), rawBody: req.rawBody },
      {
        findApp: (key) => {
          const app = deps.identity.apps.get(key);
          return app?.kind === 'private' ? app : undefined;
        },
        nonces: deps.nonces,
        now: deps.clock.now(),
        maxSkewMs: deps.oauth1MaxSkewMs(),
      },
    );
    if (!result.ok) {
      res.status(401).setHeader('WWW-Authenticate', 'OAuth realm="Xero"');
      res.type('application/x-www-form-urlencoded').send(problemBody(result));
      return undefined;
    }
    // A private app belongs to one organisation; the tenant header may be left out.
    if (requestedTenant && requestedTenant.toLowerCase() !== result.app.tenantId.toLowerCase()) {
      sendXeroProblem(res, 403, 'AuthorizationUnsuccessful');
      return undefined;
    }
    return { tenantId: result.app.tenantId, appId: result.app.id, authKind: 'oauth1', scopes: [...FULL_ACCESS_SCOPES] };
  }

  const checked = await bearer(deps.identity, req);
  if (!checked.ok) {
    sendUnauthorized(res, checked.detail);
    return undefined;
  }
  const connected = deps.identity.tokens.connectionsFor(checked.grant).map((c) => c.tenantId);
  // Custom connections are bound to one organisation, so Xero lets them omit the header.
  const tenantId = requestedTenant || (checked.app.kind === 'custom' ? checked.app.tenantId : '');
  const match = connected.find((t) => t.toLowerCase() === tenantId.toLowerCase());
  if (!match) {
    sendXeroProblem(res, 403, 'AuthorizationUnsuccessful');
    return undefined;
  }
  return { tenantId: match, appId: checked.app.id, authKind: 'oauth2', scopes: checked.claims.scope };
}
