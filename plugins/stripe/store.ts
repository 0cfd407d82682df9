// The organisation's Stripe settings. Secrets are sealed under the organisation's data key and opened
// only where used; nothing here logs them.
import type { Queryable } from '../../server/db/knex';
import type { SecretBox } from '../../server/secrets';
import type { SealedColumnDeclaration } from '../../server/plugins/contract';

export interface SettingsRow {
  id: number;
  org_id: number;
  account_id: string;
  key_hint: string;
  secret_key_sealed: string;
  webhook_secret_sealed: string;
  updated_by: string;
  updated_at: number;
}

const purpose = (column: string, orgId: unknown): string => `stripe_settings.${column}:${String(orgId)}`;

/** Declared on the plugin definition: an organisation key rotation re-seals them. */
export const stripeSealedColumns: SealedColumnDeclaration = {
  table: 'stripe_settings', idColumn: 'id', orgColumn: 'org_id',
  columns: [
    { name: 'secret_key_sealed', purpose: (row) => purpose('secret_key', row.org_id) },
    { name: 'webhook_secret_sealed', purpose: (row) => purpose('webhook_secret', row.org_id) },
  ],
};

export async function getSettings(db: Queryable, orgId: number): Promise<SettingsRow | undefined> {
  return (await db('stripe_settings').where({ org_id: orgId }).first()) as SettingsRow | undefined;
}

export async function allSettings(db: Queryable): Promise<SettingsRow[]> {
  return (await db('stripe_settings').orderBy('org_id')) as SettingsRow[];
}

export const openSecretKey = (db: Queryable, secrets: SecretBox, row: SettingsRow): Promise<string> => secrets.openString(db, row.org_id, purpose('secret_key', row.org_id), row.secret_key_sealed);
export const openWebhookSecret = (db: Queryable, secrets: SecretBox, row: SettingsRow): Promise<string> => secrets.openString(db, row.org_id, purpose('webhook_secret', row.org_id), row.webhook_secret_sealed);

export async function saveSettings(db: Queryable, secrets: SecretBox, input: { orgId: number; accountId: string; secretKey: string; webhookSecret: string; by: string; now: number }): Promise<void> {
  const row = {
    org_id: input.orgId,
    account_id: input.accountId,
    key_hint: `${input.secretKey.slice(0, 8)}…${input.secretKey.slice(-4)}`,
    secret_key_sealed: await secrets.seal(db, input.orgId, purpose('secret_key', input.orgId), input.secretKey),
    webhook_secret_sealed: await secrets.seal(db, input.orgId, purpose('webhook_secret', input.orgId), input.webhookSecret),
    updated_by: input.by,
    updated_at: input.now,
  };
  await db('stripe_settings').insert(row).onConflict('org_id').merge();
}
