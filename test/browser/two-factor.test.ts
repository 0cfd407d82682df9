// Two-factor login in headless Chromium, on a desktop window and at a 390-px phone width, the way a person
// without a QR scanner does it: follow "Two-factor login" in the header, start the set-up, read the key
// printed for manual entry, compute the code as an authenticator app would (otpauth), confirm, see the ten
// recovery codes; log out; the password now leads to the code form, where a wrong code is refused with a
// message and the right one logs in. Every control has a label, nothing is wider than the window, the QR
// code image loads under the CSP, no console errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Secret, TOTP } from 'otpauth';
import type { Browser } from 'playwright-core';
import { checkPage, collectPageErrors, launchBrowser, screenshot, VIEWPORTS } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';
import { createOrganisation } from '../../server/domain/organisations';
import { createUser } from '../../server/auth/users';

const PASSWORD = 'browser two factor password';

let app: TestApp;
let browser: Browser;
let orgId: number;

before(async () => {
  app = await startTestApp({ kind: 'sqlite' });
  orgId = (await createOrganisation(app.host.deps.db, { name: 'Riverside Climbing' })).id;
  // An admin exists, or /login would send us to first-run setup.
  await createUser(app.host.deps.db, { orgId, email: 'owner@example.com', name: 'Owner', role: 'admin', password: PASSWORD });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await app?.close();
});

/** What an authenticator app shows for this key, `stepsAhead` periods from now. */
const appCode = (key: string, stepsAhead = 0): string =>
  new TOTP({ secret: Secret.fromBase32(key), algorithm: 'SHA1', digits: 6, period: 30 }).generate({ timestamp: Date.now() + stepsAhead * 30_000 });

describe('two-factor login in the browser', () => {
  for (const viewport of VIEWPORTS) {
    test(`${viewport.label} (${viewport.width} px): enrol from the typed key, log out, log back in with a code`, async () => {
      const email = `climber-${viewport.label}@example.com`;
      await createUser(app.host.deps.db, { orgId, email, name: `Climber ${viewport.label}`, role: 'staff', password: PASSWORD });
      const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors = collectPageErrors(page);
      const logIn = async () => {
        await page.goto(`${app.baseUrl}/login`);
        await page.getByLabel('Email').fill(email);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
      };

      await logIn();
      await page.waitForURL(`${app.baseUrl}/`);
      await page.getByRole('link', { name: 'Two-factor login' }).click();
      await page.waitForURL(`${app.baseUrl}/account/two-factor`);
      assert.match((await page.getByTestId('two-factor-status').textContent()) ?? '', /password alone/);
      await checkPage(page, 'off');

      await page.getByRole('button', { name: 'Set up two-factor login' }).click();
      await page.waitForURL(`${app.baseUrl}/account/two-factor`);
      const qr = page.getByRole('img', { name: /QR code that adds Ledgerbridge/ });
      assert.ok(await qr.isVisible());
      // Runs in the page; the project's TypeScript has no DOM typings, hence the cast. Waits for the image to decode.
      type LoadedImage = { decode(): Promise<void>; naturalWidth: number };
      const qrWidth = await qr.evaluate((img) => (img as unknown as LoadedImage).decode().then(() => (img as unknown as LoadedImage).naturalWidth));
      assert.equal(qrWidth, 200, 'the QR code image loaded (data: images are allowed by the CSP)');
      const key = ((await page.getByTestId('totp-secret').textContent()) ?? '').replace(/\s+/g, '');
      assert.match(key, /^[A-Z2-7]{32}$/, 'the key for manual entry is on the page');
      await checkPage(page, 'setting up');
      await screenshot(page, `two-factor-setup-${viewport.label}`);

      await page.getByLabel('6-digit code the app shows').fill(appCode(key));
      await page.getByRole('button', { name: 'Turn on two-factor login' }).click();
      await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
      const codes = await page.getByTestId('recovery-codes').locator('li').allTextContents();
      assert.equal(codes.length, 10);
      for (const code of codes) assert.match(code.trim(), /^[0-9a-z]{4}(-[0-9a-z]{4}){3}$/);
      assert.match((await page.getByTestId('two-factor-status').textContent()) ?? '', /on since .*10 of 10 recovery codes left/);
      await checkPage(page, 'recovery codes');
      await screenshot(page, `two-factor-recovery-codes-${viewport.label}`);

      await page.getByRole('button', { name: 'Log out' }).click();
      await page.waitForURL(/\/login$/);
      await logIn();
      await page.waitForURL(`${app.baseUrl}/login/two-factor`);
      await checkPage(page, 'code form');
      const codeField = page.getByLabel('Code from your app');
      assert.equal(await codeField.getAttribute('autocomplete'), 'one-time-code');
      assert.equal(await codeField.getAttribute('inputmode'), 'numeric');

      const right = appCode(key, 1); // the code enrolment used is spent: the app's next one
      const wrong = String((Number(right) + 500_000) % 1_000_000).padStart(6, '0');
      await codeField.fill(wrong);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.getByRole('alert').getByText(/The code is not right/).waitFor();
      assert.equal(await page.getByLabel('Code from your app').getAttribute('aria-invalid'), 'true');
      await checkPage(page, 'wrong code');
      await screenshot(page, `two-factor-login-refused-${viewport.label}`);

      await page.getByLabel('Code from your app').fill(right);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${app.baseUrl}/`);
      assert.ok(await page.getByRole('button', { name: 'Log out' }).isVisible(), 'logged in');

      // Chromium logs the refused code's 401 and the failed first confirm's status as failed resources; those answers are the point.
      assert.deepEqual(pageErrors.filter((e) => !/status of 401/.test(e)), [], 'no other console errors or CSP violations');
      await context.close();
    });
  }
});
