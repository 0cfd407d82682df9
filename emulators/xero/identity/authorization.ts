// The authorization request (GET /connect/authorize): checking it, and turning a user's consent into
// a single-use code. Shared by the HTML login/consent pages and the control API's consent helper, so
// both enforce the same rules.
import type { Clock } from '../contracts';
import { AUTHORIZATION_CODE_TTL_MS } from './lifetimes';
import { needsTenant, SUPPORTED_SCOPES } from './scopes';
import type { AuthorizationCode, IdentityState, OAuth2App } from './state';
import type { AppRegistry, TenantDirectory } from './apps';
import { newOpaqueToken } from './ids';

export interface AuthorizationRequest {
  app: OAuth2App;
  redirectUri: string;
  scopes: string[];
  state?: string;
  nonce?: string;
  codeChallenge?: string;
}

/**
 * `redirect: false` errors must not bounce to the redirect URI (unknown client or redirect URI:
 * RFC 6749 §4.1.2.1); the others go back to the client as `?error=…&state=…`.
 */
export class AuthorizeError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
    readonly redirectTo?: { uri: string; state?: string },
  ) {
    super(description);
  }
}

export function validateAuthorizationRequest(apps: AppRegistry, params: Record<string, unknown>): AuthorizationRequest {
  const str = (k: string): string | undefined => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  const clientId = str('client_id');
  const app = clientId ? apps.get(clientId) : undefined;
  if (!app) throw new AuthorizeError('invalid_client', 'Unknown client_id');
  if (app.kind !== 'oauth2') throw new AuthorizeError('unauthorized_client', 'This app cannot use the authorization code flow');
  const redirectUri = str('redirect_uri');
  if (!redirectUri || !app.redirectUris.includes(redirectUri)) {
    throw new AuthorizeError('invalid_request', 'redirect_uri does not match any URI registered for this app');
  }
  const state = str('state');
  const back = { uri: redirectUri, ...(state !== undefined ? { state } : {}) };
  if (str('response_type') !== 'code') throw new AuthorizeError('unsupported_response_type', 'response_type must be code', back);
  const scopes = (str('scope') ?? '').split(' ').filter(Boolean);
  if (scopes.length === 0) throw new AuthorizeError('invalid_scope', 'scope is required', back);
  const unknown = scopes.filter((s) => !SUPPORTED_SCOPES.includes(s));
  if (unknown.length) throw new AuthorizeError('invalid_scope', `Unknown scope: ${unknown.join(' ')}`, back);
  const codeChallenge = str('code_challenge');
  if (codeChallenge !== undefined) {
    if ((str('code_challenge_method') ?? 'plain') !== 'S256') {
      throw new AuthorizeError('invalid_request', 'code_challenge_method must be S256', back);
    }
    if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) throw new AuthorizeError('invalid_request', 'code_challenge is not a S256 challenge', back);
  } else if (app.isPublic) {
    throw new AuthorizeError('invalid_request', 'This app must use PKCE (code_challenge)', back);
  }
  const nonce = str('nonce');
  return {
    app,
    redirectUri,
    scopes: [...new Set(scopes)],
    ...(state !== undefined ? { state } : {}),
    ...(nonce !== undefined ? { nonce } : {}),
    ...(codeChallenge !== undefined ? { codeChallenge } : {}),
  };
}

export function issueAuthorizationCode(
  deps: { state: () => IdentityState; clock: Clock; tenants: TenantDirectory },
  request: AuthorizationRequest,
  consent: { userId: string; tenantIds: string[]; authTime?: number },
): AuthorizationCode {
  const unknownTenant = consent.tenantIds.find((id) => !deps.tenants.getTenant(id));
  if (unknownTenant) throw new AuthorizeError('invalid_request', `Unknown tenant ${unknownTenant}`);
  if (needsTenant(request.scopes) && consent.tenantIds.length === 0) {
    throw new AuthorizeError('invalid_request', 'Pick at least one organisation to connect');
  }
  const now = deps.clock.now();
  const code: AuthorizationCode = {
    code: newOpaqueToken(),
    clientId: request.app.id,
    userId: consent.userId,
    redirectUri: request.redirectUri,
    scopes: request.scopes,
    tenantIds: [...new Set(consent.tenantIds)],
    ...(request.nonce !== undefined ? { nonce: request.nonce } : {}),
    ...(request.codeChallenge !== undefined ? { codeChallenge: request.codeChallenge } : {}),
    authTime: consent.authTime ?? now,
    expiresAt: now + AUTHORIZATION_CODE_TTL_MS,
  };
  deps.state().codes[code.code] = code;
  return code;
}

export function redirectWithCode(request: AuthorizationRequest, code: string): string {
  const url = new URL(request.redirectUri);
  url.searchParams.set('code', code);
  url.searchParams.set('scope', request.scopes.join(' '));
  if (request.state !== undefined) url.searchParams.set('state', request.state);
  return url.toString();
}

export function redirectWithError(to: { uri: string; state?: string }, error: string, description?: string): string {
  const url = new URL(to.uri);
  url.searchParams.set('error', error);
  if (description) url.searchParams.set('error_description', description);
  if (to.state !== undefined) url.searchParams.set('state', to.state);
  return url.toString();
}
