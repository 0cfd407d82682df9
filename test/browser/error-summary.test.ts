// Failed saves show their problems first (issue 14; GOV.UK's error-summary pattern): each main form is filled
// wrongly in headless Chromium, and the page that comes back has focus on an error summary at the top of the
// page, naming every field that is wrong by its label and linking to that field. Before, a rejected consumer
// key came back scrolled to the top showing "Connected to …", the error ~1,000 px below and focus on the body.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { Role } from '../../server/plugins/contract';
import { collectPageErrors, screenshot } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';

let saleId: number;
const world = useBrowserWorld({
  seed: async (f) => {
    saleId = (await f.sell({ currency: 'GBP', customer: { name: 'Ada' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '14.50' }] })).id;
  },
});

let page: Page;
let pageErrors: string[];

async function logInAs(role: Role): Promise<void> {
  // One page for the whole file, opened once the shared world (its own before hook) is up.
  if (!page) {
    page = await world.browser.newPage();
    pageErrors = collectPageErrors(page);
  }
  await page.context().clearCookies();
  await page.goto(`${world.site.url}/login`);
  await page.getByLabel('Email').fill(world.f.org.emails[role]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${world.site.url}/`);
}

interface Expected { label: string | RegExp; id: string }

/** Focus is on the summary, it comes before the page's heading, and it links each expected field by its label. */
async function assertSummary(what: string, expected: Expected[], heading?: RegExp): Promise<void> {
  const summary = page.getByTestId('error-summary');
  await summary.waitFor();
  assert.equal(await page.evaluate(`document.activeElement && document.activeElement.getAttribute('data-testid')`), 'error-summary', `focus is on the summary (${what})`);
  assert.equal(await page.evaluate(`document.querySelector('main').firstElementChild.getAttribute('data-testid')`), 'error-summary', `the summary is first on the page (${what})`);
  if (heading) assert.match((await summary.getByRole('heading').textContent()) ?? '', heading);
  const links = (await page.evaluate(`[...document.querySelectorAll('[data-testid=error-summary] a')].map((a) => ({ text: a.textContent.trim(), href: a.getAttribute('href') }))`)) as { text: string; href: string }[];
  for (const { label, id } of expected) {
    const link = links.find((l) => l.href === `#${id}`);
    assert.ok(link, `the summary links to #${id} (${what}): ${JSON.stringify(links)}`);
    if (typeof label === 'string') assert.ok(link.text.startsWith(`${label}: `), `"${link.text}" names the field "${label}" (${what})`);
    else assert.match(link.text, label, what);
    assert.equal(await page.locator(`#${id}`).count(), 1, `#${id} is on the page (${what})`);
  }
  await screenshot(page, `error-summary-${what}`);
}

test('new sale: no customer name, a bad currency and a line without a price', async () => {
  await logInAs('staff');
  await page.goto(`${world.site.url}/sales/new`);
  await page.getByLabel('Currency').fill('XX');
  await page.getByLabel('Line 1 description').fill('Day pass');
  await page.getByLabel('Line 1 quantity').fill('1');
  await page.getByRole('button', { name: 'Record sale' }).click();
  await assertSummary('new-sale', [{ label: 'Name', id: 'customer-name' }, { label: 'Currency', id: 'currency' }], /not recorded/);
  assert.equal(await page.getByText('The sale was not recorded', { exact: false }).count(), 1, 'said once, in the summary');
});

test('a payment on the sale page with an amount that is not money', async () => {
  await page.goto(`${world.site.url}/sales/${saleId}`);
  await page.locator('#pay-amount').fill('twelve');
  await page.getByRole('button', { name: 'Record payment' }).click();
  await assertSummary('sale-payment', [{ label: /^Amount/, id: 'pay-amount' }]);
});

test('users: a new user with a bad email; a token with no name', async () => {
  await logInAs('admin');
  await page.goto(`${world.site.url}/users`);
  await page.getByLabel('Email', { exact: true }).fill('not-an-email');
  await page.getByLabel('Name', { exact: true }).fill('Bea');
  await page.getByLabel('Password', { exact: true }).fill('a long enough password');
  await page.getByRole('button', { name: 'Add user' }).click();
  await assertSummary('new-user', [{ label: 'Email', id: 'new-email' }], /user was not created/);

  await page.getByRole('button', { name: 'Create token' }).click();
  await assertSummary('new-token', [{ label: 'What it is for', id: 'token-name' }], /No token was created/);
});

test('Xero connection: an empty consumer key and secret; then a key Xero refuses', async () => {
  await page.goto(`${world.site.url}/plugins/xero/connection`);
  const legacySave = page.locator('form[action$="/legacy/connect"]').getByRole('button', { name: 'Save' });
  await legacySave.click();
  await assertSummary('xero-legacy-empty', [{ label: 'Consumer key', id: 'consumer-key' }, { label: 'Consumer secret', id: 'consumer-secret' }]);

  await page.locator('#consumer-key').fill('NOTAREALKEYNOTAREALKEYNOTAREAL');
  await page.locator('#consumer-secret').fill('NOTAREALSECRETNOTAREALSECRET00');
  await legacySave.click();
  await assertSummary('xero-legacy-refused', [{ label: /^The test connection failed; nothing was saved\. .+/, id: 'consumer-key' }]);
});

test('Xero settings and payout settings: a due-date number and a threshold that are not numbers', async () => {
  await page.goto(`${world.site.url}/plugins/xero/settings`);
  await page.getByLabel('Due date').selectOption('days_after');
  await page.getByLabel('Number of days / day of month').fill('soon');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await assertSummary('xero-settings', [{ label: 'Number of days / day of month', id: 'due_rule_number' }], /Nothing was saved/);

  await page.goto(`${world.site.url}/plugins/xero/payouts/settings`);
  // The browser's own number check would stop the form; the server's is what is tested.
  await page.evaluate(`document.getElementById('match_threshold').type = 'text'`);
  await page.locator('#match_threshold').fill('lots');
  await page.getByRole('button', { name: 'Save payout settings' }).click();
  await assertSummary('payout-settings', [{ label: 'Auto-post threshold (%)', id: 'match_threshold' }]);
  // Refused saves answer 4xx, which the console reports; nothing else may appear there.
  assert.deepEqual(pageErrors.filter((e) => !/status of 4(09|22)/.test(e)), []);
});
