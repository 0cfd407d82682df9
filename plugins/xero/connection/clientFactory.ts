// From a connection row to a ready XeroClient: the private app signs with OAuth 1.0a RSA-SHA1 (its key
// opened from the sealed column), OAuth2 connections present a bearer token that is refreshed first if
// it is about to expire. Either way the caller gets the same client and the same code path.
import { XeroClient } from '../gateway/client';
import { AuthRevokedError } from '../../../server/errors';
import { OAuth1PrivateAppAuth } from './oauth1';
import { BearerAuthentication } from '../gateway/client';
import { certificateKeyPurpose, clearClockAlert, recordCallOutcome, recordClockAlert, type ConnectionRow } from './store';
import { clockAlertMessage, isClockAlert } from '../gateway/clockRefusal';
import { ensureAccessToken, refreshAfterUnauthorized } from './oauth2/tokenManager';
import type { Authentication } from 'xero-node';
import type { ConnectionDeps } from './deps';

export async function clientForConnection(deps: ConnectionDeps, connection: ConnectionRow): Promise<XeroClient> {
  if (connection.status !== 'connected') {
    throw new AuthRevokedError(`The Xero connection is ${connection.status.replace('_', ' ')}; an admin must reconnect it`);
  }
  if (connection.mode === 'private_app') {
    return newClient(deps, connection, await privateAppAuthentication(deps, connection));
  }
  let accessToken = await ensureAccessToken(deps, connection);
  return newClient(deps, connection, new BearerAuthentication(accessToken), async () => {
    accessToken = await refreshAfterUnauthorized(deps, connection, accessToken);
    return new BearerAuthentication(accessToken);
  });
}

function newClient(deps: ConnectionDeps, connection: ConnectionRow, authentication: Authentication, reauthenticate?: () => Promise<Authentication>): XeroClient {
  // Whether a clock alert may be on the row: only then does an answered call write to clear it (not every call).
  let clockAlerted = isClockAlert(connection.last_error);
  return new XeroClient({
    config: deps.config,
    authentication,
    reauthenticate,
    // A private app is bound to one organisation; Xero needs no tenant header for it (empty = the app's own).
    tenantId: connection.tenant_id ?? '',
    onRateHeadroom: (headroom) => {
      recordCallOutcome(deps.db, connection.id, headroom, deps.now()).catch((err) => deps.logger.warn({ err }, 'could not record Xero rate headroom'));
    },
    onAnswered: () => {
      if (!clockAlerted) return;
      clockAlerted = false;
      clearClockAlert(deps.db, connection.id).catch((err) => deps.logger.warn({ err }, 'could not clear the Xero clock alert'));
    },
    // Our clock now against Xero's Date: how far off this server is, for the admin (health.ts).
    onTimestampRefused: (failure) => {
      const body = failure.body as { oauth_acceptable_timestamps?: unknown } | null;
      const now = deps.now();
      clockAlerted = true;
      const message = clockAlertMessage({ ourNowMs: now, ...(failure.serverDate !== undefined ? { xeroDateMs: failure.serverDate } : {}), acceptable: body?.oauth_acceptable_timestamps });
      recordClockAlert(deps.db, connection.id, message, now).catch((err) => deps.logger.warn({ err }, 'could not record the Xero clock alert'));
    },
  });
}

async function privateAppAuthentication(deps: ConnectionDeps, connection: ConnectionRow): Promise<OAuth1PrivateAppAuth> {
  if (!connection.consumer_key || !connection.certificate_id) {
    throw new AuthRevokedError('The private app connection has no consumer key or certificate; an admin must reconnect it');
  }
  const cert = await deps.db('xero_certificates').where({ id: connection.certificate_id, org_id: connection.org_id }).first();
  if (!cert) throw new AuthRevokedError('The private app certificate is missing; an admin must reconnect');
  const privateKeyPem = await deps.secrets.openString(deps.db, connection.org_id, certificateKeyPurpose(cert.id), cert.private_key_sealed);
  return new OAuth1PrivateAppAuth({ consumerKey: connection.consumer_key, privateKeyPem, clock: deps.now });
}
