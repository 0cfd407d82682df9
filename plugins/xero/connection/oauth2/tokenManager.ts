// OAuth2 and custom-connection access tokens for the Xero client: refreshed before they expire, one
// refresh at a time across every worker and process (a lease on the connection row plus a
// compare-and-swap on token_version; see leasedRefresh.ts), and one shared in-flight refresh per
// connection inside a process. A dead refresh token (revoked, unused for 60 days, grace passed) marks the
// connection needs_reauth and throws AuthRevokedError, so the outbox pauses that organisation's items.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { AuthRevokedError, RetryableError } from '../../../../server/errors';
import type { Db } from '../../../../server/plugins/contract';
import type { ConnectionDeps } from '../deps';
import { connectionSecretPurpose, openConnectionSecret, type ConnectionRow } from '../store';
import { DeadCredentialsError, ensureFreshAccessToken, type FreshTokens, type RefreshPolicy, type TokenSnapshot, type TokenStorage } from './leasedRefresh';
import { appIdentity, customIdentity } from './settings';
import { classifyIdentityError } from './xeroIdentity';
import { XeroHttpError } from '../../gateway/client';
import type { TokenSet } from 'openid-client';

/** Refresh when less than this is left on the access token (Xero's live 30 minutes). */
export const REFRESH_BEFORE_MS = 2 * 60_000;
const POLL_MS = 100;

interface RowSnapshot extends TokenSnapshot {
  row: ConnectionRow;
}

// Per database handle, so two knex instances (two "processes" in a test) never share a promise and must
// meet at the row lease, exactly as separate processes do.
const inFlight = new WeakMap<Db, Map<number, Promise<string>>>();

/** A valid access token for an OAuth2 or custom connection, refreshed first if it is about to expire. */
export async function ensureAccessToken(deps: ConnectionDeps, connection: ConnectionRow): Promise<string> {
  if (connection.mode === 'private_app') throw new Error('private app connections sign requests; they have no access token');
  let perDb = inFlight.get(deps.db);
  if (!perDb) inFlight.set(deps.db, (perDb = new Map()));
  const running = perDb.get(connection.id);
  if (running) return running;
  const promise = ensureFreshAccessToken(connectionTokenStorage(deps, connection), (s) => refreshTokens(deps, s.row), policy(deps)).finally(() => {
    perDb.delete(connection.id);
  });
  perDb.set(connection.id, promise);
  return promise;
}

/**
 * After the API answered 401 to `rejectedAccessToken`: refresh now unless someone already replaced that
 * token. If the grant is dead the connection becomes needs_reauth and this throws AuthRevokedError.
 */
export async function refreshAfterUnauthorized(deps: ConnectionDeps, connection: ConnectionRow, rejectedAccessToken: string): Promise<string> {
  const row = await readRow(deps.db, connection);
  if (row.access_token_sealed) {
    const stored = await openConnectionSecret(deps.secrets, deps.db, row, 'access_token_sealed');
    // Expire it in our books, so ensureAccessToken refreshes (under the lease) instead of reusing it.
    if (stored === rejectedAccessToken) {
      await deps.db('xero_connections').where({ id: row.id, token_version: row.token_version }).update({ access_expires_at: 0 });
    }
  }
  return ensureAccessToken(deps, row);
}

/**
 * Run one call with a valid access token. If Xero answers 401 (token revoked or expired early), refresh
 * once and retry; a dead grant marks the connection needs_reauth and surfaces as AuthRevokedError.
 */
export async function withAccessToken<T>(deps: ConnectionDeps, connection: ConnectionRow, call: (accessToken: string) => Promise<T>): Promise<T> {
  const token = await ensureAccessToken(deps, connection);
  try {
    return await call(token);
  } catch (err) {
    if (!(err instanceof XeroHttpError) || err.status !== 401) throw err;
    return call(await refreshAfterUnauthorized(deps, connection, token));
  }
}

function policy(deps: ConnectionDeps): RefreshPolicy {
  return {
    refreshBeforeMs: REFRESH_BEFORE_MS,
    // One refresh is at most one HTTP timeout (plus discovery on a cold start); the margin covers sealing.
    leaseMs: 2 * deps.config.httpTimeoutMs + 10_000,
    pollMs: POLL_MS,
    maxWaitMs: 2 * deps.config.httpTimeoutMs + 15_000,
    now: deps.now,
    owner: `${hostname()}:${process.pid}:${randomBytes(6).toString('hex')}`,
  };
}

async function readRow(db: Db, connection: Pick<ConnectionRow, 'id' | 'org_id'>): Promise<ConnectionRow> {
  const row = await db('xero_connections').where({ id: connection.id, org_id: connection.org_id }).first();
  if (!row) throw new AuthRevokedError('The Xero connection no longer exists; an admin must reconnect');
  for (const c of ['id', 'org_id', 'token_version', 'access_expires_at', 'refresh_issued_at', 'refresh_lock_until'] as const) {
    if (row[c] !== null && row[c] !== undefined) row[c] = Number(row[c]);
  }
  return row as ConnectionRow;
}

/** The DB adapter: the connection row is the token store; the lease and the version live on it. */
export function connectionTokenStorage(deps: ConnectionDeps, connection: Pick<ConnectionRow, 'id' | 'org_id'>): TokenStorage<RowSnapshot> {
  const { db } = deps;
  const live = () => db('xero_connections').where({ id: connection.id, org_id: connection.org_id }).whereNull('ended_at');
  const { now } = deps;
  return {
    async read() {
      const row = await readRow(db, connection);
      const availability = row.ended_at !== null || row.status === 'ended' ? 'gone' : row.status === 'needs_reauth' ? 'needs_reauth' : 'usable';
      return {
        row,
        version: row.token_version,
        availability,
        reason: availability === 'needs_reauth' ? row.last_error : availability === 'gone' ? row.end_reason : null,
        hasAccessToken: Boolean(row.access_token_sealed),
        accessExpiresAt: row.access_expires_at,
      };
    },
    async accessToken(snapshot) {
      const token = await openConnectionSecret(deps.secrets, db, snapshot.row, 'access_token_sealed');
      if (!token) throw new AuthRevokedError('The Xero connection has no access token; an admin must reconnect');
      return token;
    },
    async tryLease(version, owner, until, at) {
      const taken = await live()
        .where({ token_version: version })
        .whereIn('status', ['connected', 'choosing_tenant'])
        .where((q) => q.whereNull('refresh_lock_until').orWhere('refresh_lock_until', '<', at))
        .update({ refresh_lock_owner: owner, refresh_lock_until: until });
      return taken === 1;
    },
    async commit(version, owner, tokens) {
      // Sealed outside any transaction (SQLite has one connection); the purposes bind them to this row.
      const purposeOf = (column: 'access_token_sealed' | 'refresh_token_sealed') => connectionSecretPurpose(column, connection.id);
      const access = await deps.secrets.seal(db, connection.org_id, purposeOf('access_token_sealed'), tokens.accessToken);
      const refresh = tokens.refreshToken ? await deps.secrets.seal(db, connection.org_id, purposeOf('refresh_token_sealed'), tokens.refreshToken) : undefined;
      const written = await live()
        .where({ token_version: version, refresh_lock_owner: owner })
        .update({
          access_token_sealed: access,
          access_expires_at: tokens.accessExpiresAt,
          ...(refresh ? { refresh_token_sealed: refresh, refresh_issued_at: now() } : {}),
          ...(tokens.scopes ? { scopes: tokens.scopes } : {}),
          token_version: db.raw('token_version + 1'),
          refresh_lock_owner: null,
          refresh_lock_until: null,
          updated_at: now(),
        });
      return written === 1;
    },
    async release(owner) {
      await live().where({ refresh_lock_owner: owner }).update({ refresh_lock_owner: null, refresh_lock_until: null });
    },
    async markDead(version, owner, reason) {
      const at = now();
      const marked = await live()
        .where({ token_version: version, refresh_lock_owner: owner })
        .update({ status: 'needs_reauth', last_error: reason, last_error_at: at, refresh_lock_owner: null, refresh_lock_until: null, updated_at: at });
      if (marked === 1) deps.logger.warn({ connectionId: connection.id, orgId: connection.org_id, reason }, 'Xero connection needs re-authorisation');
      return marked === 1;
    },
  };
}

/** One refresh against Xero's identity service (called only by the lease holder). */
async function refreshTokens(deps: ConnectionDeps, row: ConnectionRow): Promise<FreshTokens> {
  const startedAt = deps.now();
  let tokenSet: TokenSet;
  try {
    if (row.mode === 'custom_connection') {
      const clientSecret = await openConnectionSecret(deps.secrets, deps.db, row, 'consumer_secret_sealed');
      if (!row.consumer_key || !clientSecret) throw new DeadCredentialsError('The custom connection has no client credentials stored; an admin must reconnect it');
      tokenSet = await customIdentity(deps.config, { clientId: row.consumer_key, clientSecret }).getClientCredentialsToken();
    } else {
      const identity = appIdentity(deps.config);
      if (!identity) {
        // A configuration problem, not a dead grant: items wait, the connection is left as it is.
        throw new AuthRevokedError('XERO_CLIENT_ID and XERO_CLIENT_SECRET are not configured, so the Xero token cannot be refreshed');
      }
      const refreshToken = await openConnectionSecret(deps.secrets, deps.db, row, 'refresh_token_sealed');
      if (!refreshToken) throw new DeadCredentialsError('The Xero connection has no refresh token; an admin must reconnect it');
      tokenSet = await identity.refreshWith(refreshToken);
    }
  } catch (err) {
    if (err instanceof DeadCredentialsError || err instanceof AuthRevokedError) throw err;
    const failure = classifyIdentityError(err);
    if (failure.kind === 'invalid_grant' || failure.kind === 'invalid_client') {
      throw new DeadCredentialsError(`${failure.message}. An admin must reconnect Xero.`);
    }
    throw new RetryableError(`Could not refresh the Xero token: ${failure.message}`, { retryAfterMs: failure.kind === 'transient' ? 30_000 : 60_000, cause: failure });
  }
  return freshTokensFrom(tokenSet, startedAt, row.mode === 'custom_connection');
}

/** A token response as FreshTokens; the lifetime counts from when the request started, to err early. */
export function freshTokensFrom(tokenSet: TokenSet, startedAt: number, clientCredentials = false): FreshTokens {
  if (!tokenSet.access_token) throw new RetryableError('Xero answered the token request without an access token');
  const lifetimeSeconds = typeof tokenSet.expires_in === 'number' && tokenSet.expires_in > 0 ? tokenSet.expires_in : 1800;
  return {
    accessToken: tokenSet.access_token,
    accessExpiresAt: startedAt + lifetimeSeconds * 1000,
    ...(!clientCredentials && tokenSet.refresh_token ? { refreshToken: tokenSet.refresh_token } : {}),
    ...(typeof tokenSet.scope === 'string' && tokenSet.scope ? { scopes: tokenSet.scope } : {}),
  };
}
