// Headless Chromium for browser tests (npm run test:browser). Uses the system Chromium through
// playwright-core, so no browser download is needed: apt-get install chromium, or set CHROMIUM_PATH.
import assert from 'node:assert/strict';
import { chromium, type Browser, type Page } from 'playwright-core';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SCREENSHOT_DIR = join(process.cwd(), 'artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}

/** Saves a full-page screenshot to artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name.replace(/[^a-z0-9_-]+/gi, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Collects console errors and CSP violations, which a page that "looks fine" can still have. */
export function collectPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

/**
 * Form controls on the page that a screen reader could not name: no <label>, aria-label or
 * aria-labelledby (hidden inputs and buttons, which name themselves by their text, are not counted).
 */
export async function unlabelledControls(page: Page): Promise<string[]> {
  // A string, not a function: this project compiles without the DOM library.
  return page.evaluate(`[...document.querySelectorAll('input, select, textarea')]
    .filter((el) => !(el.tagName === 'INPUT' && ['hidden', 'submit', 'button', 'reset', 'image'].includes(el.type)))
    .filter((el) => !((el.labels && el.labels.length > 0) || (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby')))
    .map((el) => el.tagName.toLowerCase() + '#' + (el.id || '?') + '[name=' + (el.getAttribute('name') || '') + ']')`) as Promise<string[]>;
}

/** The widths every page is checked at: a desktop window and a 390-px phone. */
export const VIEWPORTS = [
  { label: 'desktop', width: 1280, height: 800 },
  { label: 'phone', width: 390, height: 844 },
] as const;

/** Every control labelled, and nothing wider than the window (no sideways panning on a phone). */
export async function checkPage(page: Page, what: string): Promise<void> {
  assert.deepEqual(await unlabelledControls(page), [], `every control has a label (${what})`);
  const overflow = (await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')) as number;
  assert.ok(overflow <= 0, `nothing is wider than the window (${what}): ${overflow}px too wide`);
}

let axeSource: string | undefined;

/** One accessibility finding of axe-core: the rule, how bad, and the first few elements it names. */
export interface AxeViolation { id: string; impact: string; help: string; nodes: string[] }

/**
 * axe-core (Deque's rules) run inside the page; only what it calls serious or critical is returned.
 * Evaluated over the DevTools protocol, so the page's CSP (no inline scripts) does not block the checker.
 */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  axeSource ??= readFileSync(join(process.cwd(), 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
  await page.evaluate(`${axeSource};0`);
  return page.evaluate(`axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ') + ' — ' + (n.failureSummary || '').split('\\n').slice(1).join(' ').trim()) })))`) as Promise<AxeViolation[]>;
}
