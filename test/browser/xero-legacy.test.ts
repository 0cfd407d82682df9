// The legacy private-app connection as an admin does it, in headless Chromium: log in, open the Xero
// connection page, download the X509 certificate, create a private app with that file in the (emulated)
// Xero developer portal, copy its consumer key and secret back, Save → "Connected to Demo Company (UK)".
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshot } from '../support/browser';
import { PASSWORD, bootXeroApp, listenApp, seedOrg, startXeroEmulator, type RunningEmulator, type SeededOrg, type XeroTestApp } from '../support/xero';

let xero: RunningEmulator;
let x: XeroTestApp;
let site: { url: string; close(): Promise<void> };
let org: SeededOrg;
let browser: Browser;
let downloads: string;

before(async () => {
  xero = await startXeroEmulator();
  x = await bootXeroApp('sqlite', { emulatorUrl: xero.url });
  org = await seedOrg(x.host.deps.db, 'Riverside Climbing');
  site = await listenApp(x.app);
  browser = await launchBrowser();
  downloads = mkdtempSync(join(tmpdir(), 'lb-downloads-'));
});

after(async () => {
  await browser?.close();
  await site?.close();
  await x?.close();
  await xero?.close();
  rmSync(downloads, { recursive: true, force: true });
});

test('legacy private app: download the certificate, create the app in the Xero portal, paste, Save → connected', async () => {
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);

  await page.goto(`${site.url}/plugins/xero/connection`);
  await page.getByLabel('Email').fill(org.emails.admin);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${site.url}/plugins/xero/connection`);
  assert.equal(await page.getByRole('heading', { level: 2, name: 'Not connected to Xero' }).count(), 1);

  // Step 1: the certificate, as a file download.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download X509 certificate' }).click()]);
  assert.equal(download.suggestedFilename(), 'ledgerbridge-riverside-climbing.cer');
  const certificateFile = join(downloads, download.suggestedFilename());
  await download.saveAs(certificateFile);
  assert.match(readFileSync(certificateFile, 'utf8'), /^-----BEGIN CERTIFICATE-----/);

  // Step 2: Xero's developer portal (the emulator's): New private app, upload the .cer file.
  const portal = await context.newPage();
  await portal.goto(`${xero.url}/portal`);
  await portal.locator('#new-private-app').click();
  await portal.locator('#app-name').fill('Ledgerbridge');
  await portal.locator('#organisation').selectOption({ label: 'Demo Company (UK)' });
  await portal.locator('#certificate-file').setInputFiles(certificateFile);
  await portal.locator('#create-app').click();
  // Step 3: copy the consumer key and secret from the app's page.
  const consumerKey = (await portal.locator('#consumer-key').textContent())?.trim() ?? '';
  const consumerSecret = (await portal.locator('#consumer-secret').textContent())?.trim() ?? '';
  assert.match(consumerKey, /^[A-Z0-9]{30}$/);
  assert.match(consumerSecret, /^[A-Z0-9]{30}$/);
  await portal.close();

  // Step 4: paste them and Save: the test connection runs, then the page says who we are connected to.
  await page.bringToFront();
  await page.getByLabel('Consumer key', { exact: true }).fill(consumerKey);
  await page.getByLabel('Consumer secret', { exact: true }).fill(consumerSecret);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.waitForURL(`${site.url}/plugins/xero/connection`);
  await page.getByRole('heading', { level: 2, name: 'Connected to Demo Company (UK)' }).waitFor();
  assert.match((await page.getByRole('status').textContent()) ?? '', /Connected to Demo Company \(UK\): the test connection passed/);
  assert.equal((await page.getByTestId('connection-mode').textContent())?.trim(), 'Legacy private app (OAuth 1.0a)');
  assert.equal(await page.getByLabel('Consumer secret', { exact: true }).inputValue(), '', 'the secret is not put back into the form');
  assert.equal((await page.content()).includes(consumerSecret), false, 'the secret is nowhere on the page');

  await screenshot(page, 'xero-legacy');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await context.close();
});
