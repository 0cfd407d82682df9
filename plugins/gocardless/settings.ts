// Per-organisation GoCardless settings (provider kit's sealed store): the access token and the webhook
// endpoint secret, sealed with the organisation's data key; the creditor the token belongs to, in clear.
import type { PluginContext } from '../../server/plugins/contract';
import { sealedSettingsStore, type SavedSettings } from '../providerKit';
import type { GoCardlessConfig } from './config';
import { GoCardlessClient } from './client';

export const gocardlessSettings = sealedSettingsStore({
  table: 'gocardless_settings',
  idColumn: 'org_id',
  secrets: { accessToken: 'access_token', webhookSecret: 'webhook_secret' },
  facts: { creditorId: 'creditor_id', creditorName: 'creditor_name' },
});

export type GoCardlessSettings = SavedSettings<'accessToken' | 'webhookSecret', 'creditorId' | 'creditorName'>;

/** The API client for an organisation (its token opened just for it), or null when it is not connected. */
export async function clientFor(ctx: PluginContext<GoCardlessConfig>, orgId: number): Promise<GoCardlessClient | null> {
  const settings = await gocardlessSettings.get(ctx.db, orgId);
  const accessToken = settings && (await gocardlessSettings.open(ctx.db, ctx.secrets, settings, 'accessToken'));
  return accessToken ? new GoCardlessClient({ baseUrl: ctx.config.apiBase, accessToken, timeoutMs: ctx.config.httpTimeoutMs }) : null;
}
