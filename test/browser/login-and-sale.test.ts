// The whole path a desk user takes, in a real browser against the real app (createApp over bootHost):
// log in through the form, record a sale through the form (no JavaScript needed), see it on its page.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { bootHost, type BootedHost } from '../../server/boot';
import { createApp } from '../../server/app';
import { createOrganisation } from '../../server/domain/organisations';
import { createUser } from '../../server/auth/users';
import { collectPageErrors, launchBrowser, screenshot } from '../support/browser';

const PASSWORD = 'browser test password';
let dataDir: string;
let host: BootedHost;
let server: Server;
let baseUrl: string;
let browser: Browser;

before(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'lb-browser-'));
  host = await bootHost({ env: { NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'silent' }, plugins: [] });
  const org = await createOrganisation(host.deps.db, { name: 'Riverside Climbing', baseCurrency: 'GBP' });
  await createUser(host.deps.db, { orgId: org.id, email: 'desk@example.com', name: 'Sam at the desk', role: 'staff', password: PASSWORD });
  await createUser(host.deps.db, { orgId: org.id, email: 'owner@example.com', name: 'Owner', role: 'admin', password: PASSWORD });
  server = createApp(host.deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await host?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

test('log in, record a sale through the form, see it on the sale page', async () => {
  const page = await browser.newPage();
  const pageErrors = collectPageErrors(page);

  await page.goto(`${baseUrl}/sales/new`);
  assert.match(page.url(), /\/login\?next=%2Fsales%2Fnew$/, 'a protected page sends us to log in');
  await page.getByLabel('Email').fill('desk@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${baseUrl}/sales/new`);

  await page.getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await page.getByLabel('Email (optional)').fill('grace@example.com');
  await page.getByLabel('Line 1 description').fill('Day pass');
  await page.getByLabel('Line 1 unit price').fill('14.50');
  await page.getByLabel('Line 2 description').fill('Shoe hire');
  await page.getByLabel('Line 2 quantity').fill('2');
  await page.getByLabel('Line 2 unit price').fill('3.25');
  await page.getByLabel('Method').selectOption('card_terminal');
  await page.getByLabel('Amount').fill('21.00');
  await page.getByRole('button', { name: 'Record sale' }).click();
  await page.waitForURL(/\/sales\/\d+$/);

  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sale 1');
  assert.equal((await page.getByTestId('sale-total').textContent())?.trim(), '21.00 GBP');
  assert.match((await page.getByTestId('sale-customer').textContent()) ?? '', /Grace Hopper/);
  assert.ok(await page.getByRole('cell', { name: 'Shoe hire' }).isVisible());
  assert.match((await page.getByRole('status').textContent()) ?? '', /recorded: 21.00 GBP/);
  // The stylesheet applied (same-origin CSS allowed by the CSP): the header is the brand colour.
  // Runs in the page; the project's TypeScript has no DOM typings, hence the cast.
  type StyleWindow = { getComputedStyle(el: unknown): { backgroundColor: string } };
  const headerColour = await page.locator('.site-header').evaluate((el) => (globalThis as unknown as StyleWindow).getComputedStyle(el).backgroundColor);
  assert.equal(headerColour, 'rgb(11, 92, 173)');

  await screenshot(page, 'login-and-sale');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');

  const row = await host.deps.db('sales').where({ id: 1 }).first();
  assert.equal(Number(row.total_minor), 2100);
  await page.close();
});
