// GoCardless in the demo: the GoCardless emulator in the demo's process (4020 preferred; its seeded
// creditor "Demo Gym Ltd", VAT on fees), the organisation's GoCardless settings saved as the settings page
// saves them (the token tested with GET /creditors, token and endpoint secret sealed by the plugin's
// store), a webhook endpoint for our /webhooks/gocardless, and the Direct Debit side of the day: a
// mandate and a payment per sale (metadata ledgerbridge_sale_id), then days of GoCardless's clock so the
// payments are confirmed, paid out and the payout paid.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { createGoCardlessEmulator, type GoCardlessEmulator } from '../../emulators/gocardless/app';
import type { BootedHost } from '../../server/boot';
import { GoCardlessClient } from '../../plugins/gocardless/client';
import { gocardlessSettings } from '../../plugins/gocardless/settings';
import { listenPreferring } from './ports';

const DAY_MS = 86_400_000;

export interface RunningGoCardless {
  url: string;
  accessToken: string;
  client: GoCardlessClient;
  /** Resolves once every webhook sent so far has been answered, or after `timeoutMs` (a refused one is retried for minutes). */
  webhooksSettled(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export async function startGoCardlessEmulator(): Promise<RunningGoCardless> {
  // Time moves on its own (an emulated second per second) and is applied every second, as
  // `npm run emulator:gocardless` does; the demo moves it on by days with the control API.
  const emulator: GoCardlessEmulator = createGoCardlessEmulator({ tickEveryMs: 1000 });
  const server: Server = createServer(emulator.app);
  const port = await listenPreferring(server, 4020);
  const url = `http://127.0.0.1:${port}`;
  const accessToken = emulator.accessToken;
  if (!accessToken) throw new Error('the GoCardless emulator seeded no creditor');
  return {
    url,
    accessToken,
    client: new GoCardlessClient({ baseUrl: url, accessToken }),
    webhooksSettled: async (timeoutMs = 30_000) => {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([emulator.webhooks.idle(), new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
    },
    async close() {
      await emulator.close();
      await new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      });
    },
  };
}

async function control<T>(gc: RunningGoCardless, path: string, body: unknown): Promise<T> {
  const res = await fetch(`${gc.url}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`GoCardless emulator control ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()) as T;
}

/**
 * The admin's GoCardless set-up: the token tested against GoCardless (the creditor kept), a webhook
 * endpoint made with a fresh secret, both saved sealed. Returns the creditor's name and id.
 */
export async function configureDemoGoCardless(host: BootedHost, orgId: number, gc: RunningGoCardless, webhookBase: string): Promise<{ id: string; name: string }> {
  const plugin = host.deps.plugins.plugins.find((p) => p.definition.id === 'gocardless');
  if (!plugin) throw new Error('the demo needs the GoCardless plugin installed');
  const creditor = await gc.client.creditor();
  const webhookSecret = randomBytes(24).toString('base64url');
  await control(gc, '/webhook_endpoints', { url: `${webhookBase}/webhooks/gocardless`, secret: webhookSecret, creditor: creditor.id });
  await host.deps.db.transaction((trx) =>
    gocardlessSettings.save(trx, plugin.context.secrets, {
      orgId, secrets: { accessToken: gc.accessToken, webhookSecret }, facts: { creditorId: creditor.id, creditorName: creditor.name }, by: 'demo', now: Date.now(),
    }),
  );
  return { id: creditor.id, name: creditor.name };
}

/** A member's Direct Debit: a mandate (made in the emulator, as the member's sign-up would) and a payment naming our sale. */
export async function collectForSale(gc: RunningGoCardless, sale: { id: number; amountMinor: number; name: string; email: string | null; description: string }, key: string): Promise<string> {
  const [given, ...family] = sale.name.split(' ');
  const { mandate } = await control<{ mandate: { id: string } }>(gc, '/mandates', {
    customer: { given_name: given, family_name: family.join(' ') || given, email: sale.email ?? `${key}@members.invalid` },
  });
  const payment = await gc.client.createPayment({
    amount: sale.amountMinor, currency: 'GBP', mandate: mandate.id, description: sale.description,
    metadata: { ledgerbridge_sale_id: String(sale.id) },
  }, key);
  return payment.id;
}

/** GoCardless's clock forward: payments are submitted, confirmed and paid out, the payout paid. */
export async function advanceGoCardlessDays(gc: RunningGoCardless, days: number): Promise<void> {
  await control(gc, '/clock/advance', { ms: days * DAY_MS });
  await gc.webhooksSettled();
}

export async function paidGoCardlessPayouts(gc: RunningGoCardless): Promise<{ id: string; amount: number }[]> {
  return (await gc.client.allPayouts({ status: 'paid' })).map((p) => ({ id: p.id, amount: p.amount }));
}
