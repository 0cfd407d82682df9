// Connection rows: one per connection attempt, never deleted. Starting a new connection ends the live
// one (switching mode or tenant keeps the history). Secrets are sealed per organisation; each sealed
// value's purpose names its table, column and row, so a value copied to another row will not open.
import type { Queryable, SealedColumnDeclaration, SecretBox } from '../../../server/plugins/contract';
import type { RateHeadroom } from '../gateway/client';
import { CLOCK_ALERT_PREFIX } from '../gateway/clockRefusal';
import type { ConnectionDeps } from './deps';

export type ConnectionMode = 'private_app' | 'oauth2' | 'custom_connection';
export type ConnectionStatus = 'choosing_tenant' | 'connected' | 'needs_reauth' | 'ended';

export interface TenantChoice {
  tenantId: string;
  tenantName: string;
  xeroConnectionId: string;
}

export interface ConnectionRow {
  id: number;
  org_id: number;
  mode: ConnectionMode;
  status: ConnectionStatus;
  tenant_id: string | null;
  tenant_name: string | null;
  tenant_currency: string | null;
  /** The organisation's ShortCode, for deep links that open it (null: not read yet). */
  short_code: string | null;
  scopes: string | null;
  consumer_key: string | null;
  consumer_secret_sealed: string | null;
  certificate_id: number | null;
  access_token_sealed: string | null;
  refresh_token_sealed: string | null;
  access_expires_at: number | null;
  refresh_issued_at: number | null;
  token_version: number;
  refresh_lock_owner: string | null;
  refresh_lock_until: number | null;
  xero_connection_id: string | null;
  pending_tenants: string | null;
  last_success_at: number | null;
  last_error: string | null;
  last_error_at: number | null;
  rate_min_remaining: number | null;
  rate_day_remaining: number | null;
  rate_app_min_remaining: number | null;
  rate_reported_at: number | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export type SealedConnectionColumn = 'consumer_secret_sealed' | 'access_token_sealed' | 'refresh_token_sealed';

export const connectionSecretPurpose = (column: SealedConnectionColumn, connectionId: number): string =>
  `xero_connections.${column}:${connectionId}`;
export const certificateKeyPurpose = (certificateId: number): string => `xero_certificates.private_key_sealed:${certificateId}`;

// Rotation of an organisation's data key re-seals these generically (declared on the plugin definition).
export const connectionSealedColumns: SealedColumnDeclaration[] = [{
  table: 'xero_connections',
  idColumn: 'id',
  orgColumn: 'org_id',
  columns: (['consumer_secret_sealed', 'access_token_sealed', 'refresh_token_sealed'] as const).map((name) => ({
    name,
    purpose: (row: Record<string, unknown>) => connectionSecretPurpose(name, Number(row.id)),
  })),
}, {
  table: 'xero_certificates',
  idColumn: 'id',
  orgColumn: 'org_id',
  columns: [{ name: 'private_key_sealed', purpose: (row) => certificateKeyPurpose(Number(row.id)) }],
}];

const numberColumns = [
  'id', 'org_id', 'certificate_id', 'access_expires_at', 'refresh_issued_at', 'token_version', 'refresh_lock_until',
  'last_success_at', 'last_error_at', 'rate_min_remaining', 'rate_day_remaining', 'rate_app_min_remaining',
  'rate_reported_at', 'created_at', 'updated_at', 'ended_at',
] as const;

function normalise(row: Record<string, unknown> | undefined): ConnectionRow | undefined {
  if (!row) return undefined;
  const out = { ...row } as Record<string, unknown>;
  for (const c of numberColumns) if (out[c] !== null && out[c] !== undefined) out[c] = Number(out[c]);
  return out as unknown as ConnectionRow;
}

/** The organisation's live connection (not ended), if any. */
export async function getLiveConnection(db: Queryable, orgId: number): Promise<ConnectionRow | undefined> {
  return normalise(await db('xero_connections').where({ org_id: orgId }).whereNull('ended_at').first());
}

export async function getConnection(db: Queryable, orgId: number, id: number): Promise<ConnectionRow | undefined> {
  return normalise(await db('xero_connections').where({ org_id: orgId, id }).first());
}

/** Every connection the organisation has had, newest first (the history on the connection page). */
export async function listConnections(db: Queryable, orgId: number): Promise<ConnectionRow[]> {
  const rows = await db('xero_connections').where({ org_id: orgId }).orderBy('id', 'desc');
  return rows.map((r: Record<string, unknown>) => normalise(r)!);
}

/**
 * Start a new connection in the caller's transaction, ending the live one first: the partial unique
 * index allows one live connection per organisation, so two racing starts cannot both succeed.
 * A connection that starts connected resumes the organisation's paused sync items in the same
 * transaction, whichever way it was made (private app, custom connection, OAuth2).
 */
export async function startConnection(
  deps: Pick<ConnectionDeps, 'outbox' | 'now'>,
  trx: Queryable,
  input: { orgId: number; mode: ConnectionMode; status: ConnectionStatus; createdBy: string; endReason: string } & Partial<
    Pick<ConnectionRow, 'tenant_id' | 'tenant_name' | 'tenant_currency' | 'short_code' | 'scopes' | 'consumer_key' | 'certificate_id' | 'xero_connection_id' | 'pending_tenants'>
  >,
): Promise<ConnectionRow> {
  const now = deps.now();
  await trx('xero_connections')
    .where({ org_id: input.orgId })
    .whereNull('ended_at')
    .update({ status: 'ended', ended_at: now, end_reason: input.endReason, updated_at: now });
  const { orgId, createdBy, endReason: _endReason, ...columns } = input;
  const [row] = await trx('xero_connections')
    .insert({ ...columns, org_id: orgId, created_by: createdBy, created_at: now, updated_at: now, token_version: 0 })
    .returning('*');
  if (input.status === 'connected') await deps.outbox.resumePaused(trx, { orgId });
  return normalise(row as Record<string, unknown>)!;
}

export async function updateConnection(db: Queryable, id: number, patch: Partial<Omit<ConnectionRow, 'id' | 'org_id'>>, now: number): Promise<void> {
  await db('xero_connections').where({ id }).update({ ...patch, updated_at: now });
}

export async function endConnection(db: Queryable, id: number, reason: string, now: number): Promise<void> {
  await db('xero_connections').where({ id }).whereNull('ended_at').update({ status: 'ended', ended_at: now, end_reason: reason, updated_at: now });
}

/** Remember the last successful call and the rate budget Xero reported (shown on the connection page). */
export async function recordCallOutcome(db: Queryable, id: number, headroom: RateHeadroom | null, now: number): Promise<void> {
  await db('xero_connections').where({ id }).update({
    last_success_at: now,
    ...(headroom
      ? {
          rate_min_remaining: headroom.minuteRemaining,
          rate_day_remaining: headroom.dayRemaining,
          rate_app_min_remaining: headroom.appMinuteRemaining,
          rate_reported_at: now,
        }
      : {}),
  });
}

/**
 * Xero refused a signed call's timestamp (gateway/clockRefusal.ts): the connection stays connected and its
 * items retry, but the admin sees why nothing lands. Cleared by the next call Xero answers.
 */
export async function recordClockAlert(db: Queryable, id: number, message: string, now: number): Promise<void> {
  await db('xero_connections').where({ id }).update({ last_error: message, last_error_at: now });
}

/** Xero answered a call: a clock alert is over (other errors stay for the connection page). */
export async function clearClockAlert(db: Queryable, id: number): Promise<void> {
  await db('xero_connections').where({ id }).andWhere('last_error', 'like', `${CLOCK_ALERT_PREFIX}%`).update({ last_error: null });
}

export async function sealConnectionSecret(
  box: SecretBox, db: Queryable, row: Pick<ConnectionRow, 'id' | 'org_id'>, column: SealedConnectionColumn, plaintext: string,
): Promise<string> {
  return box.seal(db, row.org_id, connectionSecretPurpose(column, row.id), plaintext);
}

export async function openConnectionSecret(
  box: SecretBox, db: Queryable, row: ConnectionRow, column: SealedConnectionColumn,
): Promise<string | null> {
  const sealed = row[column];
  return sealed ? box.openString(db, row.org_id, connectionSecretPurpose(column, row.id), sealed) : null;
}
