// Issue 15 in the browser: staff have a sale's page open; the accountant records the payment in Xero (with
// the accounting tool's own token, through the emulator's Accounting API); Xero's webhook reaches
// /webhooks/xero, the worker reads the invoice back and records the payment, and "Paid in Xero: bank
// transfer, …" appears on the open page without a reload (public/sale-payments-live.js polling live.json),
// announced in the payments' aria-live region, the figures and state updated and the payment form gone.
// At desktop width and on a 390-px phone; no console errors, nothing wider than the window, no serious axe
// findings. A marker on `window` proves the page was never reloaded. Then a refund: its credit note paid out
// in Xero by the accountant, "Settled in Xero: 30.00 paid out" appears with the refund the same way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { checkPage, collectPageErrors, launchBrowser, screenshot, seriousAxeViolations, VIEWPORTS } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { startIncomingFixture, type IncomingFixture } from '../e2e/xero/incomingFixture';

let f: IncomingFixture;
let browser: Browser;

before(async () => {
  f = await startIncomingFixture('sqlite', { webhooks: true });
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await f?.close();
});

type MarkedWindow = { liveMarker?: string };
const setMarker = (value: string) => { (globalThis as unknown as MarkedWindow).liveMarker = value; };
const readMarker = () => (globalThis as unknown as MarkedWindow).liveMarker ?? null;

for (const viewport of VIEWPORTS) {
  test(`"Paid in Xero" appears on the open sale page without a reload (${viewport.label})`, async () => {
    const s = await f.sell({
      currency: 'GBP', reference: `LIVE-${viewport.label}`, customer: { name: 'Grace Hopper', email: 'grace@example.com' },
      lines: [{ description: 'Bouldering session', quantity: 2, unitPrice: '12.00', taxCode: 'OUTPUT2' }],
    });
    await f.drained();
    const invoiceId = await f.invoiceIdOf(s.id);
    const total = (await f.saleView(s.id)).total;

    const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    const page = await context.newPage();
    const pageErrors = collectPageErrors(page);
    await page.goto(`${f.appUrl}/sales/${s.id}`);
    await page.getByLabel('Email').fill(f.org.emails.staff);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForURL(`${f.appUrl}/sales/${s.id}`);
    const payments = page.locator('section[aria-labelledby="payments-title"]');
    assert.equal(await payments.getByText('None recorded.').isVisible(), true);
    assert.equal(await page.getByTestId('sale-state').textContent(), 'Unpaid');
    await page.evaluate(setMarker, `sale ${s.id}, first load`);

    // The accountant, in Xero: a bank transfer for the whole invoice.
    await f.payInXero(invoiceId, Number(total), 'bank transfer');

    const source = payments.getByTestId('payment-source');
    await source.waitFor({ timeout: 30_000 });
    assert.match((await source.textContent()) ?? '', /^Paid in Xero: bank transfer, \d{1,2} [A-Z][a-z]{2}$/);
    assert.equal(await page.evaluate(readMarker), `sale ${s.id}, first load`, 'the page was not reloaded');
    assert.equal(await page.getByTestId('sale-state').textContent(), 'Paid');
    assert.equal(await page.locator('[data-live="outstanding"]').textContent(), '0.00 GBP');
    assert.equal(await page.locator('[data-live="paid"]').textContent(), `${total} GBP`);
    assert.equal(await payments.getByText('None recorded.').isVisible(), false);
    assert.equal(await page.getByRole('button', { name: 'Record payment' }).isVisible(), false, 'nothing is left to pay here');
    // Said to screen-reader users too, once, where they are.
    const announced = (await page.locator('[data-live-announce]').textContent()) ?? '';
    assert.match(announced, new RegExp(`^Paid in Xero: bank transfer, [^:]+: ${total.replace('.', '\\.')} GBP\\. Paid, outstanding 0\\.00 GBP\\.$`));
    assert.equal(await page.locator('[data-live-announce]').getAttribute('aria-live'), 'polite');

    await checkPage(page, `sale page after the live update (${viewport.label})`);
    assert.deepEqual(await seriousAxeViolations(page), [], 'no serious accessibility findings');
    await screenshot(page, `xero-paid-in-xero-${viewport.label}`);
    assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
    await context.close();
  });
}

test('a credit note paid out in Xero shows on the open sale page\'s refund without a reload', async () => {
  const s = await f.sell({
    currency: 'GBP', reference: 'LIVE-REFUND', customer: { name: 'Katherine Johnson', email: 'kj@example.com' },
    lines: [{ description: 'Ten-visit pass', quantity: 1, unitPrice: '30.00', taxCode: 'OUTPUT2' }],
  });
  await f.pay(s.id, { method: 'cash', amount: '30.00' });
  const refund = await f.refund(s.id, { kind: 'amount', amount: '30.00' });
  await f.drained();
  const note = await f.x.host.deps.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'refund', entity_id: refund.id, record_type: 'credit_note' }).first();

  const context = await browser.newContext({ viewport: { width: VIEWPORTS[0].width, height: VIEWPORTS[0].height } });
  const page = await context.newPage();
  const pageErrors = collectPageErrors(page);
  await page.goto(`${f.appUrl}/sales/${s.id}`);
  await page.getByLabel('Email').fill(f.org.emails.staff);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${f.appUrl}/sales/${s.id}`);
  const state = page.locator(`tr[data-refund-id="${refund.id}"] [data-testid="refund-state"]`);
  assert.equal(await state.textContent(), '');
  await page.evaluate(setMarker, `sale ${s.id}, refund`);

  // The accountant pays the credit out in Xero (a cheque), with the accounting tool's own token.
  const { default: request } = await import('supertest');
  const accounts = (await request(f.emu.url).get(`/_emulator/tenants/${f.tenantId}/accounts`).expect(200)).body.items as { Code?: string; AccountID: string }[];
  const res = await request(f.emu.url).put('/api.xro/2.0/Payments').set('Authorization', f.accountant.bearer).set('Accept', 'application/json')
    .send({ Payments: [{ CreditNote: { CreditNoteID: String(note.xero_id) }, Account: { AccountID: accounts.find((a) => a.Code === '090')!.AccountID }, Amount: 30, Date: new Date().toISOString().slice(0, 10), Reference: 'cheque' }] });
  assert.equal(res.status, 200, res.text);

  await page.locator(`tr[data-refund-id="${refund.id}"] [data-testid="refund-state"]`, { hasText: 'Settled in Xero: 30.00 paid out' }).waitFor({ timeout: 30_000 });
  assert.equal(await state.textContent(), 'Settled in Xero: 30.00 paid out');
  assert.equal(await page.evaluate(readMarker), `sale ${s.id}, refund`, 'the page was not reloaded');
  assert.equal(await page.locator('[data-live-announce]').textContent(), 'Refund: Settled in Xero: 30.00 paid out.');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await context.close();
});
