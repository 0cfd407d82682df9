// The sale page as staff and accountants see it, in headless Chromium at 1280 and 390 px (issue 14): the sale
// goes by one name (its reference), the Xero invoice panel shows Xero's net / VAT / total and links the
// invoice and the customer's contact in Xero (the emulator serves those pages), a line without a tax code
// shows the rate it went out with; every control labelled, nothing wider than the window, no console error,
// and axe-core finds no serious or critical violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPage, collectPageErrors, screenshot, seriousAxeViolations, VIEWPORTS } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';

let saleId = 0;
const world = useBrowserWorld({
  workers: true,
  seed: async (f) => {
    saleId = (await f.sell({
      reference: 'TILL-016', currency: 'GBP', customer: { name: 'Ada Lovelace', email: 'ada@example.com' },
      lines: [{ description: 'Climbing day pass', quantity: 1, unitPrice: '14.50', taxCode: 'OUTPUT2' }, { description: 'Shoe hire', quantity: 2, unitPrice: '3.25' }],
    })).id;
    await f.drained();
  },
});

test('the sale page: one name, Xero\'s net / VAT / total with links into Xero, at desktop and phone widths', async () => {
  for (const role of ['staff', 'accountant'] as const) {
    for (const viewport of VIEWPORTS) {
      const context = await world.browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
      const page = await context.newPage();
      const pageErrors = collectPageErrors(page);
      await page.goto(`${world.site.url}/sales/${saleId}`);
      await page.getByLabel('Email').fill(world.f.org.emails[role]);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Log in' }).click();
      await page.waitForURL(`${world.site.url}/sales/${saleId}`);
      const where = `${role}, ${viewport.label}`;

      assert.equal(await page.getByRole('heading', { level: 1 }).textContent(), 'Sale TILL-016', where);
      assert.equal(await page.title(), 'Sale TILL-016 · Ledgerbridge');
      const panel = page.getByTestId('sale-figures');
      assert.equal(await panel.getByRole('heading').textContent(), `Xero invoice LB-${saleId}`);
      // 14.50 + 6.50 at 20 % VAT inclusive: Xero rounds each line's VAT (2.42 + 1.08).
      assert.deepEqual(
        [await page.getByTestId('xero-net').textContent(), await page.getByTestId('xero-tax').textContent(), await page.getByTestId('xero-total').textContent()],
        ['17.50 GBP', '3.50 GBP', '21.00 GBP'],
        where,
      );
      assert.deepEqual(await page.getByTestId('line-tax-code').allTextContents(), ['OUTPUT2', 'OUTPUT2 (default)']);
      await checkPage(page, `sale page (${where})`);
      assert.deepEqual(await seriousAxeViolations(page), [], `axe (${where})`);
      await screenshot(page, `sale-page-${role}-${viewport.label}`);

      if (role === 'accountant' && viewport.label === VIEWPORTS[0].label) {
        // The links open the records in Xero (the emulator's pages), in the connected organisation.
        await panel.getByRole('link', { name: 'Xero contact: Ada Lovelace' }).click();
        await page.waitForURL(/\/organisationlogin\/default\.aspx\?shortcode=/);
        await page.getByText('Ada Lovelace').first().waitFor();
        await page.goBack();
        await panel.getByRole('link', { name: `Open Xero invoice LB-${saleId} in Xero` }).click();
        await page.getByRole('heading', { name: `Invoice LB-${saleId}` }).waitFor();
      }
      assert.deepEqual(pageErrors, [], `no console errors (${where})`);
      await context.close();
    }
  }
});
