// Reconciliation quality on a simulated month for one venue: about 1,000 card (Stripe) and Direct Debit
// (GoCardless) charges through the real emulators and the real app — sales made in the app, paid at the
// providers, webhooks to /webhooks/stripe and /webhooks/gocardless, the providers' plugins record payments
// and payouts, the Xero plugin posts every payout to the Xero emulator. The month holds full and partial
// refunds, disputes, chargebacks and late failures, fees (GoCardless's with VAT), US-dollar sales settled
// in sterling at Stripe's rate, card payments taken by phone that name no sale (only the invoice number
// and the payer's email), and charges nothing in the books explains. The simulation keeps the truth (which
// sale each charge paid, or none) and checks every line the product matched against it.
//
//   npm run bench -- payout-reconciliation                 # SQLite, 30 days, ~1,000 charges
//   npx tsx bench/payout-reconciliation.ts --days 30 --stripe-per-day 23 --gc-per-day 10 [--pg]
//
// Figures: the share of payout lines posted without a person (goal ≥ 99 %: neither queued for the
// accountant's sign-off — the bench's accountant then decides it as the truth says, so the payout posts —
// nor in a payout that did not post), of which by payout rules the accountant taught at sign-off, wrong
// matches (goal 0: a line put on a sale other than the one it paid, or on a sale when it paid none, or
// posted by a rule when it paid one of our sales), items left in the sign-off queue, and Xero calls per payout (every call Xero answered
// while the day's payouts posted and their sign-offs completed them, with the sales' own sync drained
// before; the sync's deferred history notes, a courtesy of the invoices, left out).
// Xero's per-minute limit is raised to 1,000 on both sides (ours and the emulator's) so the month runs in
// minutes: this bench measures what is posted, not how fast (the backlog and latency benches do that).
import assert from 'node:assert/strict';
import type { PluginDefinition } from '../server/plugins/contract';
import { stripePlugin } from '../plugins/stripe';
import { gocardlessPlugin } from '../plugins/gocardless';
import { GoCardlessClient } from '../plugins/gocardless/client';
import { RateBudget, tenantKeyOf } from '../plugins/xero/engine/rateBudget';
import { startEmulator as startStripe, DAY_MS } from '../emulators/stripe/test/harness';
import { startEmulator as startGoCardless, control as gcControl } from '../emulators/gocardless/test/helpers';
import { outboxIdle, startPayoutFixture } from '../test/e2e/payouts/fixture';
import { logIn, postForm } from '../test/support/xero';
import { benchDbKind, countBy, endpointOf, flag, table } from './xero-harness';
import { seeded } from '../emulators/shared/seeded';

const DAYS = flag('days', 30);
const STRIPE_PER_DAY = flag('stripe-per-day', 23);
const GC_PER_DAY = flag('gc-per-day', 10);
const GC_PAYOUT_EVERY = 3; // days
const IDLE_MS = 300_000;
const kind = benchDbKind();
const STRIPE_SECRET = 'whsec_benchReconciliationMonth0123';
const GC_SECRET = 'gc-bench-reconciliation-month';
type Json = Record<string, unknown>;

// Seeded (mulberry32), so every run simulates the same month.
const random = seeded(16);
const pick = (p: number) => random() < p;

// ---- the world ----------------------------------------------------------------------------------
const stripeEmu = await startStripe({ account: { country: 'GB' } });
const gc = await startGoCardless({ clockStart: Date.now() - 3_600_000 });
const f = await startPayoutFixture(kind, {
  plugins: [stripePlugin, gocardlessPlugin] as unknown as PluginDefinition<unknown>[],
  env: { STRIPE_API_BASE: stripeEmu.url, GOCARDLESS_API_BASE: gc.url, GOCARDLESS_SWEEP_CRON: 'off', STRIPE_SWEEP_CRON: 'off', XERO_SYNC_COALESCE_MS: '0' },
  listen: true,
});
const xeroCalls = async (since: number) => {
  const res = await fetch(`${f.emu.url}/_emulator/calls?since=${since}`);
  return ((await res.json()) as { seq: number; method: string; url: string; status: number }[]).filter((c) => new URL(c.url).pathname.startsWith('/api.xro/'));
};
const lastSeq = async () => ((await (await fetch(`${f.emu.url}/_emulator/calls`)).json()) as { seq: number }[]).at(-1)?.seq ?? 0;

try {
  const limits = { perMinute: 1_000, concurrent: 5, perDay: 100_000 };
  const res = await fetch(`${f.emu.url}/_emulator/limits`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(limits) });
  assert.equal(res.status, 200);
  await new RateBudget({ db: f.x.ctx.db }).setLimits(tenantKeyOf(f.org.orgId, f.tenantId), limits);
  const admin = await logIn(f.x.app, f.org.emails.admin);
  assert.equal((await postForm(admin, '/plugins/stripe', '/plugins/stripe', { secretKey: stripeEmu.account.secretKey, webhookSecret: STRIPE_SECRET })).status, 303);
  await stripeEmu.control('/webhook_endpoints', { url: `${f.baseUrl}/webhooks/stripe`, secret: STRIPE_SECRET });
  assert.equal((await postForm(admin, '/plugins/gocardless', '/plugins/gocardless', { access_token: gc.emulator.accessToken!, webhook_secret: GC_SECRET })).status, 303);
  await gcControl(gc.url, 'POST', '/webhook_endpoints', { url: `${f.baseUrl}/webhooks/gocardless`, secret: GC_SECRET });
  const gcClient = new GoCardlessClient({ baseUrl: gc.url, accessToken: gc.emulator.accessToken! });

  // ---- the month's trading ------------------------------------------------------------------------
  /** The truth: provider charge/payment id → the sale it paid (null: none of ours). */
  const truth = new Map<string, number | null>();
  const kinds = new Map<string, string>(); // charge id → how it was paid (for the table)
  const stripeKnown: { saleId: number; charge: string; amount: number; currency: string; refunded: boolean }[] = [];
  const gcKnown: { saleId: number; payment: string; amount: number; touched: boolean }[] = [];
  let n = 0;
  let customer = 0;
  const settle = async () => {
    await gc.emulator.webhooks.idle();
    await outboxIdle(f, IDLE_MS);
  };
  const payoutCalls: { endpoint: string }[] = [];
  let payoutWindows = 0;
  // The accountant works the sign-off queue as the truth says: a charge of one of our sales is put on that
  // sale's invoice; one that paid none of ours is posted to Other Revenue (260, No VAT) with "post lines like
  // this the same way from now on" ticked, unless a rule for its description exists already. A line a new rule
  // took from the queue meanwhile is no longer there to decide (the page the person reloads after each
  // decision no longer shows it). Each decision is a line that needed a person.
  const accountant = await logIn(f.x.app, f.org.emails.accountant);
  let signedOff = 0;
  let rulesMade = 0;
  const workQueue = async () => {
    const queued = (await f.x.ctx.db('xero_payout_matches').where({ org_id: f.org.orgId, status: 'queued' }).select('line_id', 'candidates')) as Json[];
    for (const q of queued) {
      const still = (await f.x.ctx.db('xero_payout_matches').where({ org_id: f.org.orgId, line_id: q.line_id }).first('status')) as Json;
      if (still.status !== 'queued') continue;
      const line = (await f.x.ctx.db('payout_lines').where({ id: q.line_id }).first('charge_ref', 'description')) as Json;
      const saleId = truth.get(String(line.charge_ref)) ?? null;
      const invoice = saleId === null ? undefined : ((await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice', entity_id: saleId }).first('xero_id')) as Json | undefined);
      // The right invoice when it is among the candidates shown; otherwise suspense, to be sorted out later.
      const shown = (JSON.parse(String(q.candidates)) as { invoiceId: string }[]).find((c) => invoice && c.invoiceId.toLowerCase() === String(invoice.xero_id).toLowerCase());
      let form: Record<string, string> = shown ? { action: 'pick', invoiceId: shown.invoiceId } : { action: 'suspense' };
      if (saleId === null) {
        const rules = (await f.x.ctx.db('xero_payout_rules').where({ org_id: f.org.orgId }).select('description')) as Json[];
        const known = rules.some((r) => String(r.description).toLowerCase() === String(line.description ?? '').trim().toLowerCase());
        form = { action: 'account', account_code: '260', tax_type: 'NONE', ...(known ? {} : { remember: '1' }) };
        if (!known) rulesMade++;
      }
      const res = await postForm(accountant, '/plugins/xero/payouts/signoff', `/plugins/xero/payouts/signoff/${q.line_id}`, form);
      assert.equal(res.status, 303, res.text.slice(0, 300));
      signedOff++;
    }
    if (queued.length) await settle();
  };

  for (let day = 0; day < DAYS; day++) {
    // Card sales: most carry our sale id; some in US dollars; some taken by phone naming only the invoice;
    // a few that nothing explains.
    for (let i = 0; i < STRIPE_PER_DAY; i++, n++) {
      const who = pick(0.4) ? customer++ : Math.floor(random() * Math.max(1, customer)); // new or returning
      const email = `guest${who}@example.com`;
      const roll = random();
      if (roll < 0.012) {
        const amount = 1_000 + Math.floor(random() * 9_000);
        const pi = await stripeEmu.stripe.paymentIntents.create({ amount, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, description: 'Card payment' });
        truth.set(String(pi.latest_charge), null);
        kinds.set(String(pi.latest_charge), 'card, names nothing');
        continue;
      }
      const currency = roll < 0.07 ? 'USD' : 'GBP';
      const amount = 500 + Math.floor(random() * 24_500);
      const sale = await f.sell({ currency, reference: `M-${n}`, customer: { name: `Guest ${who}`, email }, lines: [{ description: 'Class pass', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
      const phone = roll >= 0.07 && roll < 0.1;
      const pi = await stripeEmu.stripe.paymentIntents.create({
        amount, currency: currency.toLowerCase(), payment_method: currency === 'USD' ? 'pm_card_us' : 'pm_card_gb', confirm: true, receipt_email: email,
        ...(phone ? { description: `Invoice LB-${sale.id}` } : { metadata: { ledgerbridge_sale_id: String(sale.id) } }),
      });
      const charge = String(pi.latest_charge);
      truth.set(charge, sale.id);
      kinds.set(charge, phone ? 'card by phone, invoice number only' : currency === 'USD' ? 'card in USD, settled in GBP' : 'card, names its sale');
      if (!phone && currency === 'GBP') stripeKnown.push({ saleId: sale.id, charge, amount, currency, refunded: false });
    }
    // Direct Debits: our sale id in the metadata; now and then one that names nothing.
    for (let i = 0; i < GC_PER_DAY; i++, n++) {
      const who = customer++;
      const { body: m } = await gcControl<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Member', family_name: String(who), email: `dd${who}@example.com` } });
      const amount = 1_000 + Math.floor(random() * 49_000);
      if (pick(0.01)) {
        const payment = await gcClient.createPayment({ amount, currency: 'GBP', mandate: m.mandate.id, description: 'Membership' });
        await gcControl(gc.url, 'POST', `/payments/${payment.id}/confirm`);
        truth.set(payment.id, null);
        kinds.set(payment.id, 'Direct Debit, names nothing');
        continue;
      }
      const sale = await f.sell({ currency: 'GBP', reference: `DD-${n}`, customer: { name: `Member ${who}`, email: `dd${who}@example.com` }, lines: [{ description: 'Membership', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
      const payment = await gcClient.createPayment({ amount, currency: 'GBP', mandate: m.mandate.id, description: `Membership ${n}`, metadata: { ledgerbridge_sale_id: String(sale.id) } });
      await gcControl(gc.url, 'POST', `/payments/${payment.id}/confirm`);
      truth.set(payment.id, sale.id);
      kinds.set(payment.id, 'Direct Debit, names its sale');
      gcKnown.push({ saleId: sale.id, payment: payment.id, amount, touched: false });
    }
    await settle(); // the charges' webhooks: payments recorded on their sales, sales and payments in Xero

    // Yesterday's trouble, in the app and at the providers: refunds (some partial), a dispute now and then.
    const recent = stripeKnown.filter((k) => !k.refunded).slice(-2 * STRIPE_PER_DAY, -1);
    for (const k of recent) {
      const r = random();
      if (r < 0.02) {
        k.refunded = true;
        const refund = await stripeEmu.stripe.refunds.create({ charge: k.charge });
        await f.refund(k.saleId, { kind: 'full', method: 'stripe', providerRef: refund.id });
      } else if (r < 0.035) {
        k.refunded = true;
        const part = Math.floor(k.amount / 3);
        const refund = await stripeEmu.stripe.refunds.create({ charge: k.charge, amount: part });
        await f.refund(k.saleId, { kind: 'amount', amount: (part / 100).toFixed(2), method: 'stripe', providerRef: refund.id });
      } else if (r < 0.04) {
        k.refunded = true;
        await stripeEmu.control('/disputes', { charge: k.charge });
      }
    }
    for (const g of gcKnown.filter((x) => !x.touched)) {
      g.touched = true;
      const r = random();
      if (r < 0.02) {
        const amount = Math.floor(g.amount / 4);
        const refund = await gcClient.createRefund({ payment: g.payment, amount, totalAmountConfirmation: amount });
        await f.refund(g.saleId, { kind: 'amount', amount: (amount / 100).toFixed(2), method: 'gocardless', providerRef: refund.id });
      } else if (r < 0.03) {
        await gcControl(gc.url, 'POST', `/payments/${g.payment}/charge_back`);
      } else if (r < 0.035) {
        await gcControl(gc.url, 'POST', `/payments/${g.payment}/fail`);
      }
    }
    await settle();

    // The day passes: Stripe's daily automatic payout of what became available; GoCardless's run every
    // few days. Only the payouts post in this window (the sales' own sync is drained): their Xero calls.
    const since = await lastSeq();
    const before = Number(((await f.x.ctx.db('payouts').where({ org_id: f.org.orgId }).count({ n: '*' })) as { n: string }[])[0]!.n);
    await stripeEmu.control('/clock/advance', { ms: DAY_MS });
    if (day % GC_PAYOUT_EVERY === GC_PAYOUT_EVERY - 1 || day === DAYS - 1) await gcControl(gc.url, 'POST', '/payouts/run', { paid: true });
    await settle();
    await workQueue();
    const after = Number(((await f.x.ctx.db('payouts').where({ org_id: f.org.orgId }).count({ n: '*' })) as { n: string }[])[0]!.n);
    if (after > before) {
      payoutWindows += after - before;
      for (const c of await xeroCalls(since)) if (!endpointOf(c).endsWith('/History')) payoutCalls.push({ endpoint: endpointOf(c) });
    }
    process.stdout.write(`day ${day + 1}/${DAYS}: ${truth.size} charges, ${after} payouts\r`);
  }
  // The last days' money is paid out too.
  for (let d = 0; d < 5; d++) {
    const since = await lastSeq();
    const before = Number(((await f.x.ctx.db('payouts').where({ org_id: f.org.orgId }).count({ n: '*' })) as { n: string }[])[0]!.n);
    await stripeEmu.control('/clock/advance', { ms: DAY_MS });
    await settle();
    await workQueue();
    const after = Number(((await f.x.ctx.db('payouts').where({ org_id: f.org.orgId }).count({ n: '*' })) as { n: string }[])[0]!.n);
    if (after > before) {
      payoutWindows += after - before;
      for (const c of await xeroCalls(since)) if (!endpointOf(c).endsWith('/History')) payoutCalls.push({ endpoint: endpointOf(c) });
    }
  }
  console.log('');

  // ---- what the product did, against the truth -----------------------------------------------------
  const db = f.x.ctx.db;
  const payouts = (await db('payouts').where({ org_id: f.org.orgId }).select('id', 'provider', 'provider_payout_id')) as Json[];
  const states = new Map(((await db('xero_payouts').where({ org_id: f.org.orgId }).select('payout_id', 'status', 'message')) as Json[]).map((s) => [Number(s.payout_id), s]));
  const lines = (await db('payout_lines').where({ org_id: f.org.orgId }).select('id', 'payout_id', 'kind', 'charge_ref', 'sale_id')) as Json[];
  const matches = new Map(((await db('xero_payout_matches').where({ org_id: f.org.orgId }).select('line_id', 'status', 'invoice_number')) as Json[]).map((m) => [Number(m.line_id), m]));
  const invoiceSale = new Map(((await db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', record_type: 'invoice' }).select('number', 'entity_id')) as Json[]).map((r) => [String(r.number), Number(r.entity_id)]));
  const stripeIds = new Set(payouts.filter((p) => p.provider === 'stripe').map((p) => Number(p.id)));

  let byPerson = 0;
  let byRule = 0;
  let wrong = 0;
  const wrongExamples: string[] = [];
  const perKind = new Map<string, { lines: number; auto: number }>();
  for (const l of lines) {
    const state = states.get(Number(l.payout_id));
    const m = matches.get(Number(l.id));
    const needsPerson = state?.status !== 'posted' || (m !== undefined && m.status !== 'auto' && m.status !== 'rule');
    if (m?.status === 'rule') byRule++;
    if (needsPerson) byPerson++;
    const label = l.kind === 'charge' ? (kinds.get(String(l.charge_ref)) ?? 'charge (unknown to the simulation)') : String(l.kind);
    const k = perKind.get(label) ?? { lines: 0, auto: 0 };
    k.lines++;
    if (!needsPerson) k.auto++;
    perKind.set(label, k);
    if (l.kind !== 'charge' || !truth.has(String(l.charge_ref))) continue;
    const expected = truth.get(String(l.charge_ref)) ?? null;
    const put = l.sale_id !== null ? Number(l.sale_id) : m?.status === 'auto' || m?.status === 'confirmed' ? (invoiceSale.get(String(m.invoice_number)) ?? -1) : null;
    if (put !== null && put !== expected) {
      wrong++;
      if (wrongExamples.length < 5) wrongExamples.push(`line ${l.id} (${l.charge_ref}): put on sale ${put}, paid ${expected ?? 'none of ours'}`);
    }
    // A rule posts to an income account: wrong whenever the charge paid one of our sales.
    if (m?.status === 'rule' && expected !== null) {
      wrong++;
      if (wrongExamples.length < 5) wrongExamples.push(`line ${l.id} (${l.charge_ref}): posted by a rule, but paid sale ${expected}`);
    }
  }
  const queued = [...matches.values()].filter((m) => m.status === 'queued').length;
  const decided = [...matches.values()].filter((m) => m.status === 'confirmed' || m.status === 'suspense' || m.status === 'account').length;
  const statusCount = countBy([...states.values()], (s) => String(s.status));
  const callsByEndpoint = countBy(payoutCalls, (c) => c.endpoint);
  const unposted = [...states.values()].filter((s) => s.status !== 'posted').map((s) => `${s.payout_id} ${s.status}: ${String(s.message ?? '').slice(0, 160)}`);

  console.log(table(['line', 'lines', 'posted without a person'], [...perKind].sort((a, b) => b[1].lines - a[1].lines).map(([k, v]) => [k, v.lines, `${v.auto} (${((100 * v.auto) / v.lines).toFixed(1)} %)`])));
  console.log(`\npayouts: ${payouts.length} (${stripeIds.size} Stripe, ${payouts.length - stripeIds.size} GoCardless); Xero states: ${[...statusCount].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  if (unposted.length) console.log(`not posted:\n  ${unposted.slice(0, 8).join('\n  ')}`);
  if (wrongExamples.length) console.log(`wrong matches:\n  ${wrongExamples.join('\n  ')}`);
  console.log(`Xero calls while payouts posted, by endpoint: ${[...callsByEndpoint].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  console.log(`\nReconciliation of a simulated month (${kind}): ${DAYS} days, ${truth.size} charges (${[...kinds.values()].filter((k) => k.startsWith('card')).length} Stripe, ${[...kinds.values()].filter((k) => k.startsWith('Direct')).length} GoCardless), one venue`);
  console.log('(figures taken on a shared, loaded machine; Xero limit raised to 1,000 calls/min so the month runs in minutes)');
  console.log(table(
    ['payout lines', 'posted without a person', 'goal', 'wrong matches', 'goal', 'signed off by a person', 'left in sign-off', 'payouts', 'Xero calls per payout', 'of which GET Accounts'],
    [[lines.length, `${(100 * (lines.length - byPerson) / lines.length).toFixed(2)} % (of which by rules: ${byRule})`, '≥ 99 %', wrong, '0', `${decided} (${signedOff} decisions, ${rulesMade} rules made)`, queued, payouts.length,
      (payoutCalls.length / Math.max(1, payoutWindows)).toFixed(1), ((callsByEndpoint.get('GET Accounts') ?? 0) / Math.max(1, payoutWindows)).toFixed(1)]],
  ));
} finally {
  await f.close();
  await stripeEmu.close();
  await gc.close();
}
process.exit(0);
