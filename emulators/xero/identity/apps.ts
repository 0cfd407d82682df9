// App registration (what the developer portal and the control API both do) and client
// authentication at the token endpoint.
import { timingSafeEqual } from 'node:crypto';
import type { Clock, TenantSummary } from '../contracts';
import { parseCertificate } from '../oauth1/certificate';
import { OAuthError } from './problems';
import { ACCOUNTING_SCOPES } from './scopes';
import type { CustomApp, EmulatedApp, IdentityState, OAuth2App, PrivateApp } from './state';
import { newClientId, newClientSecret, newConsumerKey, newConsumerSecret } from './ids';

export class RegistrationError extends Error {}

export interface TenantDirectory {
  listTenants(): TenantSummary[];
  getTenant(tenantId: string): TenantSummary | undefined;
}

export interface PrivateAppInput {
  name?: string;
  certificate: string | Buffer;
  tenantId?: string;
  organisationName?: string;
}

export interface OAuth2AppInput {
  name?: string;
  redirectUris: string[];
  isPublic?: boolean;
}

export interface CustomAppInput {
  name?: string;
  tenantId?: string;
  organisationName?: string;
  scopes?: string[];
}

export class AppRegistry {
  constructor(
    private readonly state: () => IdentityState,
    private readonly clock: Clock,
    private readonly tenants: TenantDirectory,
  ) {}

  get(id: string): EmulatedApp | undefined {
    return this.state().apps[id];
  }

  list(): EmulatedApp[] {
    return Object.values(this.state().apps).sort((a, b) => a.createdAt - b.createdAt);
  }

  registerPrivate(input: PrivateAppInput): PrivateApp {
    const cert = parseCertificate(input.certificate);
    const now = this.clock.now();
    if (cert.notAfter < now) {
      throw new RegistrationError(`The certificate expired on ${new Date(cert.notAfter).toISOString()}; upload a current one`);
    }
    const tenant = this.resolveTenant(input);
    const app: PrivateApp = {
      kind: 'private',
      id: newConsumerKey(),
      consumerSecret: newConsumerSecret(),
      name: input.name?.trim() || 'Private app',
      certificatePem: cert.pem,
      tenantId: tenant.tenantId,
      createdAt: now,
    };
    this.state().apps[app.id] = app;
    return app;
  }

  registerOAuth2(input: OAuth2AppInput): OAuth2App {
    const redirectUris = input.redirectUris.map((u) => u.trim()).filter(Boolean);
    if (redirectUris.length === 0) throw new RegistrationError('At least one redirect URI is required');
    for (const uri of redirectUris) {
      let parsed: URL;
      try {
        parsed = new URL(uri);
      } catch {
        throw new RegistrationError(`Not an absolute URL: ${uri}`);
      }
      if (parsed.hash) throw new RegistrationError(`A redirect URI may not have a fragment: ${uri}`);
    }
    const app: OAuth2App = {
      kind: 'oauth2',
      id: newClientId(),
      clientSecret: input.isPublic ? '' : newClientSecret(),
      name: input.name?.trim() || 'Web app',
      redirectUris,
      isPublic: input.isPublic === true,
      createdAt: this.clock.now(),
    };
    this.state().apps[app.id] = app;
    return app;
  }

  registerCustom(input: CustomAppInput): CustomApp {
    const tenant = this.resolveTenant(input);
    const scopes = input.scopes?.length ? input.scopes : [...ACCOUNTING_SCOPES];
    const unknown = scopes.filter((s) => !ACCOUNTING_SCOPES.includes(s));
    if (unknown.length) throw new RegistrationError(`Unknown scopes for a custom connection: ${unknown.join(', ')}`);
    const app: CustomApp = {
      kind: 'custom',
      id: newClientId(),
      clientSecret: newClientSecret(),
      name: input.name?.trim() || 'Custom connection',
      tenantId: tenant.tenantId,
      scopes,
      createdAt: this.clock.now(),
    };
    this.state().apps[app.id] = app;
    return app;
  }

  private resolveTenant(input: { tenantId?: string; organisationName?: string }): TenantSummary {
    if (input.tenantId) {
      const tenant = this.tenants.getTenant(input.tenantId);
      if (!tenant) throw new RegistrationError(`No organisation has tenantId ${input.tenantId}`);
      return tenant;
    }
    const all = this.tenants.listTenants();
    if (input.organisationName) {
      const tenant = all.find((t) => t.name === input.organisationName);
      if (!tenant) throw new RegistrationError(`No organisation is named "${input.organisationName}"`);
      return tenant;
    }
    const first = all[0];
    if (!first) throw new RegistrationError('There is no organisation to bind the app to');
    return first;
  }

  /**
   * client_secret_basic or client_secret_post (RFC 6749 §2.3.1); a public PKCE client sends only its
   * client_id. Using both methods at once is refused, as the RFC asks.
   */
  authenticateClient(authorization: string | undefined, body: Record<string, unknown>): EmulatedApp {
    const basic = parseBasic(authorization);
    const bodyId = typeof body.client_id === 'string' ? body.client_id : undefined;
    const bodySecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
    if (basic && bodySecret !== undefined) throw new OAuthError('invalid_request', 'Use one client authentication method');
    const clientId = basic?.id ?? bodyId;
    const secret = basic?.secret ?? bodySecret;
    if (!clientId) throw new OAuthError('invalid_client');
    const app = this.get(clientId);
    if (!app || app.kind === 'private') throw new OAuthError('invalid_client');
    if (app.kind === 'oauth2' && app.isPublic) {
      if (secret) throw new OAuthError('invalid_client');
      return app;
    }
    if (secret === undefined || !safeEqual(secret, app.clientSecret)) throw new OAuthError('invalid_client');
    return app;
  }
}

function parseBasic(header: string | undefined): { id: string; secret: string } | undefined {
  if (!header?.toLowerCase().startsWith('basic ')) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new OAuthError('invalid_client');
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
  try {
    return { id: decode(decoded.slice(0, colon)), secret: decode(decoded.slice(colon + 1)) };
  } catch {
    throw new OAuthError('invalid_client');
  }
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
