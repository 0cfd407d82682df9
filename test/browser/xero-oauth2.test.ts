// "Connect to Xero" as an admin does it, in headless Chromium: log in, click Connect to Xero, log in on
// Xero's (the emulator's) page, tick two organisations, allow, pick one on our page → "Connected to <org>"
// with the granted scopes. The app is served as http://localhost:<port> and the emulator as
// http://127.0.0.1:<port>: two sites, so the redirect back must carry our SameSite=Lax session cookie and
// the CSP must let the form post lead to another origin.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import type { Server as HttpServer } from 'node:http';
import request from 'supertest';
import type { Browser } from 'playwright-core';
import { launchBrowser, screenshot, seriousAxeViolations } from '../support/browser';
import { PASSWORD, bootXeroApp, seedOrg, startXeroEmulator, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../support/xero';
import { getLiveConnection } from '../../plugins/xero/connection/store';

let xero: RunningEmulator;
let x: XeroTestApp;
let server: HttpServer;
let siteUrl: string;
let org: SeededOrg;
let browser: Browser;

/** A free loopback port, so PUBLIC_URL (and with it the redirect URI) is known before the app boots. */
async function freePort(): Promise<number> {
  const probe: Server = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

before(async () => {
  xero = await startXeroEmulator();
  const port = await freePort();
  siteUrl = `http://localhost:${port}`;
  const created = await request(xero.url)
    .post('/_emulator/apps')
    .send({ type: 'oauth2', name: 'Ledgerbridge', redirectUris: [`${siteUrl}/plugins/xero/oauth2/callback`] })
    .expect(201);
  x = await bootXeroApp('sqlite', {
    emulatorUrl: xero.url,
    env: { PUBLIC_URL: siteUrl, XERO_CLIENT_ID: created.body.clientId, XERO_CLIENT_SECRET: created.body.clientSecret },
  });
  org = await seedOrg(x.host.deps.db, 'Riverside Climbing');
  server = x.app.listen(port, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await x?.close();
  await xero?.close();
});

test('OAuth2: Connect to Xero, log in at Xero, allow two organisations, pick one → connected with the granted scopes', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  // Our pages must be clean; the emulator's pages have no favicon (Chromium's 404 for it is Xero's business).
  const pageErrors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.location().url.startsWith(xero.url)) pageErrors.push(`${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const [uk, us] = xero.emulator.accounting.listTenants();
  assert.ok(uk && us);

  await page.goto(`${siteUrl}/plugins/xero/connection`);
  await page.getByLabel('Email').fill(org.emails.admin);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${siteUrl}/plugins/xero/connection`);

  // Off to Xero: its login page, then the consent page with every organisation as a checkbox.
  await page.getByRole('button', { name: 'Connect to Xero' }).click();
  await page.waitForURL(`${xero.url}/connect/authorize?**`);
  // Xero's pages as the emulator serves them meet the same basics as ours (the consent header was 2.4:1).
  assert.deepEqual(await seriousAxeViolations(page), [], 'the Xero login page passes axe');
  await page.locator('#email').fill('demo@ledgerbridge.test');
  await page.locator('#password').fill('demo-password');
  await page.locator('#login').click();
  await page.locator('#allow').waitFor();
  assert.deepEqual(await seriousAxeViolations(page), [], 'the Xero consent page passes axe');
  await page.locator(`#tenant-${uk.tenantId}`).check();
  await page.locator(`#tenant-${us.tenantId}`).check();
  await page.locator('#allow').click();

  // Back on our side: two organisations were allowed, so we ask which one.
  await page.waitForURL(`${siteUrl}/plugins/xero/oauth2/tenants`);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Choose the Xero organisation');
  await page.getByLabel(us.name).check();
  await page.getByRole('button', { name: 'Use this organisation' }).click();

  await page.waitForURL(`${siteUrl}/plugins/xero/connection`);
  assert.equal(await page.getByRole('heading', { level: 2, name: `Connected to ${us.name}` }).count(), 1);
  assert.match((await page.getByRole('status').textContent()) ?? '', new RegExp(`Connected to ${us.name.replace(/[()]/g, '\\$&')}`));
  assert.match((await page.getByTestId('connection-mode').textContent()) ?? '', /OAuth2/);
  const scopes = (await page.getByTestId('connection-scopes').textContent()) ?? '';
  for (const scope of ['accounting.invoices', 'accounting.payments', 'accounting.banktransactions', 'accounting.contacts', 'accounting.settings.read', 'accounting.attachments', 'offline_access']) {
    assert.ok(scopes.includes(scope), `shows the granted scope ${scope}`);
  }

  assert.match((await page.getByTestId('rate-headroom').textContent()) ?? '', /calls left this minute/);

  const row = await getLiveConnection(x.host.deps.db, org.orgId);
  assert.equal(row?.status, 'connected');
  assert.equal(row?.tenant_id, us.tenantId);

  await screenshot(page, 'xero-oauth2');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await context.close();
});
