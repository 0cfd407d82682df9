// The accountant's payout journey in headless Chromium, on the data path of test/e2e/payouts/xero-payout.test.ts
// (its shared fixture: known sales, refunds, matched and unmatched charges, a dispute and fees, posted to the
// Xero emulator by the real workers): the payouts list shows the payout as needing sign-off; its page shows
// the breakdown (gross, refunds, disputes, fees, net) and each line with its Xero record; the sign-off queue
// shows the waiting charge with its ranked candidates; the accountant confirms the best one; the payout then
// shows posted, with the bank transfer in Xero. Every control has a label; no console errors.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { collectPageErrors, launchBrowser, screenshot, unlabelledControls } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from '../e2e/payouts/fixture';

let f: PayoutFixture;
let browser: Browser;
let payoutId: number;
let netText: string;

before(async () => {
  f = await startPayoutFixture('sqlite', { listen: true });
  const { payout } = await seedSyntheticStripePayout(f, { known: 12, refunds: 3, unknown: 3 });
  netText = (Number(payout.amountMinor) / 100).toFixed(2);
  payoutId = (await f.x.ctx.payouts.record(f.org.orgId, payout)).payoutId;
  const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
  assert.equal(state.status, 'needs_signoff', String(state.message));
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await f?.close();
});

test('the accountant opens a payout, reads its breakdown and signs off the queued match; the payout posts', async () => {
  const page = await browser.newPage();
  const pageErrors = collectPageErrors(page);
  const listUrl = `${f.baseUrl}/plugins/xero/payouts`;
  await page.goto(listUrl);
  await page.getByLabel('Email').fill(f.org.emails.accountant);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(listUrl);

  // The list: the payout, its amount, waiting for sign-off.
  const row = page.locator(`#payouts tr[data-payout="${payoutId}"]`);
  assert.match((await row.textContent()) ?? '', new RegExp(`po_e2e_1[\\s\\S]*${netText.replace('.', '\\.')}[\\s\\S]*needs sign-off`));
  await row.getByRole('link', { name: /po_e2e_1/ }).click();
  await page.waitForURL(`${listUrl}/${payoutId}`);

  // The breakdown and the lines with their Xero records.
  const breakdown = page.locator('#payout-breakdown');
  for (const label of ['Gross (charges)', 'Refunds', 'Disputes and failures', 'Fees', 'Net paid to the bank']) {
    assert.ok(await breakdown.getByRole('rowheader', { name: label }).isVisible(), `${label} shown`);
  }
  assert.match((await breakdown.getByRole('row', { name: /Net paid to the bank/ }).textContent()) ?? '', new RegExp(netText.replace('.', '\\.')));
  const lines = page.locator('#payout-lines tbody tr');
  assert.equal(await lines.count(), 12 + 3 + 3 + 2);
  assert.ok(await page.locator('#payout-lines').getByRole('link', { name: /^payment LBP/ }).first().isVisible(), 'a matched charge links to its payment in Xero');
  assert.ok(await page.locator('#payout-lines').getByRole('link', { name: /waits for sign-off/ }).isVisible());
  assert.match((await page.locator('#payout-status').textContent()) ?? '', /needs sign-off/);

  // The sign-off queue, from the Xero sub-nav.
  await page.getByRole('link', { name: 'Sign-off queue' }).first().click();
  await page.waitForURL(`${listUrl}/signoff`);
  assert.deepEqual(await unlabelledControls(page), [], 'every control of the queue has a label');
  const queued = page.locator('section.signoff');
  assert.equal(await queued.count(), 1);
  const best = queued.getByRole('radio').first();
  assert.equal(await best.isChecked(), true, 'the best candidate is chosen by default');
  await screenshot(page, 'payout-signoff-queue');
  await queued.getByRole('button', { name: 'Match to the chosen invoice' }).click();
  await page.getByRole('status').getByText(/Match signed off/).waitFor();
  assert.equal(await page.locator('#queue-empty').isVisible(), true);

  // The payout posts: its page shows posted and the transfer in Xero.
  const state = await waitForPayout(f, payoutId, ['posted', 'failed']);
  assert.equal(state.status, 'posted', String(state.message));
  await page.goto(`${listUrl}/${payoutId}`);
  assert.match((await page.locator('#payout-status').textContent()) ?? '', /Status: posted/);
  assert.ok(await page.getByRole('link', { name: 'bank transfer in Xero' }).isVisible());
  assert.ok(await page.getByRole('link', { name: 'spend money in Xero' }).isVisible());
  await screenshot(page, 'payout-posted');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await page.close();
});
