// Every page a person can reach, as each role, with every same-origin link followed: none is a 404 or a
// 500. The world holds what the pages link between: sales with payments and refunds synced to the Xero
// emulator, and a Stripe payout posted to Xero with a charge waiting for sign-off (issue 18 #2: every
// "payment on the invoice of sale N" and "credit note of sale N" link on a payout's page was a 404).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Role } from '../../../server/plugins/contract';
import { logIn, type Agent } from '../../support/xero';
import { seedSyntheticStripePayout, startPayoutFixture, waitForPayout, type PayoutFixture } from '../payouts/fixture';

/** Enough for every page kind and a few of each list's rows; filters and pages of one list count once per path. */
const MAX_PAGES_PER_ROLE = 400;
const SKIP = [/^\/logout/, /^\/assets\//];

interface Broken { url: string; status: number; from: string }

function linksOf(html: string): string[] {
  const out: string[] = [];
  for (const m of html.matchAll(/\bhref="([^"]*)"/g)) {
    const href = m[1]!.replace(/&amp;/g, '&').split('#')[0]!;
    if (href.startsWith('/') && !href.startsWith('//')) out.push(href);
  }
  return out;
}

async function crawl(agent: Agent): Promise<{ visited: number; broken: Broken[] }> {
  const seen = new Set<string>(['/']);
  const queue: { url: string; from: string }[] = [{ url: '/', from: '(start)' }];
  const broken: Broken[] = [];
  let visited = 0;
  while (queue.length > 0 && visited < MAX_PAGES_PER_ROLE) {
    const { url, from } = queue.shift()!;
    visited++;
    const res = await agent.get(url);
    if (res.status === 404 || res.status >= 500) broken.push({ url, status: res.status, from });
    const type = String(res.headers['content-type'] ?? '');
    if (res.status !== 200 || !type.startsWith('text/html')) continue;
    for (const link of linksOf(res.text)) {
      // One visit per path and query-string shape keeps a paginated list from eating the budget.
      const key = link.replace(/=[^&]*/g, '=');
      if (seen.has(key) || SKIP.some((p) => p.test(link))) continue;
      seen.add(key);
      queue.push({ url: link, from: url });
    }
  }
  return { visited, broken };
}

describe('every link of every page, as each role', { timeout: 240_000 }, () => {
  let f: PayoutFixture;
  before(async () => {
    f = await startPayoutFixture('sqlite', { listen: true });
    const { payout } = await seedSyntheticStripePayout(f, { known: 8, refunds: 2, unknown: 2 });
    const { payoutId } = await f.x.ctx.payouts.record(f.org.orgId, payout);
    const state = await waitForPayout(f, payoutId, ['needs_signoff', 'failed', 'posted']);
    assert.equal(state.status, 'needs_signoff', String(state.message));
  });
  after(async () => f?.close());

  for (const role of ['admin', 'staff', 'accountant'] as Role[]) {
    it(`${role}: no 404 and no 500`, async () => {
      const agent = await logIn(f.x.app, f.org.emails[role]);
      const { visited, broken } = await crawl(agent);
      assert.ok(visited > 5, `crawled ${visited} pages`);
      assert.deepEqual(broken, []);
    });
  }
});
