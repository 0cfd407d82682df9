// The token side of the OAuth2 server: code exchange (with PKCE), refresh-token rotation with Xero's
// grace period, client credentials for custom connections, revocation, the connections a grant
// creates, and deciding whether a bearer token still opens the API.
import { createHash } from 'node:crypto';
import type { Clock } from '../contracts';
import type { SigningKeys } from './keys';
import { OAuthError } from './problems';
import { REFRESH_GRACE_MS, REFRESH_TOKEN_TTL_MS, ACCESS_TOKEN_TTL_MS } from './lifetimes';
import { mintAccessToken, mintIdToken, verifyAccessToken, type AccessTokenClaims } from './tokens';
import type { ConnectionRecord, EmulatedApp, Grant, IdentityState, TokenResponse } from './state';
import { newHexId, newOpaqueToken, newUuid } from './ids';

export type BearerResult =
  | { ok: true; claims: AccessTokenClaims; grant: Grant; app: EmulatedApp }
  | { ok: false; detail: string };

export class TokenService {
  constructor(
    private readonly state: () => IdentityState,
    private readonly clock: Clock,
    private readonly keys: () => SigningKeys,
  ) {}

  async exchangeCode(app: EmulatedApp, body: Record<string, unknown>, issuer: string): Promise<TokenResponse> {
    if (app.kind !== 'oauth2') throw new OAuthError('unauthorized_client', 'This app cannot use the authorization code grant');
    const codeValue = stringParam(body, 'code');
    if (!codeValue) throw new OAuthError('invalid_request', 'code is required');
    const codes = this.state().codes;
    const code = codes[codeValue];
    const now = this.clock.now();
    if (!code || code.clientId !== app.id) throw new OAuthError('invalid_grant');
    if (code.grantId) {
      // RFC 6749 §4.1.2: a replayed code is an attack signal; what it issued is revoked.
      this.revokeGrant(code.grantId);
      throw new OAuthError('invalid_grant', 'The code has already been used');
    }
    if (code.expiresAt < now) throw new OAuthError('invalid_grant', 'The code has expired');
    if (stringParam(body, 'redirect_uri') !== code.redirectUri) throw new OAuthError('invalid_grant', 'redirect_uri does not match');
    const verifier = stringParam(body, 'code_verifier');
    if (code.codeChallenge !== undefined) {
      if (!verifier) throw new OAuthError('invalid_grant', 'code_verifier is required');
      if (!/^[A-Za-z0-9._~-]{43,128}$/.test(verifier) || s256(verifier) !== code.codeChallenge) {
        throw new OAuthError('invalid_grant', 'code_verifier does not match the code_challenge');
      }
    } else if (verifier !== undefined) {
      throw new OAuthError('invalid_grant', 'code_verifier sent but no code_challenge was');
    }
    const grant: Grant = {
      id: newUuid(),
      clientId: app.id,
      userId: code.userId,
      scopes: code.scopes,
      authTime: code.authTime,
      sessionId: newHexId(),
      ...(code.nonce !== undefined ? { nonce: code.nonce } : {}),
      createdAt: now,
    };
    this.state().grants[grant.id] = grant;
    code.grantId = grant.id;
    for (const tenantId of code.tenantIds) this.connect(grant, tenantId);
    return this.issueTokens(grant, issuer, { withRefresh: grant.scopes.includes('offline_access') });
  }

  async refresh(app: EmulatedApp, body: Record<string, unknown>, issuer: string): Promise<TokenResponse> {
    const tokenValue = stringParam(body, 'refresh_token');
    if (!tokenValue) throw new OAuthError('invalid_request', 'refresh_token is required');
    const record = this.state().refreshTokens[tokenValue];
    const grant = record ? this.state().grants[record.grantId] : undefined;
    const now = this.clock.now();
    if (!record || !grant || grant.clientId !== app.id || grant.revokedAt !== undefined) throw new OAuthError('invalid_grant');
    if (record.rotatedAt !== undefined) {
      // Xero keeps a rotated refresh token alive for a grace period and answers with the very token
      // set it returned the first time, so a client that lost that answer can recover it.
      if (now - record.rotatedAt <= REFRESH_GRACE_MS && record.rotatedTo) return record.rotatedTo;
      throw new OAuthError('invalid_grant');
    }
    if (record.expiresAt < now) throw new OAuthError('invalid_grant');
    const response = await this.issueTokens(grant, issuer, { withRefresh: true });
    record.rotatedAt = now;
    record.rotatedTo = response;
    return response;
  }

  async clientCredentials(app: EmulatedApp, body: Record<string, unknown>, issuer: string): Promise<TokenResponse> {
    if (app.kind !== 'custom') throw new OAuthError('unauthorized_client', 'Only custom connections may use client_credentials');
    const requested = (stringParam(body, 'scope') ?? '').split(' ').filter(Boolean);
    const unknown = requested.filter((s) => !app.scopes.includes(s));
    if (unknown.length) throw new OAuthError('invalid_scope', `Not granted to this custom connection: ${unknown.join(' ')}`);
    const now = this.clock.now();
    const grant: Grant = {
      id: newUuid(),
      clientId: app.id,
      userId: null,
      scopes: requested.length ? requested : app.scopes,
      authTime: now,
      sessionId: newHexId(),
      createdAt: now,
    };
    this.state().grants[grant.id] = grant;
    this.connect(grant, app.tenantId);
    return this.issueTokens(grant, issuer, { withRefresh: false });
  }

  /** RFC 7009: always 200 for the caller; a refresh token of this client ends its grant. */
  revoke(app: EmulatedApp, body: Record<string, unknown>): void {
    const tokenValue = stringParam(body, 'token');
    if (!tokenValue) throw new OAuthError('invalid_request', 'token is required');
    const record = this.state().refreshTokens[tokenValue];
    const grant = record ? this.state().grants[record.grantId] : undefined;
    if (!grant || grant.clientId !== app.id) return;
    this.revokeGrant(grant.id);
  }

  /** Signature, expiry, and whether the grant behind the token is still alive. */
  async checkBearer(token: string): Promise<BearerResult> {
    const now = this.clock.now();
    const verified = await verifyAccessToken(this.keys(), token, now);
    if (!verified.ok) {
      return verified.reason === 'expired'
        ? { ok: false, detail: `TokenExpired: token expired at ${formatXeroDate(verified.expiredAt)}` }
        : { ok: false, detail: 'AuthenticationUnsuccessful' };
    }
    const grant = this.state().grants[verified.claims.authentication_event_id];
    const app = this.state().apps[verified.claims.client_id];
    if (!grant || !app || grant.revokedAt !== undefined) return { ok: false, detail: 'AuthenticationUnsuccessful' };
    return { ok: true, claims: verified.claims, grant, app };
  }

  /** Connections visible to a token: the user's for this client (or the custom connection's one). */
  connectionsFor(grant: Grant): ConnectionRecord[] {
    return Object.values(this.state().connections)
      .filter((c) => c.clientId === grant.clientId && c.userId === grant.userId)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** DELETE /connections/{id}. When the user+client keeps no connection, its grants die with it. */
  disconnect(grant: Grant, connectionId: string): boolean {
    const state = this.state();
    const connection = state.connections[connectionId];
    if (!connection || connection.clientId !== grant.clientId || connection.userId !== grant.userId) return false;
    delete state.connections[connectionId];
    const remaining = this.connectionsFor(grant);
    if (remaining.length === 0) {
      // Nothing left connected: Xero then refuses the refresh token, and the API answers 401.
      for (const g of Object.values(state.grants)) {
        if (g.clientId === grant.clientId && g.userId === grant.userId) this.markRevoked(g);
      }
    } else if (!remaining.some((c) => c.authEventId === connection.authEventId)) {
      const orphan = state.grants[connection.authEventId];
      if (orphan) this.markRevoked(orphan);
    }
    return true;
  }

  /** Ends a grant: its tokens stop working and the connections it made are removed. */
  revokeGrant(grantId: string): void {
    const state = this.state();
    const grant = state.grants[grantId];
    if (!grant) return;
    this.markRevoked(grant);
    for (const c of Object.values(state.connections)) {
      if (c.authEventId === grantId) delete state.connections[c.id];
    }
  }

  private markRevoked(grant: Grant): void {
    if (grant.revokedAt === undefined) grant.revokedAt = this.clock.now();
  }

  private connect(grant: Grant, tenantId: string): void {
    const state = this.state();
    const now = this.clock.now();
    const existing = Object.values(state.connections).find(
      (c) => c.clientId === grant.clientId && c.userId === grant.userId && c.tenantId === tenantId,
    );
    if (existing) {
      existing.authEventId = grant.id;
      existing.updatedAt = now;
      return;
    }
    const connection: ConnectionRecord = {
      id: newUuid(),
      clientId: grant.clientId,
      userId: grant.userId,
      tenantId,
      authEventId: grant.id,
      createdAt: now,
      updatedAt: now,
    };
    state.connections[connection.id] = connection;
  }

  private async issueTokens(grant: Grant, issuer: string, opts: { withRefresh: boolean }): Promise<TokenResponse> {
    const now = this.clock.now();
    const user = grant.userId ? this.state().users[grant.userId] : undefined;
    const keys = this.keys();
    const accessToken = await mintAccessToken(keys, { issuer, grant, user, scopes: grant.scopes, now });
    const response: TokenResponse = {
      access_token: accessToken,
      expires_in: ACCESS_TOKEN_TTL_MS / 1000,
      token_type: 'Bearer',
      scope: grant.scopes.join(' '),
    };
    if (user && grant.scopes.includes('openid')) {
      response.id_token = await mintIdToken(keys, { issuer, grant, user, scopes: grant.scopes, accessToken, now });
    }
    if (opts.withRefresh) {
      const token = newOpaqueToken();
      this.state().refreshTokens[token] = { token, grantId: grant.id, issuedAt: now, expiresAt: now + REFRESH_TOKEN_TTL_MS };
      response.refresh_token = token;
    }
    return response;
  }
}

function stringParam(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

/** Xero prints expiry like "TokenExpired: token expired at 05/13/2020 10:03:43". */
function formatXeroDate(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${d.getUTCFullYear()} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}
