// The demo's organisation: users of every role, the Xero connection made the way an admin makes it
// (our certificate uploaded to the emulator's developer portal as a private app, then the CLI's
// saveLegacyConnection, which runs the real test connection), account mappings, the payout settings
// (checked against Xero's chart as the settings page checks them), and an API token for the "till"
// that posts the day's sales over /api/v1. Runs on a booted host before the server starts.
import type { BootedHost } from '../../server/boot';
import { createOrganisation } from '../../server/domain/organisations';
import { createUser } from '../../server/auth/users';
import { createApiToken } from '../../server/auth/apiTokens';
import type { Role } from '../../server/auth/principal';
import type { PluginContext } from '../../server/plugins/contract';
import type { XeroConfig } from '../../plugins/xero/config';
import { ensureCertificate, saveLegacyConnection } from '../../plugins/xero/connection/legacy';
import { replaceMappings, type MappingEntry } from '../../plugins/xero/mappings/store';
import { getLiveConnection } from '../../plugins/xero/connection/store';
import { clientForConnection } from '../../plugins/xero/connection/clientFactory';
import { connectionDeps } from '../../plugins/xero/connection/deps';
import { fetchCatalogue } from '../../plugins/xero/mappings/catalogue';
import { XeroGateway } from '../../plugins/xero/gateway/gateway';
import { checkPayoutSettings, savePayoutSettings, type PayoutSettingKey } from '../../plugins/xero/payouts/settings';
import { ObjectSerializer, type Account } from 'xero-node';

export const DEMO_PASSWORD = 'ledgerbridge demo';
export const DEMO_ORG = 'Riverside Climbing Centre';
/** The emulator's built-in UK organisation: GBP, with the standard UK chart (090/091 bank, 200 sales). */
export const DEMO_XERO_ORG = 'Demo Company (UK)';

export interface DemoLogin {
  role: Role;
  email: string;
  password: string;
}

export interface SeededDemo {
  orgId: number;
  orgName: string;
  logins: DemoLogin[];
  /** Bearer token of the till (role staff); printed nowhere, only used to post the sales. */
  tillToken: string;
  xeroOrganisation: string;
  xeroTenantId: string;
}

const ACTOR = 'demo';

/**
 * The mappings an admin would pick on the settings page for this chart. Stripe and GoCardless money has
 * no account here on purpose: it goes to the providers' clearing accounts, which the payout reconciliation
 * empties into the bank with one transfer per payout.
 */
export const DEMO_MAPPINGS: MappingEntry[] = [
  { kind: 'default_sales_account', key: '', value: '200' },
  { kind: 'default_tax', key: '', value: 'OUTPUT2' },
  { kind: 'category_account', key: 'hire', value: '260' },
  { kind: 'category_tax', key: 'hire', value: 'OUTPUT2' },
  { kind: 'method_account', key: 'card_terminal', value: '090' },
  { kind: 'method_account', key: 'cash', value: '091' },
];

/** The accountant's suspense account: the UK demo chart has none, so the demo adds one to Xero as an accountant would. */
export const DEMO_SUSPENSE = { code: '999', name: 'Suspense' } as const;

/** The payout settings an admin would save: both providers pay into the business bank account (090). */
export const DEMO_PAYOUT_SETTINGS: Partial<Record<PayoutSettingKey, string>> = {
  'bank_account:stripe': '090',
  'bank_account:gocardless': '090',
  fees_account: '404',
  fee_tax: 'INPUT2',
  suspense_account: DEMO_SUSPENSE.code,
  match_threshold: '85',
};

async function registerPrivateApp(xeroUrl: string, certificatePem: string): Promise<{ consumerKey: string; consumerSecret: string }> {
  // What the developer portal's "New private app" form does with the uploaded .cer file.
  const res = await fetch(`${xeroUrl}/_emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'private', name: 'Ledgerbridge demo', certificatePem, organisationName: DEMO_XERO_ORG }),
  });
  if (res.status !== 201) throw new Error(`the Xero emulator refused the private app: ${res.status} ${await res.text()}`);
  return (await res.json()) as { consumerKey: string; consumerSecret: string };
}

export async function seedDemo(host: BootedHost, xeroUrl: string): Promise<SeededDemo> {
  const db = host.deps.db;
  const org = await createOrganisation(db, { name: DEMO_ORG, baseCurrency: 'GBP', timezone: 'Europe/London' });
  const logins: DemoLogin[] = [];
  for (const role of ['admin', 'staff', 'accountant'] as const) {
    const email = `${role}@riverside.demo`;
    await createUser(db, { orgId: org.id, email, name: `Demo ${role}`, role, password: DEMO_PASSWORD });
    logins.push({ role, email, password: DEMO_PASSWORD });
  }
  const { token } = await createApiToken(db, { orgId: org.id, role: 'staff', name: 'Demo till' });

  const xero = host.deps.plugins.plugins.find((p) => p.definition.id === 'xero');
  if (!xero) throw new Error('the demo needs the Xero plugin installed');
  const ctx = xero.context as PluginContext<XeroConfig>;
  const deps = connectionDeps(ctx);
  const { certificate } = await ensureCertificate(deps, org.id, ACTOR);
  const app = await registerPrivateApp(xeroUrl, certificate.certificatePem);
  const { organisation } = await saveLegacyConnection(deps, { orgId: org.id, consumerKey: app.consumerKey, consumerSecret: app.consumerSecret, actor: ACTOR });
  await db.transaction((trx) => replaceMappings(trx, org.id, DEMO_MAPPINGS, ACTOR, ctx.clock.now()));
  await savePayoutSettingsLikeTheAdmin(ctx, org.id);

  return { orgId: org.id, orgName: org.name, logins, tillToken: token, xeroOrganisation: organisation.name, xeroTenantId: organisation.tenantId };
}

/** Add the suspense account to Xero, then save the payout settings only if Xero's chart accepts them all. */
async function savePayoutSettingsLikeTheAdmin(ctx: PluginContext<XeroConfig>, orgId: number): Promise<void> {
  const connection = await getLiveConnection(ctx.db, orgId);
  if (!connection) throw new Error('the demo organisation has no Xero connection');
  const client = await clientForConnection(connectionDeps(ctx), connection);
  // From Xero's JSON shape, as the clearing-account code builds its accounts.
  const suspense = ObjectSerializer.deserialize({ Code: DEMO_SUSPENSE.code, Name: DEMO_SUSPENSE.name, Type: 'CURRLIAB', Description: 'Money not yet explained' }, 'Account') as Account;
  await client.call((api, tenant) => api.createAccount(tenant, suspense));
  const issues = checkPayoutSettings(DEMO_PAYOUT_SETTINGS, await fetchCatalogue(new XeroGateway(client), connection.tenant_name ?? DEMO_XERO_ORG));
  if (issues.length) throw new Error(`Xero refused the demo's payout settings: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
  await ctx.db.transaction((trx) => savePayoutSettings(ctx, trx, orgId, DEMO_PAYOUT_SETTINGS, ACTOR));
}
