// The identity half's whole state as plain JSON-serialisable data, so the optional state file can save
// and restore it (apps, users, grants, refresh tokens, connections and the signing key that makes
// already-issued tokens verifiable after a restart). Short-lived things (rate windows, nonces,
// idempotency records) live elsewhere and are deliberately not persisted.

export type AppKind = 'private' | 'oauth2' | 'custom';

interface AppBase {
  /** OAuth2 client_id, or a private app's consumer key. */
  id: string;
  name: string;
  createdAt: number;
}

export interface PrivateApp extends AppBase {
  kind: 'private';
  consumerSecret: string;
  certificatePem: string;
  tenantId: string;
}

export interface OAuth2App extends AppBase {
  kind: 'oauth2';
  clientSecret: string;
  redirectUris: string[];
  /** A PKCE-only client (mobile/desktop style): no secret, code_challenge required. */
  isPublic: boolean;
}

export interface CustomApp extends AppBase {
  kind: 'custom';
  clientSecret: string;
  tenantId: string;
  scopes: string[];
}

export type EmulatedApp = PrivateApp | OAuth2App | CustomApp;

export interface EmulatedUser {
  /** xero_userid claim. */
  id: string;
  /** sub claim (Xero uses a 32-hex identifier distinct from the user id). */
  sub: string;
  email: string;
  password: string;
  givenName: string;
  familyName: string;
}

export interface AuthorizationCode {
  code: string;
  clientId: string;
  userId: string;
  redirectUri: string;
  scopes: string[];
  tenantIds: string[];
  nonce?: string;
  codeChallenge?: string;
  authTime: number;
  expiresAt: number;
  /** Set once exchanged; a second exchange is refused and revokes what the first one issued. */
  grantId?: string;
}

/** One authorisation event: what a user (or a custom connection) granted one client. */
export interface Grant {
  /** authentication_event_id. */
  id: string;
  clientId: string;
  userId: string | null;
  scopes: string[];
  authTime: number;
  sessionId: string;
  nonce?: string;
  createdAt: number;
  revokedAt?: number;
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  token_type: 'Bearer';
  scope: string;
  refresh_token?: string;
  id_token?: string;
}

export interface RefreshTokenRecord {
  token: string;
  grantId: string;
  issuedAt: number;
  expiresAt: number;
  /** When it was exchanged; it then stays usable for the grace period and answers with `rotatedTo`. */
  rotatedAt?: number;
  rotatedTo?: TokenResponse;
}

export interface ConnectionRecord {
  id: string;
  clientId: string;
  userId: string | null;
  tenantId: string;
  authEventId: string;
  createdAt: number;
  updatedAt: number;
}

export interface IdentityState {
  apps: Record<string, EmulatedApp>;
  users: Record<string, EmulatedUser>;
  codes: Record<string, AuthorizationCode>;
  grants: Record<string, Grant>;
  refreshTokens: Record<string, RefreshTokenRecord>;
  connections: Record<string, ConnectionRecord>;
  /** RS256 signing key as a private JWK (kid included). */
  signingKey: Record<string, unknown>;
}

export const DEFAULT_USER = {
  email: 'demo@ledgerbridge.test',
  password: 'demo-password',
  givenName: 'Demo',
  familyName: 'User',
} as const;
