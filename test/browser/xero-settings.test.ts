// The admin's account & tax mapping, in headless Chromium, against a Xero organisation in the emulator:
// choose the default sales account and tax rate, map a new category to an account, Save → "Saved." and the
// choices come back selected. Then the account is archived in Xero; after "Refresh from Xero" the page
// still shows it selected (marked not available) and Save is refused with a message next to the field that
// names the account and why, and nothing is saved. Every control on the page has a label.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectPageErrors, screenshot, unlabelledControls } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';
import { loadResolvedMappings } from '../../plugins/xero/mappings/load';

const world = useBrowserWorld();

test('mapping settings: saved, then refused with a message naming the archived account, nothing saved', async () => {
  const page = await world.browser.newPage();
  const pageErrors = collectPageErrors(page);
  const settingsUrl = `${world.site.url}/plugins/xero/settings`;

  await page.goto(settingsUrl);
  await page.getByLabel('Email').fill(world.f.org.emails.admin);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(settingsUrl);
  assert.deepEqual(await unlabelledControls(page), [], 'every control on the settings page has a label');

  await page.getByLabel('Default sales account').selectOption('200');
  await page.getByLabel('Default tax rate').selectOption('OUTPUT2');
  await page.getByLabel('Add a category').fill('swim');
  await page.getByLabel('Account for the new category').selectOption('260');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.waitForURL(settingsUrl);
  await page.getByRole('status').getByText('Saved.').waitFor();
  assert.equal(await page.getByLabel('Default sales account').inputValue(), '200');
  assert.equal(await page.getByLabel('Account for swim').inputValue(), '260');
  const saved = await loadResolvedMappings(world.f.x.ctx.db, world.f.org.orgId);
  assert.equal(saved.categoryAccountCodes.swim, '260');
  assert.equal(saved.defaultSalesAccountCode, '200');

  // Someone archives account 260 in Xero; the admin refreshes the chart and saves again.
  const archived = await fetch(`${world.f.emu.url}/_emulator/tenants/${world.f.tenantId}/accounts/260?archive=true`, { method: 'DELETE' });
  assert.equal(archived.status, 200);
  await page.getByRole('button', { name: 'Refresh from Xero' }).click();
  await page.waitForURL(settingsUrl);
  const swimAccount = page.getByLabel('Account for swim');
  assert.match((await swimAccount.locator('option:checked').textContent()) ?? '', /260 \(not available in Xero\)/);
  await page.getByRole('button', { name: 'Save settings' }).click();

  await page.getByRole('alert').getByText(/Nothing was saved: one setting needs fixing/).waitFor();
  const message = (await page.locator('#category_account_0-error').textContent()) ?? '';
  assert.match(message, /^Account 260 .*archived in Xero/, `the message names the account: ${message}`);
  assert.equal(await swimAccount.getAttribute('aria-invalid'), 'true');
  assert.equal(await swimAccount.getAttribute('aria-describedby'), 'category_account_0-error', 'the message is tied to its field');
  assert.deepEqual(await loadResolvedMappings(world.f.x.ctx.db, world.f.org.orgId), saved, 'nothing was saved');

  await screenshot(page, 'xero-settings-rejected');
  // Chromium logs the refused form's 422 as a failed resource; that answer is the point of the test.
  assert.deepEqual(pageErrors.filter((e) => !/status of 422/.test(e)), [], 'no other console errors or CSP violations');
  await page.close();
});
