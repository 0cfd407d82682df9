// What the connection page and `xero:status` show, for either mode: the live connection (organisation,
// tenant, scopes, certificate or access-token expiry, last successful call, the rate budget Xero last
// reported), the organisation's current certificate, and the history of ended connections.
// Read-only and scoped to one organisation; no secret (sealed or not) ever leaves this module.
import { listConnections, type ConnectionMode, type ConnectionRow, type ConnectionStatus } from './store';
import { certificateExpiry, currentCertificate, getCertificate, type CertificateExpiry } from './certificates';
import type { ConnectionDeps } from './deps';

export const MODE_LABELS: Record<ConnectionMode, string> = {
  private_app: 'Legacy private app (OAuth 1.0a)',
  oauth2: 'OAuth2',
  custom_connection: 'OAuth2 custom connection',
};

export const STATUS_LABELS: Record<ConnectionStatus, string> = {
  connected: 'Connected',
  choosing_tenant: 'Waiting for the organisation to be chosen',
  needs_reauth: 'Needs re-authorisation',
  ended: 'Ended',
};

export interface CertificateStatus {
  id: number;
  fingerprintSha1: string;
  serialNumber: string;
  notBefore: number;
  notAfter: number;
  createdAt: number;
  expiry: CertificateExpiry;
  retired: boolean;
}

export interface LiveConnectionStatus {
  id: number;
  mode: ConnectionMode;
  modeLabel: string;
  status: ConnectionStatus;
  statusLabel: string;
  organisationName: string | null;
  tenantId: string | null;
  tenantCurrency: string | null;
  /** OAuth2 scopes granted (empty for a private app, which has every accounting scope). */
  scopes: string[];
  /** Private app: the last 4 characters of the consumer key. */
  consumerKeyHint: string | null;
  /** Private app: the certificate it signs with (may be a retired one after a regeneration). */
  certificate: CertificateStatus | null;
  /** OAuth2: when the current access token expires (it is refreshed before then). */
  accessTokenExpiresAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  lastErrorAt: number | null;
  rateHeadroom: { minuteRemaining: number | null; dayRemaining: number | null; appMinuteRemaining: number | null; reportedAt: number } | null;
  connectedAt: number;
  connectedBy: string;
}

export interface EndedConnection {
  id: number;
  mode: ConnectionMode;
  modeLabel: string;
  organisationName: string | null;
  startedAt: number;
  endedAt: number;
  endReason: string | null;
}

export interface XeroConnectionStatus {
  live: LiveConnectionStatus | null;
  /** The organisation's current certificate (for the legacy section), whatever the mode. */
  certificate: CertificateStatus | null;
  history: EndedConnection[];
}

function certificateStatus(cert: Awaited<ReturnType<typeof currentCertificate>>, now: number): CertificateStatus | null {
  if (!cert) return null;
  return {
    id: cert.id,
    fingerprintSha1: cert.fingerprintSha1,
    serialNumber: cert.serialNumber,
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    createdAt: cert.createdAt,
    expiry: certificateExpiry(cert.notAfter, now),
    retired: cert.retiredAt !== null,
  };
}

function parseScopes(scopes: string | null): string[] {
  return scopes ? scopes.split(/[\s,]+/).filter(Boolean) : [];
}

async function liveStatus(deps: Pick<ConnectionDeps, 'db'>, row: ConnectionRow, now: number): Promise<LiveConnectionStatus> {
  const cert = row.certificate_id !== null ? await getCertificate(deps.db, row.org_id, row.certificate_id) : undefined;
  return {
    id: row.id,
    mode: row.mode,
    modeLabel: MODE_LABELS[row.mode] ?? row.mode,
    status: row.status,
    statusLabel: STATUS_LABELS[row.status] ?? row.status,
    organisationName: row.tenant_name,
    tenantId: row.tenant_id,
    tenantCurrency: row.tenant_currency,
    scopes: parseScopes(row.scopes),
    consumerKeyHint: row.consumer_key ? `…${row.consumer_key.slice(-4)}` : null,
    certificate: certificateStatus(cert, now),
    accessTokenExpiresAt: row.access_expires_at,
    lastSuccessAt: row.last_success_at,
    lastError: row.last_error,
    lastErrorAt: row.last_error_at,
    rateHeadroom: row.rate_reported_at !== null
      ? { minuteRemaining: row.rate_min_remaining, dayRemaining: row.rate_day_remaining, appMinuteRemaining: row.rate_app_min_remaining, reportedAt: row.rate_reported_at }
      : null,
    connectedAt: row.created_at,
    connectedBy: row.created_by,
  };
}

export async function connectionStatus(deps: Pick<ConnectionDeps, 'db' | 'now'>, orgId: number): Promise<XeroConnectionStatus> {
  const now = deps.now();
  const [rows, cert] = await Promise.all([listConnections(deps.db, orgId), currentCertificate(deps.db, orgId)]);
  const liveRow = rows.find((r) => r.ended_at === null);
  return {
    live: liveRow ? await liveStatus(deps, liveRow, now) : null,
    certificate: certificateStatus(cert, now),
    history: rows
      .filter((r) => r.ended_at !== null)
      .map((r) => ({
        id: r.id,
        mode: r.mode,
        modeLabel: MODE_LABELS[r.mode] ?? r.mode,
        organisationName: r.tenant_name,
        startedAt: r.created_at,
        endedAt: r.ended_at as number,
        endReason: r.end_reason,
      })),
  };
}
