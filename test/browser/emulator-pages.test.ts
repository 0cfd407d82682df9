// The emulators' pages the demo prints (issue 14), in headless Chromium at 1280 and 390 px: Xero's books page
// (an organisation's invoices, each opening its record's page), the record's page, and the Stripe and
// GoCardless emulators' front pages. Each has labelled controls, no sideways panning and no serious or
// critical axe-core violation; screenshots go to artifacts/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { Browser } from 'playwright-core';
import type { Express } from 'express';
import { UK_TENANT_ID } from '../../emulators/xero/accounting';
import { deepLinkRouter } from '../../emulators/xero/portal/deepLinks';
import { createInvoice, harness } from '../../emulators/xero/test/accountingHarness';
import { createStripeEmulator } from '../../emulators/stripe/app';
import { createGoCardlessEmulator } from '../../emulators/gocardless/app';
import { checkPage, launchBrowser, screenshot, seriousAxeViolations, VIEWPORTS } from '../support/browser';

const servers: Server[] = [];
const listen = (app: Express): Promise<string> => new Promise((resolve) => {
  const server = app.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as { port: number }).port}`));
  servers.push(server);
});

let browser: Browser;
const stripe = createStripeEmulator();
const gocardless = createGoCardlessEmulator();
let xeroUrl = '';
let stripeUrl = '';
let gocardlessUrl = '';
let invoiceNumber = '';

before(async () => {
  const h = harness();
  h.app.use(deepLinkRouter({ records: h.accounting }));
  invoiceNumber = String((await createInvoice(h, { Reference: 'A long reference that a phone has to wrap somewhere sensible' })).InvoiceNumber);
  xeroUrl = await listen(h.app);
  stripeUrl = await listen(stripe.app);
  gocardlessUrl = await listen(gocardless.app);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const s of servers) await new Promise((r) => s.close(r));
  await stripe.close();
  await gocardless.close();
});

test('the pages the demo prints for the emulators: readable at desktop and phone widths, no serious axe violation', { timeout: 120_000 }, async () => {
  for (const vp of VIEWPORTS) {
    const page = await browser.newPage({ viewport: { width: vp.width, height: vp.height } });
    await page.goto(`${xeroUrl}/portal/organisations/${UK_TENANT_ID}`);
    assert.equal(await page.locator('h1').textContent(), 'Demo Company (UK): what is in its books');
    await checkPage(page, `Xero's books (${vp.label})`);
    assert.deepEqual(await seriousAxeViolations(page), [], `Xero's books page passes axe (${vp.label})`);
    await screenshot(page, `emulator-xero-books-${vp.label}`);
    await page.getByRole('link', { name: invoiceNumber }).click();
    assert.match((await page.locator('h1').textContent()) ?? '', new RegExp(`Invoice ${invoiceNumber}`));
    await checkPage(page, `an invoice's page (${vp.label})`);
    assert.deepEqual(await seriousAxeViolations(page), [], `the invoice's page passes axe (${vp.label})`);
    for (const [name, url] of [['stripe', stripeUrl], ['gocardless', gocardlessUrl]] as const) {
      await page.goto(url);
      assert.match((await page.locator('h1').textContent()) ?? '', /emulator$/);
      await checkPage(page, `${name} (${vp.label})`);
      assert.deepEqual(await seriousAxeViolations(page), [], `the ${name} emulator's page passes axe (${vp.label})`);
    }
    await page.close();
  }
});
