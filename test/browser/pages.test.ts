// Every page a person can reach, for every role, at a 1280-px desktop and a 390-px phone, in headless
// Chromium (issue 14): no sideways panning of the page, every control labelled, no console error, no link on
// the page that answers 404 or 500, no dropdown listing a choice twice, no raw timestamp or bare ISO date, no filter fields out of line, no "item(s)", no chart narrower
// than its panel or with a label under 11 px, and axe-core (Deque's rules, run
// inside the page) finds no serious or critical accessibility violation. A screenshot of each page at each width goes to artifacts/screenshots/.
//
// The pages are found the way a person finds them: from the dashboard, following every same-origin link;
// one page of each kind (/sales/12 and /sales/13 are one kind) keeps the run short. The world holds what the
// pages link between: sales with payments and refunds synced to the Xero emulator, and a Stripe payout posted
// to Xero with a charge waiting for sign-off.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Role } from '../../server/plugins/contract';
import { collectPageErrors, launchBrowser, screenshot, seriousAxeViolations, unlabelledControls, VIEWPORTS } from '../support/browser';
import { PASSWORD } from '../support/xero';
import { seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from '../e2e/payouts/fixture';
import { addOrganisationMethod } from '../../server/domain/organisationMethods';

/** Links that are not pages: logging out ends the session; files and JSON are checked for their status only. */
const NOT_A_PAGE = [/^\/logout/, /^\/assets\//, /\.(csv|json|cer|pdf)(\?|$)/, /^\/plugins\/xero\/oauth2\//, /^\/api\//];
/** Enough for every kind of page a role can open (about 30 for an admin). */
const MAX_KINDS_PER_ROLE = 60;

/** /sales/12?status=paid and /sales/13?status=void are one kind of page. */
const kindOf = (path: string): string => path.replace(/\/\d+(?=\/|\?|$)/g, '/:n').replace(/=[^&]*/g, '=');

function sameOriginLinks(hrefs: string[], origin: string): string[] {
  const out: string[] = [];
  for (const href of hrefs) {
    if (!href.startsWith(origin)) continue;
    const u = new URL(href);
    out.push(u.pathname + u.search);
  }
  return out;
}

async function pageOverflow(page: Page): Promise<number> {
  return page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth') as Promise<number>;
}

let f: PayoutFixture;
let browser: Browser;

before(async () => {
  f = await startPayoutFixture('sqlite', { listen: true });
  const { payout } = await seedSyntheticStripePayout(f, { known: 6, refunds: 2, unknown: 2 });
  const { payoutId } = await f.x.ctx.payouts.record(f.org.orgId, payout);
  const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
  assert.equal(state.status, 'needs_signoff', String(state.message));
  // The Payment methods page (reached from Users & tokens) with one of the organisation's own methods listed.
  await addOrganisationMethod(f.x.host.deps.db, f.x.host.deps.paymentMethods, f.org.orgId, { label: 'Cheque' }, 'pages test', Date.now());
  // The Gift vouchers page with a voucher listed.
  await f.sell({ currency: 'GBP', customer: { name: 'Gift Giver' }, lines: [{ description: 'Gift voucher', quantity: 1, unitPrice: '25.00', kind: 'voucher' }] });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await f?.close();
});

async function logIn(context: BrowserContext, role: Role): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${f.baseUrl}/login`);
  await page.getByLabel('Email').fill(f.org.emails[role]);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.waitForURL(`${f.baseUrl}/`);
  await page.close();
}

describe('every page, every role, desktop and phone', { timeout: 300_000 }, () => {
  for (const role of ['admin', 'staff', 'accountant'] as Role[]) {
    it(`${role}: no sideways panning, labelled controls, no console error, no broken link, no serious axe violation`, async () => {
      const context = await browser.newContext({ viewport: { width: VIEWPORTS[0].width, height: VIEWPORTS[0].height } });
      await logIn(context, role);
      const page = await context.newPage();
      const errors = collectPageErrors(page);
      const problems: string[] = [];
      const linkStatus = new Map<string, number>();
      const kinds = new Set<string>([kindOf('/')]);
      const queue: { path: string; from: string }[] = [{ path: '/', from: '(start)' }];
      let visited = 0;

      while (queue.length > 0 && visited < MAX_KINDS_PER_ROLE) {
        const { path, from } = queue.shift()!;
        visited++;
        const links = new Set<string>();
        for (const vp of VIEWPORTS) {
          await page.setViewportSize({ width: vp.width, height: vp.height });
          errors.length = 0;
          const response = await page.goto(`${f.baseUrl}${path}`);
          const where = `${path} (${vp.label}, from ${from})`;
          if (response?.status() !== 200) { problems.push(`${where}: status ${response?.status()}`); break; }
          const overflow = await pageOverflow(page);
          if (overflow > 0) problems.push(`${where}: ${overflow}px wider than the window`);
          const unlabelled = await unlabelledControls(page);
          if (unlabelled.length) problems.push(`${where}: unlabelled ${unlabelled.join(', ')}`);
          for (const v of await seriousAxeViolations(page)) problems.push(`${where}: axe ${v.impact} ${v.id} (${v.help}): ${v.nodes.join(' | ')}`);
          if (errors.length) problems.push(`${where}: console ${errors.join(' | ')}`);
          // A choice listed twice ("On receipt" ×2) is one too many.
          const repeated = (await page.evaluate(`[...document.querySelectorAll('select')].flatMap((s) => {
            const texts = [...s.options].map((o) => o.textContent.trim());
            return texts.filter((t, i) => texts.indexOf(t) !== i).map((t) => '#' + s.id + ': ' + t);
          })`)) as string[];
          if (repeated.length) problems.push(`${where}: options listed twice ${repeated.join(', ')}`);
          // Charts (issue 14): as wide as their panel, every label at a readable size (an SVG's text scales with it).
          const chartProblems = (await page.evaluate(`[
            ...[...document.querySelectorAll('svg text, .chart-ticks span, .bar-chart .x-axis span, .bar-chart .y-axis span')].flatMap((t) => {
              const svg = t.closest('svg');
              const box = svg && svg.viewBox.baseVal;
              const scale = svg && box && box.width ? svg.getBoundingClientRect().width / box.width : 1;
              const px = parseFloat(getComputedStyle(t).fontSize) * scale;
              return t.textContent.trim() && px < 11 ? ['label "' + t.textContent.trim() + '" at ' + px.toFixed(1) + ' px'] : [];
            }),
            ...[...document.querySelectorAll('svg.hour-bars, svg.payout-bars')].flatMap((svg) => {
              const box = svg.parentElement;
              const style = getComputedStyle(box);
              const room = box.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
              const width = svg.getBoundingClientRect().width;
              return width < room - 2 ? [svg.getAttribute('class') + ' ' + Math.round(width) + ' px wide in ' + Math.round(room) + ' px'] : [];
            }),
          ]`)) as string[];
          for (const problem of chartProblems) problems.push(`${where}: chart ${problem}`);
          // One date style for people: never a machine timestamp ("2026-12-02T15:13:11.021Z", "15:13:11 UTC"), never "item(s)",
          // never an outbox item's type ("xero.invoice.push" where a person reads "Invoice").
          const text = (await page.evaluate('document.body.innerText')) as string;
          for (const raw of text.match(/\b\d{4}-\d\d-\d\dT\d\d:\d\d[^\s]*|\d\d:\d\d:\d\d UTC|\w+\(s\)|\b(?:xero|stripe|gocardless)\.[a-z_]+\.[a-z_]+\b/g) ?? []) problems.push(`${where}: machine text "${raw}"`);
          // One date style (server/domain/format.ts): no bare ISO date or timestamp ("2026-12-03", "2026-12-03T10:00:00Z")
          // in text a person reads; inputs, code and attributes may hold them.
          const isoDates = (await page.evaluate(`(() => {
            const found = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const el = node.parentElement;
              if (!el || el.closest('code, kbd, samp, pre, textarea, script, style, template, noscript')) continue;
              if (!el.checkVisibility()) continue;
              for (const m of node.textContent.matchAll(/\\b\\d{4}-\\d\\d-\\d\\d(?:T[\\d:.]+(?:Z|[+-]\\d\\d:?\\d\\d)?)?(?![\\d-])/g)) found.push(m[0] + ' in <' + el.tagName.toLowerCase() + '> "' + node.textContent.trim().slice(0, 80) + '"');
            }
            return found;
          })()`)) as string[];
          for (const raw of isoDates) problems.push(`${where}: ISO date ${raw}`);
          // Fields side by side in a filter row line up: their labels, and their controls, on one line.
          const misaligned = (await page.evaluate(`[...document.querySelectorAll('.filters')].flatMap((form) => {
            const fields = [...form.querySelectorAll(':scope > .field:not(.choice)')].map((f) => ({
              id: (f.querySelector('input, select') || {}).id, box: f.getBoundingClientRect(),
              label: f.querySelector('label').getBoundingClientRect().top, control: (f.querySelector('input, select') || f).getBoundingClientRect().top,
            }));
            return fields.flatMap((a, i) => fields.slice(i + 1).filter((b) => Math.abs(a.box.top - b.box.top) < a.box.height / 2
              && (Math.abs(a.label - b.label) > 0.5 || Math.abs(a.control - b.control) > 0.5))
              .map((b) => '#' + a.id + ' and #' + b.id + ': labels ' + (b.label - a.label).toFixed(1) + ' px, controls ' + (b.control - a.control).toFixed(1) + ' px apart'));
          })`)) as string[];
          for (const m of misaligned) problems.push(`${where}: filter fields out of line ${m}`);
          await screenshot(page, `pages-${role}-${vp.label}-${kindOf(path).replace(/^\//, '') || 'dashboard'}`);
          const hrefs = (await page.evaluate(`[...document.querySelectorAll('a[href]')].map((a) => a.href.split('#')[0])`)) as string[];
          for (const link of sameOriginLinks(hrefs, f.baseUrl)) links.add(link);
        }
        for (const link of links) {
          if (/^\/logout/.test(link)) continue;
          if (!linkStatus.has(link)) linkStatus.set(link, (await page.request.get(`${f.baseUrl}${link}`, { maxRedirects: 0 })).status());
          const status = linkStatus.get(link)!;
          if (status === 404 || status >= 500) problems.push(`${path}: link ${link} answers ${status}`);
          const kind = kindOf(link);
          if (status !== 200 || kinds.has(kind) || NOT_A_PAGE.some((p) => p.test(link))) continue;
          kinds.add(kind);
          queue.push({ path: link, from: path });
        }
      }
      await context.close();
      assert.ok(visited > 3, `visited ${visited} kinds of page`);
      assert.deepEqual(problems, [], `${visited} kinds of page checked`);
    });
  }
});
