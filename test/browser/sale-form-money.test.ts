// The sale form's money fields in headless Chromium, at desktop and phone widths: the tax code is a
// dropdown of the codes the organisation knows (mapped on Xero settings), a line may be a tip, the sale may
// name a service date; the sale page shows them. Every control labelled, nothing wider than the window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkPage, collectPageErrors, screenshot, VIEWPORTS } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';
import { setMappings } from '../e2e/xero/syncFixture';

const world = useBrowserWorld({
  seed: async (f) => setMappings(f.x, f.org.orgId, [{ kind: 'tax_code_tax', key: 'STD', value: 'OUTPUT2' }, { kind: 'tip_account', key: '', value: '260' }]),
});

test('sale form: tax code dropdown, a tip line and a service date, at desktop and phone widths', async () => {
  for (const viewport of VIEWPORTS) {
    const context = await world.browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);
    await page.goto(`${world.site.url}/sales/new`);
    await page.getByLabel('Email').fill(world.f.org.emails.staff);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${world.site.url}/sales/new`);
    await checkPage(page, `new sale (${viewport.label})`);

    await page.getByLabel('Name').first().fill(`Diner ${viewport.label}`);
    await page.getByLabel('Service date').fill('2026-03-02');
    await page.getByLabel('Line 1 description').fill('Set menu');
    await page.getByLabel('Line 1 unit price').fill('30.00');
    await page.getByLabel('Line 1 tax code').selectOption('STD');
    await page.getByLabel('Line 2 description').fill('Tip');
    await page.getByLabel('Line 2 unit price').fill('3.00');
    await page.getByLabel('Line 2 kind').selectOption('tip');
    await page.getByRole('button', { name: 'Record sale' }).click();
    await page.waitForURL(/\/sales\/\d+$/);
    assert.equal(await page.getByTestId('sale-service-date').textContent(), '2 Mar 2026', 'the one date style');
    assert.equal(await page.getByTestId('line-kind').textContent(), 'Tip');
    await checkPage(page, `sale page (${viewport.label})`);
    await screenshot(page, `sale-form-money-${viewport.label}`);
    assert.deepEqual(pageErrors, []);
    await context.close();
  }
});
