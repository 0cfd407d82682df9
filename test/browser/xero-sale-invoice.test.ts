// The desk, in headless Chromium, with the Xero plugin connected to the emulator (mappings set) and outbox
// workers running: staff record a sale through the form and watch "Invoice LB-… in Xero" appear on the sale
// page without reloading it (public/sale-live.js polling /sales/:id/sync.json); then a refund, and its
// credit note appears the same way. Workers are held while each page loads, so what appears can only have
// come through the live update, and a marker on `window` proves the page was never reloaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectPageErrors, screenshot } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';

const world = useBrowserWorld();

type MarkedWindow = { liveMarker?: string };
const setMarker = (value: string) => { (globalThis as unknown as MarkedWindow).liveMarker = value; };
const readMarker = () => (globalThis as unknown as MarkedWindow).liveMarker ?? null;

test('staff record a sale and see its Xero invoice appear without reloading; a refund shows its credit note', async () => {
  const page = await world.browser.newPage();
  const pageErrors = collectPageErrors(page);
  const summary = page.getByTestId('sync-summary');

  await page.goto(`${world.site.url}/sales/new`);
  await page.getByLabel('Email').fill(world.f.org.emails.staff);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${world.site.url}/sales/new`);

  await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
  await page.getByLabel('Email (optional)').fill('ada@example.com');
  await page.getByLabel('Line 1 description').fill('Climbing day pass');
  await page.getByLabel('Line 1 unit price').fill('14.50');
  await page.getByLabel('Line 1 tax code').fill('OUTPUT2');
  await page.getByLabel('Line 2 description').fill('Shoe hire');
  await page.getByLabel('Line 2 quantity').fill('2');
  await page.getByLabel('Line 2 unit price').fill('3.25');
  await page.getByLabel('Line 2 tax code').fill('OUTPUT2');
  await page.getByRole('button', { name: 'Record sale' }).click();
  await page.waitForURL(/\/sales\/\d+$/);
  const saleId = Number(/\/sales\/(\d+)$/.exec(page.url())![1]);

  // Rendered while nothing could sync yet: the invoice is on its way.
  assert.match((await summary.textContent()) ?? '', /Invoice: sending to Xero…/);
  await page.evaluate(setMarker, 'sale page, first load');

  world.f.startWorkers();
  await summary.getByText(`Invoice LB-${saleId} in Xero`).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(readMarker), 'sale page, first load', 'the page was not reloaded');
  const invoiceRow = page.getByTestId('sync-table').locator('tr', { hasText: 'invoice' });
  assert.match((await invoiceRow.textContent()) ?? '', new RegExp(`synced.*LB-${saleId}`));
  const inXero = (await world.f.books<{ InvoiceNumber: string; Total: number }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${saleId}`);
  assert.equal(inXero.length, 1);
  assert.equal(inXero[0]!.Total, 21);

  // A full refund, reviewed then confirmed: the page comes back with the credit note on its way.
  await world.f.stopWorkers();
  await page.getByLabel('Everything not yet refunded (21.00 GBP)').check();
  await page.getByRole('button', { name: 'Review refund' }).click();
  await page.getByRole('button', { name: 'Refund 21.00 GBP' }).click();
  await page.waitForURL(`${world.site.url}/sales/${saleId}`);
  await page.getByRole('status').getByText('Refunded 21.00 GBP as a credit (no money given back).').waitFor();
  assert.match((await summary.textContent()) ?? '', /Credit note: sending to Xero…/);
  await page.evaluate(setMarker, 'sale page, after the refund');
  const refund = await world.f.x.ctx.db('refunds').where({ sale_id: saleId }).first('id');

  world.f.startWorkers();
  await summary.getByText(`Credit note LB-R-${refund.id} in Xero`).waitFor({ timeout: 15_000 });
  assert.equal(await page.evaluate(readMarker), 'sale page, after the refund', 'the page was not reloaded');
  assert.match((await summary.textContent()) ?? '', new RegExp(`Invoice LB-${saleId} in Xero`));
  assert.equal(await page.locator('[data-sync-url]').getAttribute('data-sync-settled'), 'true', 'polling has stopped');
  const notes = (await world.f.books<{ CreditNoteNumber: string; Total: number }>('creditnotes')).filter((n) => n.CreditNoteNumber === `LB-R-${refund.id}`);
  assert.equal(notes.length, 1);
  assert.equal(notes[0]!.Total, 21);

  await screenshot(page, 'xero-sale-invoice');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await page.close();
});
