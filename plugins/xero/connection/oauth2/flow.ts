// The OAuth2 connection flow as plain functions (the routes only translate HTTP): start → Xero's consent
// → callback (state, PKCE, nonce, code exchange, /connections) → one organisation: connected; several:
// the admin picks one → a test call (GET Organisation) → connected. Also custom connections (client
// credentials) and disconnecting any mode. Every function is scoped to the admin's organisation.
import { decodeJwt } from 'jose';
import type { TokenSet } from 'openid-client';
import { AppError, ValidationError } from '../../../../server/errors';
import { BearerAuthentication, XeroClient, XeroHttpError, type RateHeadroom } from '../../gateway/client';
import { XeroGateway } from '../../gateway/gateway';
import type { ConnectionDeps } from '../deps';
import {
  endConnection, getLiveConnection, openConnectionSecret, recordCallOutcome, sealConnectionSecret, startConnection,
  updateConnection, type ConnectionMode, type ConnectionRow, type TenantChoice,
} from '../store';
import { claimAuthorisationState, createAuthorisationState, type StateRefusal } from './states';
import { appIdentity, consentScopes, customIdentity, redirectUriFor } from './settings';
import { ensureAccessToken, freshTokensFrom } from './tokenManager';
import { classifyIdentityError, type XeroConnectionEntry, type XeroIdentityClient } from './xeroIdentity';

export interface FlowDeps extends ConnectionDeps {
  publicUrl: string;
  mountPath: string;
}

/** Who is connecting: the signed-in admin. */
export interface Admin {
  orgId: number;
  userId: number;
  /** For created_by / end reasons (email, else name). */
  label: string;
}

/** A flow step that cannot go on; message and help are shown to the admin as they are (no secrets in them). */
export class ConnectFlowError extends AppError {
  constructor(code: string, message: string, help: string, statusCode = 400) {
    super({ statusCode, code, message, help });
  }
}

export class OAuth2NotConfiguredError extends ConnectFlowError {
  constructor() {
    super(
      'XERO_OAUTH2_NOT_CONFIGURED',
      'Connecting to Xero with OAuth2 is not set up on this install',
      'Create a Web app in Xero\'s developer portal, then set XERO_CLIENT_ID and XERO_CLIENT_SECRET (and XERO_REDIRECT_URI if this install is reached through another address) and restart.',
      409,
    );
  }
}

const RECONNECT_HELP = 'Start again with "Connect to Xero".';

// ---- start ----------------------------------------------------------------------------------------

/** Record the request (state, sealed PKCE verifier, nonce) and return Xero's consent URL. */
export async function startAuthorisation(deps: FlowDeps, admin: Admin): Promise<string> {
  const redirectUri = redirectUriFor(deps.config, deps.publicUrl, deps.mountPath);
  const identity = appIdentity(deps.config, redirectUri);
  if (!identity) throw new OAuth2NotConfiguredError();
  const scopes = consentScopes(deps.config);
  const started = await createAuthorisationState(deps.db, deps.secrets, { orgId: admin.orgId, userId: admin.userId, scopes, now: deps.now() });
  try {
    return await identity.buildPkceConsentUrl(started);
  } catch (err) {
    throw identityUnavailable(err);
  }
}

// ---- callback -------------------------------------------------------------------------------------

export type CallbackOutcome = { kind: 'connected'; connection: ConnectionRow } | { kind: 'choose_tenant'; connection: ConnectionRow };

const STATE_MESSAGES: Record<StateRefusal, string> = {
  unknown: 'This answer from Xero does not match a connection request made here',
  other_user: 'This answer from Xero belongs to a connection request started by someone else',
  used: 'This connection request was already completed',
  expired: 'This connection request expired (they last ten minutes)',
};

export async function completeCallback(deps: FlowDeps, admin: Admin, query: Record<string, unknown>): Promise<CallbackOutcome> {
  const params = stringParams(query);
  const claim = await claimAuthorisationState(deps.db, deps.secrets, { state: params.state ?? '', orgId: admin.orgId, userId: admin.userId, now: deps.now() });
  if (!claim.ok) {
    throw new ConnectFlowError('XERO_STATE_MISMATCH', STATE_MESSAGES[claim.refusal], `Nothing was connected. ${RECONNECT_HELP}`);
  }
  if (params.error) {
    if (params.error === 'access_denied') {
      throw new ConnectFlowError('XERO_CONSENT_DENIED', 'Access to Xero was not allowed', `Xero's consent page was declined, so nothing was connected. ${RECONNECT_HELP}`);
    }
    throw new ConnectFlowError('XERO_AUTHORISATION_FAILED', `Xero did not authorise the connection (${safeCode(params.error)})`, RECONNECT_HELP);
  }
  if (!params.code) throw new ConnectFlowError('XERO_AUTHORISATION_FAILED', 'Xero sent no authorisation code', RECONNECT_HELP);

  const redirectUri = redirectUriFor(deps.config, deps.publicUrl, deps.mountPath);
  const identity = appIdentity(deps.config, redirectUri);
  if (!identity) throw new OAuth2NotConfiguredError();
  const startedAt = deps.now();
  let tokenSet: TokenSet;
  try {
    tokenSet = await identity.exchangeCode(pick(params, ['code', 'state', 'iss', 'session_state', 'scope']), {
      state: claim.claimed.state, codeVerifier: claim.claimed.codeVerifier, nonce: claim.claimed.nonce,
    });
  } catch (err) {
    const failure = classifyIdentityError(err);
    deps.logger.warn({ orgId: admin.orgId, reason: failure.message }, 'Xero code exchange failed');
    throw new ConnectFlowError('XERO_CODE_EXCHANGE_FAILED', `Xero did not accept the authorisation: ${failure.message}`, `Nothing was connected. ${RECONNECT_HELP}`, failure.kind === 'transient' ? 502 : 400);
  }
  const tokens = freshTokensFrom(tokenSet, startedAt);
  const tenants = await authorisedTenants(identity, tokenSet);
  if (tenants.length === 0) {
    throw new ConnectFlowError('XERO_NO_ORGANISATION', 'No Xero organisation was authorised', `Tick at least one organisation on Xero's consent page. ${RECONNECT_HELP}`);
  }
  const grantedScopes = tokens.scopes ?? claim.claimed.scopes.join(' ');

  if (tenants.length === 1) {
    const tenant = tenants[0]!;
    const organisation = await testConnection(deps, tokens.accessToken, tenant.tenantId);
    const connection = await storeConnection(deps, admin, 'oauth2', {
      status: 'connected', tenant_id: tenant.tenantId, tenant_name: organisation.name, tenant_currency: organisation.currency, short_code: organisation.shortCode,
      scopes: grantedScopes, xero_connection_id: tenant.xeroConnectionId,
    }, { accessToken: tokens.accessToken, accessExpiresAt: tokens.accessExpiresAt, refreshToken: tokens.refreshToken });
    await afterConnected(deps, connection, organisation);
    return { kind: 'connected', connection };
  }
  const connection = await storeConnection(deps, admin, 'oauth2', {
    status: 'choosing_tenant', scopes: grantedScopes, pending_tenants: JSON.stringify(tenants),
  }, { accessToken: tokens.accessToken, accessExpiresAt: tokens.accessExpiresAt, refreshToken: tokens.refreshToken });
  return { kind: 'choose_tenant', connection };
}

/** The organisations the admin is choosing between, or undefined when no choice is pending. */
export async function pendingTenantChoice(deps: Pick<FlowDeps, 'db'>, orgId: number): Promise<{ connection: ConnectionRow; tenants: TenantChoice[] } | undefined> {
  const connection = await getLiveConnection(deps.db, orgId);
  if (!connection || connection.status !== 'choosing_tenant' || !connection.pending_tenants) return undefined;
  return { connection, tenants: JSON.parse(connection.pending_tenants) as TenantChoice[] };
}

export async function chooseTenant(deps: FlowDeps, admin: Admin, tenantId: string): Promise<ConnectionRow> {
  const pending = await pendingTenantChoice(deps, admin.orgId);
  if (!pending) throw new ConnectFlowError('XERO_NO_PENDING_CHOICE', 'There is no organisation choice waiting', RECONNECT_HELP, 409);
  const tenant = pending.tenants.find((t) => t.tenantId === tenantId);
  if (!tenant) throw new ValidationError([{ path: 'tenantId', message: 'Choose one of the organisations listed' }], 'Choose one of the organisations listed');
  const accessToken = await ensureAccessToken(deps, pending.connection);
  const organisation = await testConnection(deps, accessToken, tenant.tenantId);
  await updateConnection(deps.db, pending.connection.id, {
    status: 'connected', tenant_id: tenant.tenantId, tenant_name: organisation.name, tenant_currency: organisation.currency, short_code: organisation.shortCode,
    xero_connection_id: tenant.xeroConnectionId, pending_tenants: null, last_error: null, last_error_at: null,
  }, deps.now());
  const connection = (await getLiveConnection(deps.db, admin.orgId))!;
  await afterConnected(deps, connection, organisation);
  return connection;
}

// ---- custom connections ---------------------------------------------------------------------------

export async function connectCustom(deps: FlowDeps, admin: Admin, input: { clientId: string; clientSecret: string }): Promise<ConnectionRow> {
  const clientId = input.clientId.trim();
  const clientSecret = input.clientSecret.trim();
  const issues = [
    ...(clientId ? [] : [{ path: 'clientId', message: 'Paste the client id of the custom connection' }]),
    ...(clientId.length > 128 ? [{ path: 'clientId', message: 'A Xero client id is at most 128 characters' }] : []),
    ...(clientSecret ? [] : [{ path: 'clientSecret', message: 'Paste the client secret of the custom connection' }]),
  ];
  if (issues.length) throw new ValidationError(issues, 'The custom connection was not saved');
  const identity = customIdentity(deps.config, { clientId, clientSecret });
  const startedAt = deps.now();
  let tokenSet: TokenSet;
  try {
    tokenSet = await identity.getClientCredentialsToken();
  } catch (err) {
    const failure = classifyIdentityError(err);
    if (failure.kind === 'invalid_client') {
      throw new ValidationError([{ path: 'clientSecret', message: 'Xero did not accept this client id and secret' }], 'Xero refused the custom connection\'s credentials');
    }
    throw new ConnectFlowError('XERO_CUSTOM_CONNECTION_FAILED', `Xero did not issue a token: ${failure.message}`, 'Check the custom connection in Xero\'s developer portal and try again.', failure.kind === 'transient' ? 502 : 400);
  }
  const tokens = freshTokensFrom(tokenSet, startedAt, true);
  const tenants = await authorisedTenants(identity, tokenSet);
  const tenant = tenants[0];
  if (!tenant) throw new ConnectFlowError('XERO_NO_ORGANISATION', 'The custom connection is not linked to an organisation', 'Finish the custom connection in Xero (an organisation must accept it), then try again.');
  const organisation = await testConnection(deps, tokens.accessToken, tenant.tenantId);
  const connection = await storeConnection(deps, admin, 'custom_connection', {
    status: 'connected', tenant_id: tenant.tenantId, tenant_name: organisation.name, tenant_currency: organisation.currency, short_code: organisation.shortCode,
    scopes: tokens.scopes ?? null, xero_connection_id: tenant.xeroConnectionId, consumer_key: clientId,
  }, { accessToken: tokens.accessToken, accessExpiresAt: tokens.accessExpiresAt, clientSecret });
  await afterConnected(deps, connection, organisation);
  return connection;
}

// ---- disconnect -----------------------------------------------------------------------------------

export interface DisconnectResult {
  connection: ConnectionRow;
  /** What could not be done at Xero (the connection is ended here regardless). */
  warnings: string[];
}

/**
 * End the live connection. For OAuth2 first remove the connection at Xero (DELETE /connections/{id})
 * and revoke the refresh token, so Xero's "connected apps" list is clean too.
 */
export async function disconnect(deps: FlowDeps, admin: Admin): Promise<DisconnectResult | undefined> {
  const connection = await getLiveConnection(deps.db, admin.orgId);
  if (!connection) return undefined;
  const warnings: string[] = [];
  if (connection.mode === 'oauth2') {
    const identity = appIdentity(deps.config);
    if (!identity) warnings.push('XERO_CLIENT_ID/SECRET are not configured, so the token could not be revoked at Xero; remove the app from Xero\'s connected apps.');
    else warnings.push(...(await revokeAtXero(deps, identity, connection)));
  }
  await endConnection(deps.db, connection.id, `disconnected by ${admin.label}`.slice(0, 255), deps.now());
  deps.logger.info({ orgId: admin.orgId, connectionId: connection.id, mode: connection.mode }, 'Xero disconnected');
  return { connection, warnings };
}

async function revokeAtXero(deps: FlowDeps, identity: XeroIdentityClient, connection: ConnectionRow): Promise<string[]> {
  const warnings: string[] = [];
  if (connection.xero_connection_id && connection.status !== 'needs_reauth') {
    try {
      identity.setTokenSet({ access_token: await ensureAccessToken(deps, connection) });
      await identity.disconnect(connection.xero_connection_id);
    } catch (err) {
      const status = err instanceof XeroHttpError ? err.status : undefined;
      // 404: already removed in Xero. Anything else is reported, not fatal.
      if (status !== 404) warnings.push(`Xero's connection could not be removed (${status ? `Xero answered ${status}` : describeShort(err)}).`);
    }
  }
  const refreshToken = await openConnectionSecret(deps.secrets, deps.db, connection, 'refresh_token_sealed').catch(() => null);
  if (refreshToken) {
    try {
      await identity.revokeRefreshToken(refreshToken);
    } catch (err) {
      warnings.push(`The token could not be revoked at Xero (${classifyIdentityError(err).message}).`);
    }
  }
  return warnings;
}

// ---- shared steps ---------------------------------------------------------------------------------

/** The organisations this very authorisation granted (Xero lists all of the user's connections to the app). */
async function authorisedTenants(identity: XeroIdentityClient, tokenSet: TokenSet): Promise<TenantChoice[]> {
  identity.setTokenSet(tokenSet);
  let entries: XeroConnectionEntry[];
  try {
    entries = await identity.updateTenants();
  } catch (err) {
    throw new ConnectFlowError('XERO_CONNECTIONS_FAILED', `Could not list the authorised organisations: ${describeShort(err)}`, RECONNECT_HELP, 502);
  }
  let authEventId: string | undefined;
  try {
    const claim = decodeJwt(tokenSet.access_token ?? '').authentication_event_id;
    authEventId = typeof claim === 'string' ? claim : undefined;
  } catch {
    authEventId = undefined; // not a JWT: keep every connection
  }
  const organisations = entries.filter((e) => !e.tenantType || e.tenantType === 'ORGANISATION');
  const fromThisEvent = authEventId ? organisations.filter((e) => e.authEventId === authEventId) : [];
  return (fromThisEvent.length ? fromThisEvent : organisations).map((e) => ({
    tenantId: e.tenantId, tenantName: e.tenantName ?? e.tenantId, xeroConnectionId: e.id,
  }));
}

interface TestedOrganisation {
  name: string;
  currency: string | null;
  shortCode: string | null;
  /** The rate budget Xero reported on the test call (shown on the connection page at once). */
  headroom: RateHeadroom | null;
}

/** GET Organisation with the new token: nothing is shown as connected until Xero answered. */
async function testConnection(deps: FlowDeps, accessToken: string, tenantId: string): Promise<TestedOrganisation> {
  let headroom: RateHeadroom | null = null;
  const client = new XeroClient({
    config: deps.config, authentication: new BearerAuthentication(accessToken), tenantId,
    onRateHeadroom: (reported) => {
      headroom = reported;
    },
  });
  try {
    const organisation = await new XeroGateway(client).getOrganisation();
    if (!organisation) throw new XeroHttpError({ status: 200, body: null, message: 'Xero returned no organisation' });
    return { name: organisation.name ?? tenantId, currency: organisation.baseCurrency, shortCode: organisation.shortCode, headroom };
  } catch (err) {
    const message = err instanceof XeroHttpError ? err.message : describeShort(err);
    throw new ConnectFlowError('XERO_TEST_CONNECTION_FAILED', `The test call to Xero failed: ${message}`, `Nothing was connected. ${RECONNECT_HELP}`, 502);
  }
}

/** A new live connection row (ending the previous one) with its tokens sealed, in one transaction. */
async function storeConnection(
  deps: FlowDeps, admin: Admin, mode: ConnectionMode,
  columns: Partial<Pick<ConnectionRow, 'status' | 'tenant_id' | 'tenant_name' | 'tenant_currency' | 'short_code' | 'scopes' | 'xero_connection_id' | 'pending_tenants' | 'consumer_key'>> & { status: ConnectionRow['status'] },
  secrets: { accessToken: string; accessExpiresAt: number; refreshToken?: string; clientSecret?: string },
): Promise<ConnectionRow> {
  const createdBy = admin.label.slice(0, 64);
  const id = await deps.db.transaction(async (trx) => {
    const row = await startConnection(deps, trx, { orgId: admin.orgId, mode, createdBy, endReason: `replaced by a new ${mode.replace('_', ' ')} connection (${createdBy})`.slice(0, 255), ...columns });
    const now = deps.now();
    await updateConnection(trx, row.id, {
      access_token_sealed: await sealConnectionSecret(deps.secrets, trx, row, 'access_token_sealed', secrets.accessToken),
      access_expires_at: secrets.accessExpiresAt,
      ...(secrets.refreshToken
        ? { refresh_token_sealed: await sealConnectionSecret(deps.secrets, trx, row, 'refresh_token_sealed', secrets.refreshToken), refresh_issued_at: now }
        : {}),
      ...(secrets.clientSecret ? { consumer_secret_sealed: await sealConnectionSecret(deps.secrets, trx, row, 'consumer_secret_sealed', secrets.clientSecret) } : {}),
    }, now);
    return row.id;
  });
  return (await getLiveConnection(deps.db, admin.orgId)) ?? Promise.reject(new Error(`connection ${id} vanished`));
}

/** Items paused while the organisation had no working connection go back to the queue. */
async function afterConnected(deps: FlowDeps, connection: ConnectionRow, tested: TestedOrganisation): Promise<void> {
  await recordCallOutcome(deps.db, connection.id, tested.headroom, deps.now());
  const resumed = await deps.outbox.resumePaused(deps.db, { orgId: connection.org_id });
  deps.logger.info({ orgId: connection.org_id, connectionId: connection.id, mode: connection.mode, resumed }, 'Xero connected');
}

function identityUnavailable(err: unknown): ConnectFlowError {
  const failure = classifyIdentityError(err);
  return new ConnectFlowError('XERO_IDENTITY_UNAVAILABLE', `Could not reach Xero's identity service: ${failure.message}`, 'Check XERO_IDENTITY_URL and the network, then try again.', 502);
}

function describeShort(err: unknown): string {
  if (err instanceof XeroHttpError) return err.message;
  return classifyIdentityError(err).message;
}

function stringParams(query: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(query)) if (typeof v === 'string') out[k] = v;
  return out;
}

function pick(params: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.flatMap((k) => (params[k] !== undefined ? [[k, params[k]!]] : [])));
}

/** An OAuth error code from the query string, shown only if it looks like one. */
function safeCode(code: string): string {
  return /^[a-z_]{1,64}$/.test(code) ? code : 'unknown error';
}
