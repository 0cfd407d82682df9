// The admin's Stripe and GoCardless settings pages in headless Chromium, on a desktop window and at a
// 390-px phone width: a key the provider refuses is shown next to its field (tied to it) and nothing is
// saved; the right one connects ("Connected to …"); a payout the provider does not have is listed as failed
// with the provider's reason; saving again with both secret fields blank keeps the connection; Disconnect
// ends it. Every control has a label, nothing is wider than the phone's screen, no console errors.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type { Browser } from 'playwright-core';
import { checkPage, collectPageErrors, launchBrowser, screenshot, VIEWPORTS } from '../support/browser';
import { startTestApp, type TestApp } from '../support/app';
import { PASSWORD, seedOrg, type SeededOrg } from '../support/xero';
import { startHostWorkers } from '../../server/boot';
import type { OutboxWorkers } from '../../server/outbox';
import type { PluginDefinition } from '../../server/plugins/contract';
import { stripePlugin } from '../../plugins/stripe';
import { gocardlessPlugin } from '../../plugins/gocardless';
import { startEmulator as startStripeEmulator, type Running as RunningStripe } from '../../emulators/stripe/test/harness';
import { signPayload } from '../../emulators/stripe/webhooks';
import { startEmulator as startGoCardlessEmulator, type Running as RunningGoCardless } from '../../emulators/gocardless/test/helpers';

const STRIPE_SECRET = 'whsec_browserSigningSecret0123456';
const GC_SECRET = 'gc-browser-webhook-secret';

let stripe: RunningStripe;
let gc: RunningGoCardless;
let app: TestApp;
let workers: OutboxWorkers;
let browser: Browser;
const orgs: SeededOrg[] = [];

before(async () => {
  stripe = await startStripeEmulator({ account: { country: 'GB' } });
  gc = await startGoCardlessEmulator({ clockStart: Date.now() });
  app = await startTestApp({
    kind: 'sqlite',
    plugins: [stripePlugin, gocardlessPlugin] as unknown as PluginDefinition<unknown>[],
    env: { STRIPE_API_BASE: stripe.url, STRIPE_SWEEP_CRON: 'off', GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off' },
  });
  workers = startHostWorkers(app.host);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await workers?.stop();
  await app?.close();
  await gc?.close();
  await stripe?.close();
});

interface Provider {
  name: string;
  path: string;
  fields: { key: string; secret: string };
  wrongKey: string;
  refused: RegExp;
  goodKey: () => string;
  secret: string;
  connected: RegExp;
  /** A signed webhook saying a payout the provider does not have was paid. */
  unknownPayout(tag: string): { headers: Record<string, string>; body: string; payoutId: string };
}

const providers: Provider[] = [
  {
    name: 'Stripe', path: '/plugins/stripe', fields: { key: 'Secret key', secret: 'Webhook signing secret' },
    wrongKey: 'sk_test_notakeyatall123', refused: /Stripe refused this key/, goodKey: () => stripe.account.secretKey, secret: STRIPE_SECRET,
    connected: /Connected to Stripe account acct_/,
    unknownPayout(tag) {
      const payoutId = `po_browserMissing${tag}`;
      const now = Math.floor(Date.now() / 1000);
      const body = JSON.stringify({ id: `evt_browser${tag}`, object: 'event', type: 'payout.paid', created: now, data: { object: { id: payoutId, object: 'payout' } } });
      return { payoutId, body, headers: { 'Stripe-Signature': signPayload(body, STRIPE_SECRET, now) } };
    },
  },
  {
    name: 'GoCardless', path: '/plugins/gocardless', fields: { key: 'Access token', secret: 'Webhook endpoint secret' },
    wrongKey: 'wrong-token-123', refused: /GoCardless refused this access token/, goodKey: () => gc.emulator.accessToken!, secret: GC_SECRET,
    connected: /Connected to Demo Gym Ltd/,
    unknownPayout(tag) {
      const payoutId = `PO0BROWSER${tag.toUpperCase()}`;
      const body = JSON.stringify({ events: [{ id: `EV0BROWSER${tag.toUpperCase()}`, created_at: new Date().toISOString(), resource_type: 'payouts', action: 'paid', links: { payout: payoutId } }] });
      return { payoutId, body, headers: { 'Webhook-Signature': createHmac('sha256', GC_SECRET).update(body).digest('hex') } };
    },
  },
];

async function waitForFailedPayout(payoutId: string): Promise<void> {
  for (let i = 0; i < 200; i += 1) {
    const [row] = await app.host.deps.db('outbox').where('dedupe_key', 'like', `%:${payoutId}`).select('status');
    if (row?.status === 'dead') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the work for ${payoutId} did not fail`);
}

for (const provider of providers) {
  describe(`${provider.name} settings page in the browser`, () => {
    for (const viewport of VIEWPORTS) {
      test(`${viewport.label} (${viewport.width} px): refused key, connect, a failed payout shown, keep secrets blank, disconnect`, async () => {
        const org = await seedOrg(app.host.deps.db, `${provider.name} ${viewport.label} Gym`);
        orgs.push(org);
        const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
        const page = await context.newPage();
        const pageErrors = collectPageErrors(page);
        const url = `${app.baseUrl}${provider.path}`;
        await page.goto(url);
        await page.getByLabel('Email').fill(org.emails.admin);
        await page.getByLabel('Password').fill(PASSWORD);
        await page.getByRole('button', { name: 'Log in' }).click();
        await page.waitForURL(url);
        await checkPage(page, 'not connected');

        // A key the provider refuses: the message sits next to its field, tied to it; nothing is saved.
        await page.getByLabel(provider.fields.key).fill(provider.wrongKey);
        await page.getByLabel(provider.fields.secret).fill(provider.secret);
        await page.getByRole('button', { name: /save/i }).click();
        await page.getByRole('alert').getByText(/Nothing was saved/).waitFor();
        const keyInput = page.getByLabel(provider.fields.key);
        assert.equal(await keyInput.getAttribute('aria-invalid'), 'true');
        const describedBy = (await keyInput.getAttribute('aria-describedby'))!;
        assert.match((await page.locator(`#${describedBy}`).textContent()) ?? '', provider.refused);
        await checkPage(page, 'refused');

        // The right key connects.
        await page.getByLabel(provider.fields.key).fill(provider.goodKey());
        await page.getByLabel(provider.fields.secret).fill(provider.secret);
        await page.getByRole('button', { name: /save/i }).click();
        await page.waitForURL(url);
        await page.getByRole('status').waitFor();
        assert.match((await page.locator('main').textContent()) ?? '', provider.connected);

        // A payout the provider does not have: answered at once, then failed with the provider's reason.
        const hook = provider.unknownPayout(`${viewport.label}${org.orgId}`);
        const answer = await fetch(`${app.baseUrl}/webhooks/${provider.name.toLowerCase()}`, { method: 'POST', headers: { 'content-type': 'application/json', ...hook.headers }, body: hook.body });
        assert.equal(answer.status, 200, await answer.text());
        await waitForFailedPayout(hook.payoutId);
        await page.reload();
        const row = page.locator(`tr[data-payout="${hook.payoutId}"]`);
        assert.match((await row.textContent()) ?? '', /Failed/);
        await checkPage(page, 'connected, with a failed payout');
        await screenshot(page, `${provider.name.toLowerCase()}-settings-${viewport.label}`);

        // Both secret fields left blank: the connection is kept.
        assert.match((await page.locator(`label[for]`, { hasText: provider.fields.key }).textContent()) ?? '', /leave blank to keep the saved one/);
        await page.getByRole('button', { name: /save/i }).click();
        await page.waitForURL(url);
        await page.getByRole('status').waitFor();
        assert.match((await page.locator('main').textContent()) ?? '', provider.connected);

        await page.getByRole('button', { name: `Disconnect ${provider.name}` }).click();
        await page.waitForURL(url);
        await page.getByRole('status').getByText(`${provider.name} is disconnected`, { exact: false }).waitFor();
        assert.equal(await page.getByRole('button', { name: `Disconnect ${provider.name}` }).count(), 0);
        await checkPage(page, 'disconnected');

        // Chromium logs the refused form's 422 as a failed resource; that answer is the point of the test.
        assert.deepEqual(pageErrors.filter((e) => !/status of 422/.test(e)), [], 'no other console errors or CSP violations');
        await context.close();
      });
    }
  });
}
