// Role limits as people meet them, in headless Chromium: staff who open the Xero settings (a bookmark, a
// shared link) get the 403 page naming the role it needs, and the navigation never offered it; an
// accountant can read sales but has no way to record one or refund — no link, no form, and the form's
// address answers 403 too. The Xero sync log is theirs to read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { collectPageErrors, screenshot } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';

let saleId: number;
const world = useBrowserWorld({
  seed: async (f) => {
    saleId = (await f.sell({ currency: 'GBP', customer: { name: 'Ada' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '14.50' }] })).id;
  },
});

async function logInAs(page: Page, email: string, path: string): Promise<void> {
  await page.goto(`${world.site.url}${path}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
}

const forbidden = (e: string) => /status of 403/.test(e); // the 403 pages below are what is being tested

test('staff cannot open the Xero settings: the 403 page says which role it needs; the nav never offered it', async () => {
  const page = await world.browser.newPage();
  const pageErrors = collectPageErrors(page);
  await logInAs(page, world.f.org.emails.staff, '/');
  await page.waitForURL(`${world.site.url}/`);
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'Xero' }).count(), 0, 'no Xero entry for staff');

  const response = await page.goto(`${world.site.url}/plugins/xero/settings`);
  assert.equal(response?.status(), 403);
  assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Not allowed');
  assert.match((await page.locator('main').textContent()) ?? '', /This needs the admin role; you are signed in as staff\./);
  assert.equal(await page.getByRole('link', { name: 'Back to the dashboard' }).count(), 1);
  assert.equal(await page.getByRole('heading', { name: 'Organisation defaults' }).count(), 0, 'none of the settings leak');

  await screenshot(page, 'roles-staff-xero-settings-403');
  assert.deepEqual(pageErrors.filter((e) => !forbidden(e)), []);
  await page.close();
});

test('an accountant reads sales and the Xero sync log but cannot record a sale or refund one', async () => {
  const page = await world.browser.newPage();
  const pageErrors = collectPageErrors(page);
  await logInAs(page, world.f.org.emails.accountant, '/');
  await page.waitForURL(`${world.site.url}/`);
  const nav = page.getByRole('navigation', { name: 'Main' });
  assert.equal(await nav.getByRole('link', { name: 'New sale' }).count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Record a sale' }).count(), 0);

  await nav.getByRole('link', { name: 'Sales' }).click();
  await page.waitForURL(`${world.site.url}/sales`);
  await page.getByRole('link', { name: `Sale ${saleId}`, exact: true }).click();
  await page.waitForURL(`${world.site.url}/sales/${saleId}`);
  assert.equal(await page.getByRole('button', { name: 'Review refund' }).count(), 0, 'no refund form');
  assert.equal(await page.getByRole('button', { name: /Record payment/i }).count(), 0, 'no payment form');

  const response = await page.goto(`${world.site.url}/sales/new`);
  assert.equal(response?.status(), 403);
  assert.match((await page.locator('main').textContent()) ?? '', /This needs the admin or staff role; you are signed in as accountant\./);
  assert.equal(await page.getByRole('button', { name: 'Record sale' }).count(), 0);
  await screenshot(page, 'roles-accountant-new-sale-403');

  await page.goto(`${world.site.url}/`);
  await nav.getByRole('link', { name: 'Xero' }).click();
  await page.waitForURL(`${world.site.url}/plugins/xero/sync/log`);
  assert.equal(await page.getByRole('navigation', { name: 'Xero' }).getByRole('link', { name: 'Sync log' }).getAttribute('aria-current'), 'page');
  assert.deepEqual(pageErrors.filter((e) => !forbidden(e)), []);
  await page.close();
});
