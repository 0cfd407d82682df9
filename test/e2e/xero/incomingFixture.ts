// Set-up for the "Xero → Ledgerbridge" e2e tests (issue 15): the sync fixture (the organisation pushes to
// the emulator as a private app), plus what happens on Xero's side: the accountant's own app (a custom
// connection with its own token) that records payments in Xero, and — for the webhook tests — the install's
// OAuth2 app connected to the same organisation with its webhook pointed at our /webhooks/xero.
import assert from 'node:assert/strict';
import request from 'supertest';
import { getSale } from '../../../server/domain/saleView';
import { listenApp, UK_ORG, type RunningEmulator } from '../../support/xero';
import type { DbKind } from '../../support/db';
import { startSyncFixture, type SyncFixture } from './syncFixture';

export interface IncomingFixture extends SyncFixture {
  /** The accountant's app: a bearer token of another app than ours. */
  accountant: { bearer: string };
  /** Our OAuth2 app's client id in the emulator (webhooks only). */
  webhookAppId: string | null;
  webhookKey: string | null;
  /** The app listening on a real port (where the emulator delivers webhooks; browser tests open it). */
  appUrl: string;
  saleView(saleId: number): ReturnType<typeof getSale>;
  /** The invoice id our push created for the sale. */
  invoiceIdOf(saleId: number): Promise<string>;
  payInXero(invoiceId: string, amount: number, reference: string): Promise<string>;
  deletePaymentInXero(paymentId: string): Promise<void>;
  voidInXero(invoiceId: string): Promise<void>;
  until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs?: number): Promise<T>;
}

const REDIRECT = 'http://books.test/plugins/xero/oauth2/callback';

async function installApp(emu: RunningEmulator): Promise<{ clientId: string; key: string }> {
  const app = (await request(emu.url).post('/_emulator/apps').send({ type: 'oauth2', redirectUris: [REDIRECT], name: 'Ledgerbridge' }).expect(201)).body as { clientId: string; clientSecret: string };
  const tenant = emu.emulator.accounting.listTenants().find((t) => t.name === UK_ORG)!;
  const consent = await request(emu.url).post('/_emulator/consent')
    .send({ clientId: app.clientId, redirectUri: REDIRECT, scope: 'openid offline_access accounting.transactions accounting.contacts', state: 's', tenantIds: [tenant.tenantId] })
    .expect(200);
  await request(emu.url).post('/connect/token').auth(app.clientId, app.clientSecret).type('form')
    .send({ grant_type: 'authorization_code', code: consent.body.code, redirect_uri: REDIRECT }).expect(200);
  // The portal shows the key once the webhook is saved; the URL is set again once the app listens.
  const configured = await request(emu.url).put(`/_emulator/webhooks/${app.clientId}`).send({ url: 'http://127.0.0.1:9/webhooks/xero', verify: false }).expect(200);
  return { clientId: app.clientId, key: configured.body.key as string };
}

export async function startIncomingFixture(kind: DbKind, opts: { webhooks: boolean }): Promise<IncomingFixture & { closeListener(): Promise<void> }> {
  const installed: { app?: { clientId: string; key: string } } = {};
  const f = await startSyncFixture(kind, {
    emulator: { webhooks: { batchDelayMs: 20, retryDelaysMs: [200] } },
    env: { XERO_POLL_CRON: 'off', XERO_PAYOUT_SWEEP_CRON: 'off', XERO_SYNC_COALESCE_MS: '0' },
    beforeBoot: async (emu): Promise<Record<string, string>> => {
      if (!opts.webhooks) return {};
      installed.app = await installApp(emu);
      return { XERO_WEBHOOK_KEY: installed.app.key };
    },
  });
  const listener = await listenApp(f.x.app);
  const webhook = installed.app ?? null;
  if (webhook) {
    const verified = await request(f.emu.url).put(`/_emulator/webhooks/${webhook.clientId}`).send({ url: `${listener.url}/webhooks/xero` }).expect(200);
    assert.equal(verified.body.status, 'ok', `intent to receive: ${verified.body.lastError}`);
  }
  const custom = (await request(f.emu.url).post('/_emulator/apps').send({ type: 'custom', tenantId: f.tenantId, name: 'Accountant tools' }).expect(201)).body as { clientId: string; clientSecret: string };
  const token = await request(f.emu.url).post('/connect/token').auth(custom.clientId, custom.clientSecret).type('form').send({ grant_type: 'client_credentials' }).expect(200);
  const bearer = `Bearer ${token.body.access_token as string}`;
  const db = f.x.host.deps.db;

  const fixture: IncomingFixture & { closeListener(): Promise<void> } = Object.assign(f, {
    accountant: { bearer },
    webhookAppId: webhook?.clientId ?? null,
    webhookKey: webhook?.key ?? null,
    appUrl: listener.url,
    saleView: (saleId: number) => getSale(db, f.org.orgId, saleId),
    async invoiceIdOf(saleId: number) {
      const row = await db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: saleId, record_type: 'invoice' }).first();
      assert.ok(row?.xero_id, `sale ${saleId} has an invoice in Xero`);
      return String(row.xero_id);
    },
    async payInXero(invoiceId: string, amount: number, reference: string) {
      const accounts = (await request(f.emu.url).get(`/_emulator/tenants/${f.tenantId}/accounts`).expect(200)).body.items as { Code?: string; AccountID: string }[];
      const bank = accounts.find((a) => a.Code === '090')!;
      const res = await request(f.emu.url).put('/api.xro/2.0/Payments').set('Authorization', bearer).set('Accept', 'application/json')
        .send({ Payments: [{ Invoice: { InvoiceID: invoiceId }, Account: { AccountID: bank.AccountID }, Amount: amount, Date: new Date().toISOString().slice(0, 10), Reference: reference }] });
      assert.equal(res.status, 200, res.text);
      return res.body.Payments[0].PaymentID as string;
    },
    async deletePaymentInXero(paymentId: string) {
      const res = await request(f.emu.url).post(`/api.xro/2.0/Payments/${paymentId}`).set('Authorization', bearer).set('Accept', 'application/json').send({ Payments: [{ Status: 'DELETED' }] });
      assert.equal(res.status, 200, res.text);
    },
    async voidInXero(invoiceId: string) {
      await request(f.emu.url).post(`/_emulator/tenants/${f.tenantId}/invoices/${invoiceId}/void`).expect(200);
    },
    async until<T>(what: string, check: () => Promise<T | undefined | null | false>, timeoutMs = 15_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await check();
        if (value) return value;
        if (Date.now() > deadline) {
          const items = await db('outbox').where('type', 'like', 'xero.incoming%').select('id', 'type', 'status', 'attempts', 'last_error');
          const events = await db('xero_incoming_events').select('category', 'resource_id', 'source', 'outcome');
          throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ items, events }).slice(0, 3000)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    closeListener: () => listener.close(),
  });
  const close = f.close.bind(f);
  fixture.close = async () => {
    await listener.close();
    await close();
  };
  return fixture;
}
