// xero-node's XeroClient, pointed at a configurable identity server and API host. xero-node v20
// hard-codes `Issuer.discover('https://identity.xero.com')`, the token URL and
// `https://api.xero.com/connections`; legacy installs and the emulator need all three elsewhere. This
// subclass discovers from XERO_IDENTITY_URL (so token, revocation and JWKS endpoints come from the
// discovery document), calls `${XERO_API_URL}/connections`, adds PKCE S256 and a nonce to the
// authorisation request, and bounds every identity call in time.
import axios from 'axios';
import { XeroClient as XeroNodeClient } from 'xero-node';
import { Issuer, custom, errors, type Client, type TokenSet } from 'openid-client';
import { parseXeroFailure } from '../../gateway/client';

export interface IdentitySettings {
  identityUrl: string;
  apiUrl: string;
  clientId: string;
  clientSecret: string;
  /** Needed for the authorisation-code flow; custom connections have none. */
  redirectUri?: string;
  scopes?: string[];
  httpTimeoutMs: number;
}

/** One entry of Xero's GET /connections. */
export interface XeroConnectionEntry {
  id: string;
  authEventId?: string;
  tenantId: string;
  tenantType: string;
  tenantName: string | null;
  createdDateUtc?: string;
  updatedDateUtc?: string;
}

export interface AuthorisationChecks {
  state: string;
  codeVerifier: string;
  nonce: string;
}

// Discovery costs a round trip; the document changes rarely. A failed discovery is not cached.
const DISCOVERY_TTL_MS = 60 * 60_000;
const issuers = new Map<string, { at: number; issuer: Promise<Issuer<Client>> }>();

function timedIssuerClass(timeoutMs: number): { discover(url: string): Promise<Issuer<Client>> } {
  // A subclass so the timeout applies to this discovery only, not to every openid-client user.
  class TimedIssuer extends Issuer<Client> {}
  (TimedIssuer as unknown as typeof Issuer)[custom.http_options] = (_url, options) => ({ ...options, timeout: timeoutMs });
  return TimedIssuer as unknown as { discover(url: string): Promise<Issuer<Client>> };
}

async function discover(identityUrl: string, timeoutMs: number): Promise<Issuer<Client>> {
  const cached = issuers.get(identityUrl);
  if (cached && Date.now() - cached.at < DISCOVERY_TTL_MS) return cached.issuer;
  const issuer = timedIssuerClass(timeoutMs).discover(identityUrl).then((found) => {
    // The issuer fetches the JWKS (id_token checks) with its own options.
    found[custom.http_options] = (_url, options) => ({ ...options, timeout: timeoutMs });
    return found;
  });
  issuers.set(identityUrl, { at: Date.now(), issuer });
  issuer.catch(() => {
    if (issuers.get(identityUrl)?.issuer === issuer) issuers.delete(identityUrl);
  });
  return issuer;
}

export class XeroIdentityClient extends XeroNodeClient {
  private readonly settings: IdentitySettings;

  constructor(settings: IdentitySettings) {
    super({
      clientId: settings.clientId,
      clientSecret: settings.clientSecret,
      redirectUris: settings.redirectUri ? [settings.redirectUri] : [],
      scopes: settings.scopes ?? [],
      httpTimeout: settings.httpTimeoutMs,
    });
    this.settings = settings;
  }

  /** Replaces xero-node's hard-coded discovery; the rest of xero-node then uses `openIdClient`. */
  override async initialize(): Promise<XeroNodeClient> {
    if (this.openIdClient) return this;
    const issuer = await discover(this.settings.identityUrl, this.settings.httpTimeoutMs);
    const client = new issuer.Client({
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      redirect_uris: this.settings.redirectUri ? [this.settings.redirectUri] : [],
      response_types: ['code'],
    });
    client[custom.http_options] = (_url, options) => ({ ...options, timeout: this.settings.httpTimeoutMs });
    client[custom.clock_tolerance] = 5;
    this.openIdClient = client;
    return this;
  }

  private async oidc(): Promise<Client> {
    await this.initialize();
    return this.openIdClient;
  }

  /** The consent URL with state, PKCE S256 and a nonce (xero-node's buildConsentUrl has neither of the last two). */
  async buildPkceConsentUrl(checks: { state: string; codeChallenge: string; nonce: string }): Promise<string> {
    const client = await this.oidc();
    return client.authorizationUrl({
      redirect_uri: this.requireRedirectUri(),
      scope: (this.settings.scopes ?? []).join(' '),
      state: checks.state,
      nonce: checks.nonce,
      code_challenge: checks.codeChallenge,
      code_challenge_method: 'S256',
    });
  }

  /**
   * Exchange the code: openid-client checks the state, sends the PKCE verifier, and validates the id_token
   * (signature against the JWKS, issuer, audience, expiry, nonce).
   */
  async exchangeCode(params: Record<string, string>, checks: AuthorisationChecks): Promise<TokenSet> {
    const client = await this.oidc();
    const tokenSet = await client.callback(this.requireRedirectUri(), params, {
      state: checks.state,
      code_verifier: checks.codeVerifier,
      nonce: checks.nonce,
      response_type: 'code',
    });
    this.setTokenSet(tokenSet);
    return tokenSet;
  }

  /**
   * Refresh through the discovered token endpoint. `grant()` rather than openid-client's `refresh()`:
   * the latter re-validates any id_token in the answer against this machine's clock, which would turn
   * a few seconds of clock skew into a failed refresh; the identity was already proven at consent.
   */
  async refreshWith(refreshToken: string): Promise<TokenSet> {
    const client = await this.oidc();
    const tokenSet = await client.grant({ grant_type: 'refresh_token', refresh_token: refreshToken });
    this.setTokenSet(tokenSet);
    return tokenSet;
  }

  override async refreshToken(): Promise<TokenSet> {
    const current = this.readTokenSet();
    if (!current.refresh_token) throw new Error('no refresh token to refresh with');
    return this.refreshWith(current.refresh_token);
  }

  /** Custom connections: the client-credentials grant at the discovered token endpoint. */
  override async getClientCredentialsToken(): Promise<TokenSet> {
    const client = await this.oidc();
    const tokenSet = await client.grant({ grant_type: 'client_credentials' });
    this.setTokenSet(tokenSet);
    return tokenSet;
  }

  /** Revoke a refresh token at the discovered revocation endpoint (ends the grant and its connections). */
  async revokeRefreshToken(refreshToken: string): Promise<void> {
    const client = await this.oidc();
    await client.revoke(refreshToken, 'refresh_token');
  }

  /** GET /connections on the configured API host: the tenants this token may use. */
  override async updateTenants(): Promise<XeroConnectionEntry[]> {
    const body = await this.connectionsRequest('GET', '/connections');
    return Array.isArray(body) ? (body as XeroConnectionEntry[]) : [];
  }

  /** DELETE /connections/{id} on the configured API host. */
  override async disconnect(connectionId: string): Promise<TokenSet> {
    await this.connectionsRequest('DELETE', `/connections/${encodeURIComponent(connectionId)}`);
    return this.readTokenSet();
  }

  private async connectionsRequest(method: 'GET' | 'DELETE', path: string): Promise<unknown> {
    const accessToken = this.readTokenSet().access_token;
    if (!accessToken) throw new Error('no access token');
    try {
      const response = await axios({
        method,
        url: `${this.settings.apiUrl}${path}`,
        headers: { Authorization: `Bearer ${accessToken}`, Accept: 'application/json' },
        timeout: this.settings.httpTimeoutMs,
        responseType: 'json',
      });
      return response.data;
    } catch (err) {
      // parseXeroFailure keeps status and body only; axios' error would carry the bearer header.
      throw parseXeroFailure(err).error;
    }
  }

  private requireRedirectUri(): string {
    if (!this.settings.redirectUri) throw new Error('the authorisation-code flow needs a redirect URI');
    return this.settings.redirectUri;
  }
}

// ---- what went wrong at the identity server, in words safe to show and log ----

export type IdentityFailureKind = 'invalid_grant' | 'invalid_client' | 'transient' | 'rejected';

export interface IdentityFailure {
  kind: IdentityFailureKind;
  /** Never contains tokens, codes or secrets. */
  message: string;
}

/** Classify an openid-client / network failure. OAuth error codes are safe to show; request details are not. */
export function classifyIdentityError(err: unknown): IdentityFailure {
  if (err instanceof errors.OPError) {
    const status = err.response?.statusCode ?? 0;
    const code = err.error ?? 'error';
    const description = err.error_description ? `: ${err.error_description}` : '';
    if (status >= 500 || status === 429 || code === 'server_error' || code === 'temporarily_unavailable') {
      return { kind: 'transient', message: `Xero's identity service answered ${status || code}; try again shortly` };
    }
    if (code === 'invalid_grant') return { kind: 'invalid_grant', message: `Xero refused the grant (invalid_grant${description})` };
    if (code === 'invalid_client' || code === 'unauthorized_client') {
      return { kind: 'invalid_client', message: `Xero refused the app's client id or secret (${code}${description})` };
    }
    return { kind: 'rejected', message: `Xero's identity service refused the request (${code}${description})` };
  }
  if (err instanceof errors.RPError) {
    if (/timed out/i.test(err.message)) return { kind: 'transient', message: "Xero's identity service did not answer in time" };
    // Response checks (state, nonce, id_token signature/claims): the message names the check, not the values' secrets.
    return { kind: 'rejected', message: `The answer from Xero failed a security check (${firstClause(err.message)})` };
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^(E[A-Z]+|UND_ERR)/.test(code)) {
    return { kind: 'transient', message: `Could not reach Xero's identity service (${code})` };
  }
  const status = (err as { status?: unknown } | null)?.status;
  if (typeof status === 'number') {
    if (status === 0 || status >= 500 || status === 429) return { kind: 'transient', message: `Xero answered ${status || 'nothing'}; try again shortly` };
    if (status === 401 || status === 403) return { kind: 'invalid_grant', message: `Xero refused the access token (${status})` };
    return { kind: 'rejected', message: `Xero refused the request (${status})` };
  }
  return { kind: 'transient', message: "Could not complete the request to Xero's identity service" };
}

/** openid-client messages like "nonce mismatch, expected X, got: Y" would echo values; keep the check's name. */
function firstClause(message: string): string {
  return message.split(',')[0]!.slice(0, 120);
}
