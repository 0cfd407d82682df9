// `npm run demo`: the whole product on one machine in under a minute, nothing to configure.
//   1. a fresh data folder (./data/demo, or DEMO_DATA_DIR), emptied on every run
//   2. the Xero, Stripe and GoCardless emulators in this process (Xero with an OAuth2 web app registered
//      for "Connect to Xero")
//   3. migrations and the demo organisation (seed.ts here): users of every role, the Xero private
//      app connected through the real test connection, mappings, payout settings; its Stripe and
//      GoCardless settings saved with webhook endpoints at the emulators for our /webhooks/*
//   4. our server as a child process — server/main.ts, exactly what `npm start` runs (web + workers)
//   5. a day of sales posted over /api/v1 (daySales.ts here); the card and Direct Debit sales paid
//      at Stripe and GoCardless, two card refunds, one card payment taken outside the booking system
//   6. the providers' clocks moved on five days so their payouts are made and paid; then watched until
//      the sales are in Xero and every payout is posted (or waits for the accountant's sign-off)
//   7. only then the banner: the URLs, the logins and how long it took to be ready. The server's JSON log
//      goes to a file in the data folder (the banner names it), so it never interleaves with the story.
// Ctrl-C (SIGINT) or SIGTERM stops the server (it finishes in-flight work), then the emulators; exit 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type Server } from 'node:http';
import { createXeroEmulator } from '../../emulators/xero/app';
import { bootHost } from '../../server/boot';
import { installedPlugins } from '../../plugins';
import { saleName } from '../../server/domain/saleName';
import { DEMO_PAYOUT_SETTINGS, seedDemo, type SeededDemo } from './seed';
import { dayRefunds, postDaySales, postRefund, type PostedSale } from './daySales';
import { describeTally, waitForSync } from './syncProgress';
import { freePortPreferring, listenPreferring } from './ports';
import { advanceStripeDays, chargeForSale, chargeWithoutSale, configureDemoStripe, paidStripePayouts, refundAtStripe, startStripeEmulator, type RunningStripe } from './stripe';
import { advanceGoCardlessDays, collectForSale, configureDemoGoCardless, paidGoCardlessPayouts, startGoCardlessEmulator, type RunningGoCardless } from './gocardless';
import { describePayout, Visitor, waitForPayouts } from './payoutProgress';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const DATA_DIR = process.env.DEMO_DATA_DIR ? resolve(process.env.DEMO_DATA_DIR) : join(ROOT, 'data', 'demo');
const SYNC_TIMEOUT_MS = 120_000;
/** How far the demo moves Stripe's and GoCardless's clocks: far enough for this week's payouts to be paid. */
const PROVIDER_DAYS = 5;

// The demo configures the app itself; settings from the caller's shell (a real install's DATABASE_URL,
// MASTER_KEY, Xero credentials…) must not leak into it.
const APP_SETTING = /^(NODE_ENV|PORT|HOST|PUBLIC_URL|TRUST_PROXY|LOG_LEVEL|DATA_DIR|DATABASE_.*|MASTER_KEY.*|SESSION_.*|COOKIE_.*|PROCESS_ROLE|WORKER_.*|OUTBOX_.*|LOGIN_.*|METRICS_TOKEN|XERO_.*|STRIPE_.*|GOCARDLESS_.*)$/;
const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !APP_SETTING.test(k)));

const stops: { name: string; stop: () => Promise<void> }[] = [];
let stopping = false;

async function shutdown(code: number, message?: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  if (message) console.log(message);
  for (const { name, stop } of stops.reverse()) {
    await stop().catch((err: unknown) => console.error(`Stopping ${name} failed: ${(err as Error).message}`));
  }
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0, '\nStopping the demo…'));
process.on('SIGTERM', () => void shutdown(0, 'Stopping the demo…'));

function closeServer(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

/** SIGTERM, then SIGKILL if it has not exited within 15 s (it may be finishing a Xero call). */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    child.once('exit', () => {
      clearTimeout(timer);
      done();
    });
    child.kill('SIGTERM');
  });
}

async function waitUntilUp(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || stopping) throw new Error('the server stopped while starting');
    const up = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (up) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the server did not answer ${url}/healthz within ${timeoutMs / 1000} s`);
}

async function registerOAuth2App(xeroUrl: string, redirectUri: string): Promise<{ clientId: string; clientSecret: string }> {
  const res = await fetch(`${xeroUrl}/_emulator/apps`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'oauth2', name: 'Ledgerbridge demo (OAuth2)', redirectUris: [redirectUri] }),
  });
  if (res.status !== 201) throw new Error(`the Xero emulator refused the OAuth2 app: ${res.status} ${await res.text()}`);
  return (await res.json()) as { clientId: string; clientSecret: string };
}

interface Providers {
  stripe: RunningStripe;
  stripeAccount: string;
  gocardless: RunningGoCardless;
  creditor: { id: string; name: string };
}

function banner(appUrl: string, xeroUrl: string, seeded: SeededDemo, p: Providers, ready: { seconds: number; serverLog: string; signoffWaiting: number }): string {
  const width = Math.max(...seeded.logins.map((l) => l.role.length));
  const accountant = seeded.logins.find((l) => l.role === 'accountant');
  const waiting = ready.signoffWaiting;
  return [
    '',
    `Ledgerbridge demo is ready (in ${ready.seconds} s)`,
    '',
    `  App:            ${appUrl}`,
    `  Xero emulator:  ${xeroUrl}/portal  (developer portal; Xero organisation "${seeded.xeroOrganisation}")`,
    `  Xero's books:   ${xeroUrl}/portal/organisations/${seeded.xeroTenantId}  (what the day put in Xero; JSON: ${xeroUrl}/_emulator/tenants/${seeded.xeroTenantId}/invoices)`,
    `  Stripe:         ${p.stripe.url}  (emulator; account ${p.stripeAccount}, webhooks to ${appUrl}/webhooks/stripe)`,
    `  GoCardless:     ${p.gocardless.url}  (emulator; creditor ${p.creditor.name} ${p.creditor.id}, webhooks to ${appUrl}/webhooks/gocardless)`,
    '',
    `  Log in as (organisation "${seeded.orgName}", every password is "${seeded.logins[0]?.password}"):`,
    ...seeded.logins.map((l) => `    ${l.role.padEnd(width)}  ${l.email}`),
    '',
    `  For the accountant${accountant ? ` (${accountant.email})` : ''}:`,
    `    Payouts:        ${appUrl}/plugins/xero/payouts  (each payout's breakdown and its Xero records; CSV export)`,
    `    Sign-off queue: ${appUrl}/plugins/xero/payouts/signoff  (${waiting ? `${waiting} payout${waiting === 1 ? '' : 's'} waiting: a charge that names no sale, whose best invoice scored below ${DEMO_PAYOUT_SETTINGS.match_threshold} %` : 'nothing waiting'})`,
    '',
    `  Data: ${DATA_DIR} (emptied on every run)`,
    `  Server log: ${ready.serverLog}`,
    '',
    `Open ${appUrl} and log in. Press Ctrl-C to stop.`,
  ].join('\n');
}

/** Until GET /api/v1/sales/:id shows the payment with this provider reference (its webhook was handled). */
async function waitForPayment(appUrl: string, token: string, saleId: number, providerRef: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${appUrl}/api/v1/sales/${saleId}`, { headers: { authorization: `Bearer ${token}` } });
    const sale = (await res.json()) as { reference?: string | null; payments?: { providerRef: string | null }[] };
    if (sale.payments?.some((p) => p.providerRef === providerRef)) return;
    if (stopping || Date.now() > deadline) {
      throw new Error(`the payment ${providerRef} did not reach ${saleName({ id: saleId, reference: sale.reference ?? null })} within ${timeoutMs / 1000} s (its webhook)`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The day at the payment providers: card sales paid at Stripe and Direct Debits at GoCardless (their
 * webhooks record the payments on the sales), two card sales refunded at Stripe and in the app, then
 * GoCardless's clock moved on: the Direct Debits are confirmed and paid out, the payout paid.
 */
async function providersDay(appUrl: string, token: string, run: string, sales: PostedSale[], p: Providers): Promise<void> {
  const byMethod = (m: PostedSale['method']) => sales.filter((s) => s.method === m);
  const charges = new Map<number, string>();
  for (const sale of byMethod('stripe')) {
    const { chargeId } = await chargeForSale(p.stripe, { id: sale.id, saleName: saleName(sale), amountMinor: sale.amountMinor, email: sale.customer.email, description: `${sale.reference} ${sale.description}` }, `demo-${run}-charge-${sale.id}`);
    charges.set(sale.id, chargeId);
  }
  const debits = new Map<number, string>();
  for (const sale of byMethod('gocardless')) {
    debits.set(sale.id, await collectForSale(p.gocardless, { id: sale.id, amountMinor: sale.amountMinor, name: sale.customer.name, email: sale.customer.email, description: sale.description }, `demo-${run}-dd-${sale.id}`));
  }
  // A refund needs the payment on its sale first (nothing is outstanding to refund otherwise).
  for (const [saleId, chargeId] of charges) await waitForPayment(appUrl, token, saleId, chargeId);
  for (const refund of dayRefunds(sales)) {
    const chargeId = charges.get(refund.saleId);
    if (!chargeId) throw new Error(`the demo refunds ${refund.saleName}, which was not paid at Stripe`);
    await postRefund(appUrl, token, run, refund, await refundAtStripe(p.stripe, chargeId, refund.amountMinor, `demo-${run}-refund-${refund.saleId}`));
  }
  console.log(`Paid at Stripe: ${charges.size} card sales (${dayRefunds(sales).length} refunded); at GoCardless: ${debits.size} Direct Debits. Moving both providers' clocks on ${PROVIDER_DAYS} days…`);
  await advanceGoCardlessDays(p.gocardless, PROVIDER_DAYS);
  // GoCardless's events only queue work: wait until the confirmed payments are on their sales.
  for (const [saleId, paymentId] of debits) await waitForPayment(appUrl, token, saleId, paymentId);
}

/**
 * Stripe's days: the day after, the party is paid for over the phone in Stripe's dashboard (nothing
 * names our sale); it falls in the next day's payout, so the first payout posts by itself and the second
 * waits for the accountant's sign-off. Returns the ids of every payout the providers have paid.
 */
async function stripeDays(run: string, sales: PostedSale[], p: Providers): Promise<string[]> {
  await advanceStripeDays(p.stripe, 1);
  for (const sale of sales.filter((s) => s.method === 'phone')) await chargeWithoutSale(p.stripe, sale.amountMinor, 'Card payment taken by phone', `demo-${run}-phone-${sale.id}`);
  await advanceStripeDays(p.stripe, PROVIDER_DAYS - 1);
  return [...(await paidStripePayouts(p.stripe)), ...(await paidGoCardlessPayouts(p.gocardless))].map((x) => x.id);
}

async function main(): Promise<void> {
  const startedAt = performance.now();
  if (!isAbsolute(DATA_DIR) || DATA_DIR === '/' || DATA_DIR === ROOT) throw new Error(`refusing to empty ${DATA_DIR}`);
  rmSync(DATA_DIR, { recursive: true, force: true });
  mkdirSync(DATA_DIR, { recursive: true });

  // The Xero emulator, in this process (memory only: every run starts from Xero's demo organisations).
  const xero = createXeroEmulator({});
  const xeroServer = createServer(xero.app);
  stops.push({ name: 'the Xero emulator', stop: async () => { await closeServer(xeroServer); await xero.close(); } });
  const xeroUrl = `http://127.0.0.1:${await listenPreferring(xeroServer, 4010)}`;

  // Stripe and GoCardless, in this process too (memory only).
  const stripe = await startStripeEmulator();
  stops.push({ name: 'the Stripe emulator', stop: () => stripe.close() });
  const gocardless = await startGoCardlessEmulator();
  stops.push({ name: 'the GoCardless emulator', stop: () => gocardless.close() });

  const appPort = await freePortPreferring(3000);
  const appUrl = `http://localhost:${appPort}`;
  // Where the emulators deliver webhooks: the address the server listens on (HOST below).
  const webhookBase = `http://127.0.0.1:${appPort}`;
  const oauth2 = await registerOAuth2App(xeroUrl, `${appUrl}/plugins/xero/oauth2/callback`);
  const env: Record<string, string | undefined> = {
    ...baseEnv,
    NODE_ENV: 'development',
    LOG_LEVEL: process.env.DEMO_LOG_LEVEL ?? 'warn',
    PORT: String(appPort),
    HOST: '127.0.0.1',
    PUBLIC_URL: appUrl,
    DATA_DIR,
    DATABASE_URL: `sqlite://${join(DATA_DIR, 'ledgerbridge.sqlite')}`,
    OUTBOX_POLL_MS: '1000',
    XERO_API_URL: xeroUrl,
    XERO_APP_URL: xeroUrl, // links to records in Xero open the emulator's pages
    XERO_IDENTITY_URL: xeroUrl,
    XERO_CLIENT_ID: oauth2.clientId,
    XERO_CLIENT_SECRET: oauth2.clientSecret,
    STRIPE_API_BASE: stripe.url,
    GOCARDLESS_API_BASE: gocardless.url,
  };

  // Migrate and seed here (the master key and session secret are created in DATA_DIR), then let go of
  // the database before the server opens it.
  const host = await bootHost({ plugins: installedPlugins, env });
  let seeded: SeededDemo;
  let providers: Providers;
  try {
    seeded = await seedDemo(host, xeroUrl);
    providers = {
      stripe, gocardless,
      stripeAccount: await configureDemoStripe(host, seeded.orgId, stripe, webhookBase),
      creditor: await configureDemoGoCardless(host, seeded.orgId, gocardless, webhookBase),
    };
  } finally {
    await host.close();
  }
  if (stopping) return;

  // Our server, as `npm start` runs it: web and outbox workers in one process. Its JSON log goes to a file
  // (the child keeps its own copy of the descriptor), not into the demo's story on this terminal.
  const serverLog = join(DATA_DIR, 'server.log');
  const logFd = openSync(serverLog, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'server', 'main.ts')], {
    cwd: ROOT, env: { ...env, PROCESS_ROLE: 'all' }, stdio: ['ignore', logFd, logFd],
  });
  closeSync(logFd);
  stops.push({ name: 'the server', stop: () => stopChild(child) });
  child.once('exit', (code, signal) => {
    if (!stopping) void shutdown(1, `The server stopped unexpectedly (${signal ?? `exit code ${code}`}); its log is ${serverLog}. Stopping the demo.`);
  });
  console.log(`Starting the app at ${appUrl} (its log: ${serverLog}) with local Xero, Stripe and GoCardless…`);
  await waitUntilUp(appUrl, child);
  if (stopping) return;

  console.log('Recording a day of sales through the API (/api/v1, as a booking system would)…');
  const run = Date.now().toString(36);
  const sales = await postDaySales(appUrl, seeded.tillToken, run);
  console.log(`Recorded ${sales.length} sales (${sales.filter((x) => x.method === 'card_terminal' || x.method === 'cash').length} paid at the till).`);
  await providersDay(appUrl, seeded.tillToken, run, sales, providers);
  if (stopping) return;

  // The day in Xero before Stripe's payouts: their matching reads the open invoices, which should be the
  // day's real ones (not a Direct Debit's invoice still waiting for its payment to be synced).
  const result = await waitForSync(appUrl, seeded.tillToken, sales.map((x) => x.id), { timeoutMs: SYNC_TIMEOUT_MS, stopped: () => stopping });
  if (stopping) return;
  if (result.settled && result.failed.length === 0) console.log(`Synced to Xero: ${describeTally(result.synced)}.`);
  else {
    console.log(`In Xero so far: ${describeTally(result.synced)}; ${result.pending} still on the way.`);
    for (const line of result.failed) console.log(`  not synced: ${line}`);
  }
  const payoutIds = await stripeDays(run, sales, providers);
  if (stopping) return;

  // What the accountant sees: the payouts list, read through the accountant's own login.
  const accountant = seeded.logins.find((l) => l.role === 'accountant')!;
  const visitor = new Visitor(appUrl);
  await visitor.logIn(accountant.email, accountant.password);
  const payouts = await waitForPayouts(visitor, payoutIds, { timeoutMs: SYNC_TIMEOUT_MS, stopped: () => stopping });
  if (stopping) return;
  console.log(payouts.settled ? `Payouts in Xero (${payouts.rows.length}):` : `Payouts so far (${payouts.rows.length} of ${payoutIds.length}; the rest still on the way):`);
  for (const row of payouts.rows) console.log(`  ${describePayout(row)}`);
  const waiting = payouts.rows.filter((r) => r.status === 'needs sign-off').length;
  // Ready: everything the banner points at is there to see.
  const seconds = Math.round((performance.now() - startedAt) / 1000);
  console.log(banner(appUrl, xeroUrl, seeded, providers, { seconds, serverLog, signoffWaiting: waiting }));
}

main().catch((err: unknown) => {
  if (stopping) return;
  console.error(`The demo could not start: ${(err as Error).stack ?? String(err)}`);
  void shutdown(1);
});
