// Per-organisation GoCardless settings: the access token and webhook endpoint secret, sealed with the
// organisation's data key (ctx.secrets); opened only where used (API calls, signature checks).
import { nowMs, type Queryable } from '../../server/db/knex';
import type { SecretBox } from '../../server/secrets';
import type { SealedColumnDeclaration } from '../../server/plugins/contract';
import type { GoCardlessConfig } from './config';
import { GoCardlessClient } from './client';

export interface SettingsRow {
  org_id: number;
  access_token_sealed: string;
  webhook_secret_sealed: string | null;
  creditor_id: string;
  creditor_name: string;
  updated_by: string;
  updated_at: number;
}

const tokenPurpose = (orgId: number): string => `gocardless_settings.access_token:${orgId}`;
const secretPurpose = (orgId: number): string => `gocardless_settings.webhook_secret:${orgId}`;

/** Declared on the plugin definition: an organisation key rotation re-seals both. */
export const gocardlessSealedColumns: SealedColumnDeclaration = {
  table: 'gocardless_settings', idColumn: 'org_id', orgColumn: 'org_id',
  columns: [
    { name: 'access_token_sealed', purpose: (row) => tokenPurpose(Number(row.org_id)) },
    { name: 'webhook_secret_sealed', purpose: (row) => secretPurpose(Number(row.org_id)) },
  ],
};

export async function getSettings(db: Queryable, orgId: number): Promise<SettingsRow | undefined> {
  return (await db('gocardless_settings').where({ org_id: orgId }).first()) as SettingsRow | undefined;
}

export async function allSettings(db: Queryable): Promise<SettingsRow[]> {
  return (await db('gocardless_settings').select('*').orderBy('org_id')) as SettingsRow[];
}

export interface SaveSettings {
  orgId: number;
  /** A new token, or undefined to keep the saved one. */
  accessToken?: string;
  /** A new webhook secret, or undefined to keep the saved one. */
  webhookSecret?: string;
  creditorId: string;
  creditorName: string;
  actor: string;
}

export async function saveSettings(db: Queryable, secrets: SecretBox, input: SaveSettings): Promise<void> {
  const existing = await getSettings(db, input.orgId);
  const accessTokenSealed = input.accessToken !== undefined ? await secrets.seal(db, input.orgId, tokenPurpose(input.orgId), input.accessToken) : existing?.access_token_sealed;
  if (!accessTokenSealed) throw new Error('an access token is required');
  const webhookSecretSealed = input.webhookSecret !== undefined
    ? await secrets.seal(db, input.orgId, secretPurpose(input.orgId), input.webhookSecret)
    : existing?.webhook_secret_sealed ?? null;
  const row = {
    access_token_sealed: accessTokenSealed,
    webhook_secret_sealed: webhookSecretSealed,
    creditor_id: input.creditorId,
    creditor_name: input.creditorName,
    updated_by: input.actor,
    updated_at: nowMs(),
  };
  if (existing) await db('gocardless_settings').where({ org_id: input.orgId }).update(row);
  else await db('gocardless_settings').insert({ org_id: input.orgId, ...row });
}

export async function deleteSettings(db: Queryable, orgId: number): Promise<boolean> {
  return (await db('gocardless_settings').where({ org_id: orgId }).delete()) > 0;
}

export const openAccessToken = (db: Queryable, secrets: SecretBox, row: SettingsRow): Promise<string> =>
  secrets.openString(db, row.org_id, tokenPurpose(row.org_id), row.access_token_sealed);

export const openWebhookSecret = (db: Queryable, secrets: SecretBox, row: SettingsRow): Promise<string | null> =>
  row.webhook_secret_sealed ? secrets.openString(db, row.org_id, secretPurpose(row.org_id), row.webhook_secret_sealed) : Promise.resolve(null);

/** The API client for a saved organisation (the token opened just for it). */
export async function clientFor(db: Queryable, secrets: SecretBox, config: GoCardlessConfig, row: SettingsRow): Promise<GoCardlessClient> {
  return new GoCardlessClient({ baseUrl: config.apiBase, accessToken: await openAccessToken(db, secrets, row), timeoutMs: config.httpTimeoutMs });
}
