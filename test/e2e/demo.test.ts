// `npm run demo` as a newcomer runs it: spawned in its own process group (as a terminal would), it plays the
// day, then prints the app's URL and the logins (each printed address a readable page; the server's log in a
// file, not the output) and how long it took; staff log in over HTTP and see the day's sales synced to Xero (the sales
// list says "synced" for each, a refunded sale's page names its credit note); the accountant logs in and
// sees the providers' payouts posted (a Stripe and a GoCardless one), the phone payment waiting in the
// sign-off queue with its invoice ranked first below the threshold, and signing it off posts that payout
// too; then Ctrl-C — SIGINT to the whole group — stops everything: exit code 0, no process of the group
// left, the app's and the emulators' ports closed.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { csrfFrom } from '../support/xero';
import { DEMO_SALE_COUNT } from '../../scripts/demo/daySales';
import { SEEDED_KEYS } from '../../emulators/stripe/app';
import { API_VERSION as GC_VERSION, DEMO_ACCESS_TOKEN } from '../../emulators/gocardless/app';

const stripeKey = SEEDED_KEYS.GB;
const tenantId = (text: string): string => /_emulator\/tenants\/([^/]+)\/invoices/.exec(text)?.[1] ?? 'missing';

const dataDir = mkdtempSync(join(tmpdir(), 'lb-demo-'));
let demo: ChildProcess | undefined;
let output = '';

const groupAlive = (pid: number): boolean => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

after(() => {
  // Only if the test failed half-way: never leave the demo running.
  if (demo?.pid && groupAlive(demo.pid)) process.kill(-demo.pid, 'SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

async function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(output);
    if (match) return match;
    if (demo?.exitCode !== null) throw new Error(`the demo exited (${demo?.exitCode}) before printing ${pattern}:\n${output}`);
    if (Date.now() > deadline) throw new Error(`the demo did not print ${pattern} within ${timeoutMs} ms:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('npm run demo: prints the URLs and logins once the data is ready (each URL a readable page, the server log in a file), staff see the day synced to Xero, the accountant the payouts, Ctrl-C stops everything cleanly', { timeout: 300_000 }, async () => {
  demo = spawn('npm', ['run', '--silent', 'demo'], {
    detached: true, // its own process group, so SIGINT can go to all of it, like Ctrl-C in a terminal
    env: { ...process.env, DEMO_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  demo.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<number | null>((resolve) => demo!.once('exit', (code) => resolve(code)));
  const pid = demo.pid!;

  // The banner comes once the data is ready (issue 14: it came first, before the day was played).
  const appUrl = (await waitForOutput(/App:\s+(http:\/\/\S+)/, 180_000))[1]!;
  const readyIn = Number((await waitForOutput(/Ledgerbridge demo is ready \(in (\d+) s\)/, 1000))[1]);
  const before = output.slice(0, output.indexOf('Ledgerbridge demo is ready'));
  assert.match(before, /Synced to Xero: 17 invoices, 16 payments, 2 credit notes\./, 'the day is in Xero before the banner');
  assert.match(before, /Payouts in Xero \(3\):/, 'and the payouts');
  // The server's JSON log is in the file the banner names, not in the story.
  assert.doesNotMatch(output, /^\{"level"/m, 'no JSON log line in the demo\'s output');
  const serverLog = (await waitForOutput(/Server log: (\S+)/, 1000))[1]!;
  assert.ok(existsSync(serverLog) && serverLog.startsWith(dataDir), `the server log is a file in the data folder: ${serverLog}`);
  const booksUrl = (await waitForOutput(/Xero's books:\s+(http:\/\/\S+)/, 1000))[1]!;
  const xeroUrl = (await waitForOutput(/Xero emulator:\s+(http:\/\/127\.0\.0\.1:\d+)\/portal/, 1000))[1]!;
  const stripeUrl = (await waitForOutput(/Stripe:\s+(http:\/\/127\.0\.0\.1:\d+)\s/, 1000))[1]!;
  const gocardlessUrl = (await waitForOutput(/GoCardless:\s+(http:\/\/127\.0\.0\.1:\d+)\s/, 1000))[1]!;
  const password = (await waitForOutput(/every password is "([^"]+)"/, 1000))[1]!;
  const staffEmail = (await waitForOutput(/^\s+staff\s+(\S+@\S+)$/m, 1000))[1]!;
  const accountantEmail = (await waitForOutput(/^\s+accountant\s+(\S+@\S+)$/m, 1000))[1]!;
  assert.match(output, /^\s+admin\s+\S+@\S+$/m);
  // Every address the banner prints opens a page a person can read (a heading, not JSON or "Cannot GET /").
  for (const url of [appUrl, `${xeroUrl}/portal`, booksUrl, stripeUrl, gocardlessUrl]) {
    const res = await fetch(url);
    const text = await res.text();
    assert.equal(res.status, 200, url);
    assert.match(res.headers.get('content-type') ?? '', /text\/html/, url);
    assert.match(text, /<h1[^>]*>[^<]+/, `${url} has a heading`);
  }
  assert.match(await (await fetch(booksUrl)).text(), /Invoices \(17\)/, 'Xero\'s books page shows the day\'s invoices');
  console.log(`the demo was ready in ${readyIn} s`);

  // Staff log in through the login form, over HTTP.
  const staff = request.agent(appUrl);
  const login = await staff.get('/login').expect(200);
  await staff.post('/login').type('form').send({ _csrf: csrfFrom(login), email: staffEmail, password }).expect(303);

  // The day's sales reach Xero: every row of the sales list says "synced".
  await waitForOutput(/Synced to Xero: 17 invoices, 16 payments, 2 credit notes\./, 120_000);
  const list = await staff.get(`/sales?limit=100`).expect(200);
  const rows = [...list.text.matchAll(/<tr>\s*<td><a href="\/sales\/(\d+)">/g)].map((m) => Number(m[1]));
  assert.equal(rows.length, DEMO_SALE_COUNT);
  assert.equal((list.text.match(/<td>synced<\/td>/g) ?? []).length, DEMO_SALE_COUNT, 'every sale synced');
  const refunded = /<a href="\/sales\/(\d+)">[^<]*<\/a><\/td>(?:(?!<\/tr>)[\s\S])*class="status status-bad">Refunded</.exec(list.text);
  assert.ok(refunded, 'a fully refunded sale in the list');
  const sync = await staff.get(`/sales/${refunded[1]}/sync.json`).expect(200);
  const labels = (sync.body.records as { label: string }[]).map((r) => r.label).join(' | ');
  assert.match(labels, new RegExp(`Invoice LB-${refunded[1]} in Xero`));
  assert.match(labels, /Credit note LB-R-\d+ in Xero/);
  assert.equal(sync.body.settled, true);

  // The accountant's morning: the payouts list shows a posted Stripe payout, a posted GoCardless payout
  // and one waiting for sign-off; the demo said so and where to look.
  await waitForOutput(/Open http:\S+ and log in\. Press Ctrl-C to stop\./, 120_000);
  assert.match(output, new RegExp(`Payouts:\\s+${appUrl}/plugins/xero/payouts\\s`));
  assert.match(output, new RegExp(`Sign-off queue:\\s+${appUrl}/plugins/xero/payouts/signoff\\s+\\(1 payout waiting`));
  const accountant = request.agent(appUrl);
  const accountantLogin = await accountant.get('/login').expect(200);
  await accountant.post('/login').type('form').send({ _csrf: csrfFrom(accountantLogin), email: accountantEmail, password }).expect(303);
  const payoutRows = async () => [...(await accountant.get('/plugins/xero/payouts').expect(200)).text.matchAll(/<tr data-payout="(\d+)">[\s\S]*?<a href="[^"]+">(Stripe|GoCardless) (\S+)<\/a>[\s\S]*?<td class="status-(\w+)">/g)]
    .map((m) => ({ id: Number(m[1]), provider: m[2]!, payout: m[3]!, status: m[4]! }));
  const payouts = await payoutRows();
  assert.equal(payouts.length, 3, JSON.stringify(payouts));
  assert.ok(payouts.some((p) => p.provider === 'Stripe' && p.status === 'posted'), `a posted Stripe payout: ${JSON.stringify(payouts)}`);
  assert.ok(payouts.some((p) => p.provider === 'GoCardless' && p.status === 'posted'), `a posted GoCardless payout: ${JSON.stringify(payouts)}`);
  const waiting = payouts.filter((p) => p.status === 'needs_signoff');
  assert.deepEqual(waiting.map((p) => p.provider), ['Stripe']);
  // The emulators paid exactly these payouts.
  const stripePaid = (await (await fetch(`${stripeUrl}/v1/payouts?status=paid`, { headers: { authorization: `Bearer ${stripeKey}` } })).json()) as { data: { id: string; amount: number }[] };
  const gcPaid = (await (await fetch(`${gocardlessUrl}/payouts?status=paid`, { headers: { authorization: `Bearer ${DEMO_ACCESS_TOKEN}`, 'GoCardless-Version': GC_VERSION } })).json()) as { payouts: { id: string }[] };
  assert.deepEqual(payouts.map((p) => p.payout).sort(), [...stripePaid.data.map((p) => p.id), ...gcPaid.payouts.map((p) => p.id)].sort());

  // The sign-off queue: the phone payment, its invoice (the party booked by phone) ranked first, below 85 %.
  const queue = await accountant.get('/plugins/xero/payouts/signoff').expect(200);
  const items = [...queue.text.matchAll(/action="\/plugins\/xero\/payouts\/signoff\/(\d+)"/g)].map((m) => Number(m[1]));
  assert.equal(new Set(items).size, 1, 'one charge waits for sign-off');
  const best = /name="invoiceId" value="([^"]+)" checked> (LB-\d+) — ([^,]+),[^—]*— <strong>(\d+) %<\/strong>/.exec(queue.text);
  assert.ok(best, queue.text.slice(0, 2000));
  assert.equal(best[3], 'Mary Somerville');
  assert.ok(Number(best[4]) < 85, `scored ${best[4]} %, below the threshold`);
  // Signing it off posts the rest of that payout: the payment lands on the party's invoice in Xero.
  await accountant.post(`/plugins/xero/payouts/signoff/${items[0]}`).type('form').send({ _csrf: csrfFrom(queue), action: 'pick', invoiceId: best[1] }).expect(303);
  const postedBy = Date.now() + 60_000;
  while ((await payoutRows()).find((p) => p.id === waiting[0]!.id)?.status !== 'posted') {
    assert.ok(Date.now() < postedBy, `the signed-off payout did not post: ${JSON.stringify(await payoutRows())}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const books = (await (await fetch(`${xeroUrl}/_emulator/tenants/${tenantId(output)}/invoices`)).json()) as { items: { InvoiceNumber: string; Status: string }[] };
  assert.equal(books.items.find((i) => i.InvoiceNumber === best[2])?.Status, 'PAID', 'the party\'s invoice is paid in Xero');

  // Ctrl-C.
  process.kill(-pid, 'SIGINT');
  const code = await exited;
  assert.equal(code, 0, `exit code 0; output:\n${output}`);
  const deadline = Date.now() + 5000;
  while (groupAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(groupAlive(pid), false, 'no process of the demo is left');
  await assert.rejects(fetch(`${appUrl}/healthz`), 'the app no longer answers');
  for (const url of [xeroUrl, stripeUrl, gocardlessUrl]) await assert.rejects(fetch(url), `${url} no longer answers`);
  assert.match(output, /Stopping the demo/);
});
