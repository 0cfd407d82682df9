// Shared set-up of the payout tests (e2e and browser): the sync fixture (Xero emulator, app, connected
// organisation, workers) with Stripe/GoCardless money routed to their clearing accounts and the payout
// settings saved; optionally the provider plugins booted too and the app listening on a real port (the
// provider emulators deliver webhooks to it); readers of Xero's books for one payout; and the synthetic
// Stripe payout of test/e2e/payouts/xero-payout.test.ts (known sales, refunds, matched and queued
// unknown charges, a dispute, fees) for tests that need a payout without a provider emulator.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { PayoutInput, PayoutLineInput, PluginDefinition } from '../../../server/plugins/contract';
import type { DbKind } from '../../support/db';
import { startSyncFixture, type SyncFixture } from '../xero/syncFixture';
import { savePayoutSettings, type PayoutSettingKey } from '../../../plugins/xero/payouts/settings';
import { xeroPlugin } from '../../../plugins/xero';
import { stripePlugin } from '../../../plugins/stripe';
import { gocardlessPlugin } from '../../../plugins/gocardless';
import { startEmulator as startStripeEmulator, type Running as RunningStripe } from '../../../emulators/stripe/test/harness';
import { logIn, postForm } from '../../support/xero';

const DAY = 86_400_000;
/** What a wait for the sync allows: two and a half of Xero's 60-call minutes (see outboxIdle). */
const RATE_WINDOWS_MS = 150_000;
type Json = Record<string, unknown>;
export const idOf = (o: unknown, k: string): string => String(((o as Json)?.[k] as string | undefined) ?? '').toLowerCase();

export interface PayoutFixture extends SyncFixture {
  /** http://127.0.0.1:<port> of the app, when started with `listen`. */
  baseUrl: string;
}

export const DEFAULT_PAYOUT_SETTINGS: Partial<Record<PayoutSettingKey, string>> = {
  'bank_account:stripe': '090', 'bank_account:gocardless': '090', suspense_account: '260', fees_account: '404', fee_tax: 'INPUT2',
};

export async function startPayoutFixture(kind: DbKind, opts: { plugins?: PluginDefinition<unknown>[]; env?: Record<string, string>; listen?: boolean; settings?: Partial<Record<PayoutSettingKey, string>> } = {}): Promise<PayoutFixture> {
  const f = await startSyncFixture(kind, {
    env: opts.env ?? {},
    // The providers' plugins are installed (their payment methods and payouts are known to the host) even
    // where a test records their payouts itself instead of driving their webhooks.
    plugins: [xeroPlugin as unknown as PluginDefinition<unknown>, ...(opts.plugins ?? [stripePlugin, gocardlessPlugin] as unknown as PluginDefinition<unknown>[])],
  });
  const orgId = f.org.orgId;
  // Provider money goes to its clearing account (no method mapping); payouts land in 090.
  await f.x.ctx.db('xero_mappings').where({ org_id: orgId, kind: 'method_account' }).whereIn('key', ['stripe', 'gocardless']).delete();
  await savePayoutSettings(f.x.ctx, f.x.ctx.db, orgId, opts.settings ?? DEFAULT_PAYOUT_SETTINGS, 'test');
  let server: Server | undefined;
  let baseUrl = '';
  if (opts.listen) {
    server = f.x.app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server!.once('listening', () => resolve()));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  const close = f.close.bind(f);
  return Object.assign(f, {
    baseUrl,
    async close() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await close();
    },
  });
}

export async function waitForPayout(f: SyncFixture, payoutId: number, statuses: string[], timeoutMs = RATE_WINDOWS_MS): Promise<Json> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = (await f.x.ctx.db('xero_payouts').where({ payout_id: payoutId }).first()) as Json | undefined;
    if (row && statuses.includes(String(row.status))) return row;
    if (Date.now() > deadline) {
      const items = await f.x.ctx.db('outbox').whereNot('status', 'done').select('id', 'type', 'status', 'attempts', 'last_error');
      throw new Error(`payout ${payoutId} not ${statuses.join('/')} in time: ${JSON.stringify(row)} ${JSON.stringify(items).slice(0, 1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The clearing account's balance in Xero, in its own currency, from the books themselves (a payment moves
 * the bank account by its BankAmount: the invoice-currency Amount converted at its CurrencyRate).
 */
export async function clearingBalanceCents(f: SyncFixture, accountId: string): Promise<number> {
  const cents = (n: unknown) => Math.round(Number(n) * 100);
  let total = 0;
  for (const p of await f.books<Json>('payments')) {
    if (p.Status === 'DELETED' || idOf(p.Account, 'AccountID') !== accountId.toLowerCase()) continue;
    const bank = cents(p.BankAmount ?? p.Amount);
    total += p.PaymentType === 'ACCRECPAYMENT' ? bank : p.PaymentType === 'ARCREDITPAYMENT' || p.PaymentType === 'ARPREPAYMENTPAYMENT' ? -bank : 0;
  }
  // Bank transactions include a transfer's two legs (SPEND-TRANSFER / RECEIVE-TRANSFER), each in its own
  // account's currency, as Xero books them: counting the legs counts every transfer once.
  for (const t of await f.books<Json>('banktransactions')) {
    if (t.Status === 'DELETED' || idOf(t.BankAccount, 'AccountID') !== accountId.toLowerCase()) continue;
    total += t.Type === 'RECEIVE' || t.Type === 'RECEIVE-TRANSFER' || t.Type === 'RECEIVE-PREPAYMENT' ? cents(t.Total) : -cents(t.Total);
  }
  return total;
}

/** What Xero holds about the clearing account: every record touching it, by kind. */
export async function clearingRecords(f: SyncFixture, accountId: string): Promise<{ payments: Json[]; refunds: Json[]; bankTransactions: Json[]; transfers: Json[] }> {
  const acc = accountId.toLowerCase();
  const live = (r: Json) => r.Status !== 'DELETED';
  const payments = (await f.books<Json>('payments')).filter((p) => live(p) && idOf(p.Account, 'AccountID') === acc);
  return {
    payments: payments.filter((p) => p.PaymentType === 'ACCRECPAYMENT'),
    refunds: payments.filter((p) => p.PaymentType === 'ARCREDITPAYMENT'),
    // Spend/receive money only: a transfer's legs are the transfer's, listed under `transfers`.
    bankTransactions: (await f.books<Json>('banktransactions')).filter((t) => live(t) && idOf(t.BankAccount, 'AccountID') === acc && (t.Type === 'SPEND' || t.Type === 'RECEIVE')),
    transfers: (await f.books<Json>('banktransfers')).filter((t) => live(t) && (idOf(t.FromBankAccount, 'AccountID') === acc || idOf(t.ToBankAccount, 'AccountID') === acc)),
  };
}

/**
 * Wait until no outbox item will still run (pending, leased, or paused until resumed; dead ones are the test's
 * to check), history notes aside (a courtesy that steps aside while
 * the rate budget is in use, so it may wait for minutes by design). Long enough for two of Xero's minute
 * windows: on a slow machine 200 sales arrive slower than the sync batches them, it spends its 60 calls a
 * minute, and the rest rightly waits for the next minute (a CI run on PostgreSQL did exactly that).
 */
export async function outboxIdle(f: SyncFixture, timeoutMs = RATE_WINDOWS_MS): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const busy = () => f.x.ctx.db('outbox').whereIn('status', ['pending', 'leased', 'paused']).whereNot('type', 'xero.history.note');
    const [row] = (await busy().count({ n: '*' })) as { n: number | string }[];
    if (Number(row?.n ?? 0) === 0) return;
    assert.ok(Date.now() < deadline, `outbox not idle: ${JSON.stringify(await busy().select('type', 'status', 'attempts', 'last_error')).slice(0, 1500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The organisation's provider payouts once `count` are recorded. A provider plugin answers a payout webhook at
 * once and records the payout from the outbox afterwards, so a test waits for it instead of reading at once.
 */
export async function waitForRecordedPayouts(f: SyncFixture, count = 1, timeoutMs = 30_000): Promise<Json[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await f.x.ctx.db('payouts').where({ org_id: f.org.orgId }).orderBy('id')) as Json[];
    if (rows.length >= count) return rows;
    if (Date.now() > deadline) {
      const items = await f.x.ctx.db('outbox').where('type', 'like', '%.payout.ingest').select('type', 'status', 'attempts', 'last_error');
      throw new Error(`${rows.length} of ${count} payout(s) recorded in time: ${JSON.stringify(items).slice(0, 1500)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What an event delivered again must not change: Xero's books and the app's payout and payment rows. */
export async function bookCounts(f: SyncFixture): Promise<Record<string, unknown>> {
  return {
    xero: await f.counts(),
    payouts: (await f.x.ctx.db('payouts')).length,
    lines: (await f.x.ctx.db('payout_lines')).length,
    payments: (await f.x.ctx.db('payments')).length,
    steps: (await f.x.ctx.db('xero_payout_steps')).length,
  };
}

export interface SyntheticPayout {
  payout: PayoutInput;
  /** Charges of known sales. */
  known: { saleId: number; amount: number; charge: string }[];
}

/**
 * A Stripe payout as the Stripe plugin would record it: `known` charges of sales made in the app (half
 * already recorded on their sale in real time), `refunds` of them issued in the app (the first two
 * partial; the last of a sale whose charge is not recorded yet), `unknown` charges for invoices Xero has without our sale id (all but the last carry the invoice
 * number and the payer's email: auto-matched; the last only its amount: queued for sign-off), a dispute
 * with its fee and a taxed stand-alone fee. The sales are synced before this returns.
 */
export async function seedSyntheticStripePayout(f: SyncFixture, opts: { known: number; refunds: number; unknown: number; payoutId?: string }): Promise<SyntheticPayout> {
  const orgId = f.org.orgId;
  // Several payouts in one organisation need their own sale references and charge ids.
  const tag = opts.payoutId ? `${opts.payoutId}-` : '';
  const t0 = Date.UTC(2026, 0, 5, 9);
  const lines: PayoutLineInput[] = [];
  const line = (sourceId: string, over: Partial<PayoutLineInput>): PayoutLineInput => ({
    sourceId, kind: 'charge', amountMinor: 0n, feeMinor: 0n, feeTaxMinor: 0n, chargeRef: null, saleId: null, counterpartyName: null,
    counterpartyEmail: null, description: null, reference: null, occurredAt: t0, ...over,
  });
  const fee = (minor: number) => BigInt(Math.round(minor * 0.015) + 20); // 1.5 % + 20p
  const known: SyntheticPayout['known'] = [];
  for (let i = 0; i < opts.known; i++) {
    const amount = 1000 + i * 137 + (i % 7); // awkward amounts
    const sale = await f.sell({ currency: 'GBP', reference: `${tag}WEB-${i}`, occurredAt: new Date(t0 - DAY).toISOString(), customer: { name: `Member ${i}`, email: `member${i}@example.com` }, lines: [{ description: 'Class pass', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
    known.push({ saleId: sale.id, amount, charge: `${tag}ch_known_${i}` });
    lines.push(line(`txn_c${i}`, { amountMinor: BigInt(amount), feeMinor: fee(amount), chargeRef: `${tag}ch_known_${i}`, saleId: sale.id, counterpartyName: `Member ${i}`, counterpartyEmail: `member${i}@example.com`, occurredAt: t0 + i * 1000 }));
  }
  // Half were recorded on their sale in real time by the provider plugin (the rest by the payout posting).
  const half = Math.ceil(opts.known / 2);
  for (const k of known.slice(0, half)) await f.x.ctx.payments.record(orgId, k.saleId, { method: 'stripe', amountMinor: k.amount, currency: 'GBP', providerRef: k.charge, receivedAt: t0 });
  // Refunds issued in the app, of paid sales — and the last one of a sale whose charge is recorded only when
  // the payout posts (a card refund before its charge's webhook): the charge must still be recordable.
  const disputedIndex = Math.min(100, known.length - 1);
  const lateCharge = known.length - 2 >= half && known.length - 2 !== disputedIndex ? known.length - 2 : null;
  for (let r = 0; r < opts.refunds; r++) {
    const k = known[r === opts.refunds - 1 && lateCharge !== null ? lateCharge : r * 3 < half ? r * 3 : r]!;
    const partial = r < 2;
    const amount = partial ? Math.floor(k.amount / 3) : k.amount;
    await f.refund(k.saleId, partial ? { kind: 'amount', amount: (amount / 100).toFixed(2), method: 'stripe', providerRef: `${tag}re_${r}` } : { kind: 'full', method: 'stripe', providerRef: `${tag}re_${r}` });
    lines.push(line(`txn_r${r}`, { kind: 'refund', amountMinor: BigInt(-amount), chargeRef: k.charge, saleId: k.saleId, occurredAt: t0 + DAY }));
  }
  for (let u = 0; u < opts.unknown; u++) {
    const amount = 5003 + u * 1111;
    const sale = await f.sell({ currency: 'GBP', reference: `${tag}PHONE-${u}`, occurredAt: new Date(t0 - DAY).toISOString(), customer: { name: `Caller ${u}`, email: `caller${u}@example.com` }, lines: [{ description: 'Course', quantity: 1, unitPrice: (amount / 100).toFixed(2) }] });
    const queued = u === opts.unknown - 1;
    lines.push(line(`txn_u${u}`, {
      amountMinor: BigInt(amount), feeMinor: fee(amount), chargeRef: `${tag}ch_unknown_${u}`,
      counterpartyName: queued ? 'J. Smith' : `Caller ${u}`, counterpartyEmail: queued ? null : `caller${u}@example.com`,
      reference: queued ? null : `Invoice LB-${sale.id}`, description: queued ? 'Card payment' : null, occurredAt: t0,
    }));
  }
  const disputed = known[disputedIndex]!;
  lines.push(line('txn_d0', { kind: 'dispute', amountMinor: BigInt(-disputed.amount), feeMinor: 1500n, chargeRef: disputed.charge, saleId: disputed.saleId, occurredAt: t0 + DAY }));
  lines.push(line('txn_f0', { kind: 'fee', amountMinor: -600n, feeMinor: 0n, feeTaxMinor: 100n, description: 'Radar fees', occurredAt: t0 + DAY }));
  const net = lines.reduce((s, l) => s + l.amountMinor - l.feeMinor, 0n);
  const payout: PayoutInput = { provider: 'stripe', accountRef: 'acct_1LedgerBridgeT3st', providerPayoutId: opts.payoutId ?? 'po_e2e_1', currency: 'GBP', amountMinor: net, arrivalDate: '2026-01-08', lines };
  await f.drained(120_000);
  return { payout, known };
}

/**
 * The payout fixture with the Stripe plugin booted and listening, the Stripe emulator (a GB account) started,
 * the admin's Stripe settings saved through the page (the key tested against the emulator), and the
 * emulator's webhook endpoint pointed at our /webhooks/stripe.
 */
export async function startStripePayoutWorld(kind: DbKind, webhookSecret: string): Promise<{ f: PayoutFixture; emu: RunningStripe; close(): Promise<void> }> {
  const emu = await startStripeEmulator({ account: { country: 'GB' } });
  const f = await startPayoutFixture(kind, { plugins: [stripePlugin as unknown as PluginDefinition<unknown>], env: { STRIPE_API_BASE: emu.url }, listen: true });
  const admin = await logIn(f.x.app, f.org.emails.admin);
  const saved = await postForm(admin, '/plugins/stripe', '/plugins/stripe', { secretKey: emu.account.secretKey, webhookSecret });
  assert.equal(saved.status, 303, saved.text.slice(0, 300));
  await emu.control('/webhook_endpoints', { url: `${f.baseUrl}/webhooks/stripe`, secret: webhookSecret });
  return {
    f, emu,
    async close() {
      await f.close();
      await emu.close();
    },
  };
}

/**
 * Xero's books for a posted payout, checked the way every payout test checks them: the clearing account is
 * the named BANK account, it nets to zero, and one transfer out of it equals the payout to the penny.
 */
export async function assertPostedThroughClearing(f: SyncFixture, state: Record<string, unknown>, expected: { name: string; payoutMinor: number }): ReturnType<typeof clearingRecords> {
  const clearing = String(state.clearing_account_id);
  const account = (await f.books<Record<string, unknown>>('accounts')).find((a) => idOf(a, 'AccountID') === clearing.toLowerCase())!;
  assert.deepEqual([account.Name, account.Type, account.Status], [expected.name, 'BANK', 'ACTIVE']);
  assert.equal(await clearingBalanceCents(f, clearing), 0, 'the clearing account nets to zero');
  const books = await clearingRecords(f, clearing);
  assert.equal(books.transfers.length, 1);
  assert.equal(Math.round(Number(books.transfers[0]!.Amount) * 100), expected.payoutMinor, 'the transfer equals the payout to the penny');
  assert.equal(idOf(books.transfers[0]!.FromBankAccount, 'AccountID'), clearing.toLowerCase());
  return books;
}
