// Keyboard only, in headless Chromium: the first Tab on any page reaches the "Skip to content" link (shown
// when focused), Enter on it moves focus to the main content; logging in needs no mouse; the header's Tab
// order is brand, main navigation in order, then the person's Two-factor login link and Log out; the Xero menu and its sub-navigation open with
// Enter; every focused control shows a focus ring.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { collectPageErrors, screenshot } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { useBrowserWorld } from '../support/browserWorld';

const world = useBrowserWorld();

interface Focused { tag: string; text: string; id: string; inViewport: boolean; outline: string }
// A string, not a function: this project compiles without the DOM library.
const focused = (page: Page): Promise<Focused> =>
  page.evaluate(`(() => {
    const el = document.activeElement;
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      text: (el.textContent || '').trim(),
      id: el.id,
      inViewport: box.right > 0 && box.bottom > 0 && box.left < innerWidth && box.top < innerHeight,
      outline: style.outlineStyle + ' ' + style.outlineWidth,
    };
  })()`) as Promise<Focused>;

async function tab(page: Page): Promise<Focused> {
  await page.keyboard.press('Tab');
  return focused(page);
}

test('keyboard only: skip link first, log in, header order, Xero menu and sub-nav, visible focus', async () => {
  const page = await world.browser.newPage();
  const pageErrors = collectPageErrors(page);

  // Logging in without a mouse: the login page puts focus in the email field (autofocus).
  await page.goto(`${world.site.url}/login`);
  assert.equal((await focused(page)).id, 'email');
  await page.keyboard.type(world.f.org.emails.admin);
  assert.equal((await tab(page)).id, 'password');
  await page.keyboard.type(PASSWORD);
  await page.keyboard.press('Enter');
  await page.waitForURL(`${world.site.url}/`);

  // On a freshly loaded page the first Tab reaches the skip link, shown while focused; Enter skips to main.
  const skip = await tab(page);
  assert.deepEqual([skip.tag, skip.text, skip.inViewport], ['a', 'Skip to content', true], 'the skip link comes first and is shown');
  assert.notEqual(skip.outline.split(' ')[0], 'none', 'the skip link has a focus ring');
  await page.keyboard.press('Enter');
  assert.equal((await focused(page)).id, 'main', 'Enter moves focus to the main content');
  const next = await tab(page);
  assert.ok(!['Skip to content', 'Ledgerbridge', 'Dashboard'].includes(next.text), `after the skip, Tab stays in the content (got "${next.text}")`);

  // The header, in order, from the top of a fresh page.
  await page.goto(`${world.site.url}/sales`);
  await page.goto(`${world.site.url}/`);
  await page.getByRole('link', { name: 'Skip to content' }).waitFor({ state: 'attached' });
  const order: string[] = [];
  for (let i = 0; i < 10; i++) {
    const focus = await tab(page);
    order.push(focus.text);
    assert.notEqual(focus.outline.split(' ')[0], 'none', `"${focus.text}" shows focus`);
    assert.ok(focus.inViewport, `"${focus.text}" is on screen`);
  }
  assert.deepEqual(order, ['Skip to content', 'Ledgerbridge', 'Dashboard', 'Sales', 'New sale', 'Users & tokens', 'Xero', 'Two-factor login', 'Log out', order[9]]);
  assert.notEqual(order[9], 'Skip to content', 'then into the page');

  // Back to "Xero" with Shift+Tab, open it, then the sub-navigation's Settings tab.
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Shift+Tab');
  assert.equal((await focused(page)).text, 'Xero');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${world.site.url}/plugins/xero/connection`);
  let reached = '';
  for (let i = 0; i < 20 && reached !== 'Settings'; i++) reached = (await tab(page)).text;
  assert.equal(reached, 'Settings', 'the Xero sub-navigation is reachable by Tab');
  await page.keyboard.press('Enter');
  await page.waitForURL(`${world.site.url}/plugins/xero/settings`);
  assert.equal(await page.getByRole('navigation', { name: 'Xero' }).getByRole('link', { name: 'Settings', exact: true }).getAttribute('aria-current'), 'page');

  await screenshot(page, 'keyboard-navigation');
  assert.deepEqual(pageErrors, [], 'no console errors or CSP violations');
  await page.close();
});
