// Xero's identity endpoints on the emulator's single base URL: OIDC discovery and JWKS, the token
// and revocation endpoints, userinfo, and the Connections API (GET /connections, DELETE /connections/{id}).
import express, { type Request, type Router } from 'express';
import type { TenantDirectory } from './apps';
import type { Identity } from './index';
import { OAuthError, sendOAuthError, sendUnauthorized } from './problems';
import { SUPPORTED_SCOPES } from './scopes';
import type { BearerResult } from './tokenService';

export type IssuerOf = (req: Request) => string;

export function identityRouter(deps: { identity: Identity; tenants: TenantDirectory; issuerOf: IssuerOf }): Router {
  const { identity, tenants, issuerOf } = deps;
  const router = express.Router();
  const form = express.urlencoded({ extended: false });

  router.get('/.well-known/openid-configuration', (req, res) => {
    const issuer = issuerOf(req);
    res.json({
      issuer,
      authorization_endpoint: `${issuer}/connect/authorize`,
      token_endpoint: `${issuer}/connect/token`,
      userinfo_endpoint: `${issuer}/connect/userinfo`,
      revocation_endpoint: `${issuer}/connect/revocation`,
      jwks_uri: `${issuer}/.well-known/openid-configuration/jwks`,
      scopes_supported: SUPPORTED_SCOPES,
      claims_supported: ['sub', 'xero_userid', 'global_session_id', 'email', 'given_name', 'family_name', 'preferred_username', 'nonce', 'auth_time', 'sid', 'at_hash'],
      grant_types_supported: ['authorization_code', 'client_credentials', 'refresh_token'],
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
      code_challenge_methods_supported: ['S256'],
      request_parameter_supported: false,
    });
  });

  router.get('/.well-known/openid-configuration/jwks', (_req, res) => {
    res.json({ keys: [identity.keys().publicJwk] });
  });

  router.post('/connect/token', form, async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    res.setHeader('Cache-Control', 'no-store');
    try {
      if (!req.is('application/x-www-form-urlencoded')) throw new OAuthError('invalid_request', 'Send the request form-encoded');
      const app = identity.apps.authenticateClient(req.get('authorization'), body);
      const issuer = issuerOf(req);
      switch (body.grant_type) {
        case 'authorization_code':
          res.json(await identity.tokens.exchangeCode(app, body, issuer));
          return;
        case 'refresh_token':
          res.json(await identity.tokens.refresh(app, body, issuer));
          return;
        case 'client_credentials':
          res.json(await identity.tokens.clientCredentials(app, body, issuer));
          return;
        case undefined:
        case '':
          throw new OAuthError('invalid_request', 'grant_type is required');
        default:
          throw new OAuthError('unsupported_grant_type');
      }
    } catch (err) {
      if (err instanceof OAuthError) sendOAuthError(res, err);
      else throw err;
    }
  });

  router.post('/connect/revocation', form, (req, res) => {
    try {
      const app = identity.apps.authenticateClient(req.get('authorization'), (req.body ?? {}) as Record<string, unknown>);
      identity.tokens.revoke(app, (req.body ?? {}) as Record<string, unknown>);
      res.status(200).end();
    } catch (err) {
      if (err instanceof OAuthError) sendOAuthError(res, err);
      else throw err;
    }
  });

  router.get('/connect/userinfo', async (req, res) => {
    const auth = await bearer(identity, req);
    if (!auth.ok) return sendUnauthorized(res, auth.detail);
    const user = auth.grant.userId ? identity.users.get(auth.grant.userId) : undefined;
    if (!user || !auth.claims.scope.includes('openid')) return sendUnauthorized(res, 'AuthorizationUnsuccessful');
    res.json({
      sub: user.sub,
      xero_userid: user.id,
      ...(auth.claims.scope.includes('email') ? { email: user.email, preferred_username: user.email } : {}),
      ...(auth.claims.scope.includes('profile') ? { given_name: user.givenName, family_name: user.familyName } : {}),
    });
  });

  router.get('/connections', async (req, res) => {
    const auth = await bearer(identity, req);
    if (!auth.ok) return sendUnauthorized(res, auth.detail);
    const authEventId = typeof req.query.authEventId === 'string' ? req.query.authEventId : undefined;
    const list = identity.tokens
      .connectionsFor(auth.grant)
      .filter((c) => authEventId === undefined || c.authEventId === authEventId)
      .map((c) => {
        const tenant = tenants.getTenant(c.tenantId);
        return {
          id: c.id,
          authEventId: c.authEventId,
          tenantId: c.tenantId,
          tenantType: tenant?.tenantType ?? 'ORGANISATION',
          tenantName: tenant?.name ?? null,
          createdDateUtc: new Date(c.createdAt).toISOString(),
          updatedDateUtc: new Date(c.updatedAt).toISOString(),
        };
      });
    res.json(list);
  });

  router.delete('/connections/:id', async (req, res) => {
    const auth = await bearer(identity, req);
    if (!auth.ok) return sendUnauthorized(res, auth.detail);
    if (!identity.tokens.disconnect(auth.grant, req.params.id)) {
      res.status(404).json({ Type: null, Title: 'Not Found', Status: 404, Detail: 'Connection not found', Extensions: {} });
      return;
    }
    res.status(204).end();
  });

  return router;
}

export async function bearer(identity: Identity, req: Request): Promise<BearerResult> {
  const header = req.get('authorization') ?? '';
  const match = /^Bearer\s+(\S+)$/i.exec(header);
  if (!match?.[1]) return { ok: false, detail: 'AuthenticationUnsuccessful' };
  return identity.tokens.checkBearer(match[1]);
}

