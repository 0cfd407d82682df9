/* eslint-disable @typescript-eslint/no-explicit-any -- hand-made answers */
// The conformance check itself (test/conformance.ts) must be able to fail: answers that break Stripe's
// 2023-08-16 contract in each way it guards are reported, and a conforming answer is not. The answers are
// the emulator's own (called over HTTP), then broken one way each.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { StripeAnswer } from '../app';
import { answerProblems, eventProblems } from './conformance';
import { startEmulator, type Running } from './harness';

describe('Stripe conformance check', () => {
  let run: Running;
  const answers: StripeAnswer[] = [];
  before(async () => {
    run = await startEmulator({ account: { country: 'GB' } });
  });
  after(async () => run.close());

  const capture = async (method: string, path: string, params: Record<string, unknown> = {}): Promise<StripeAnswer> => {
    const url = new URL(`${run.url}/v1${path}`);
    const form = method === 'GET' ? undefined : new URLSearchParams(params as Record<string, string>).toString();
    if (method === 'GET') for (const [k, v] of Object.entries(params)) url.searchParams.append(k, String(v));
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${run.account.secretKey}`, ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(form ? { body: form } : {}) });
    // The parameters as the emulator parses them (qs): `expand[]` is the list `expand`.
    const parsed = Object.fromEntries(Object.entries(params).map(([k, v]) => (k.endsWith('[]') ? [k.slice(0, -2), [v]] : [k, v])));
    const answer: StripeAnswer = { method, path: url.pathname, params: parsed, status: res.status, stripeVersion: res.headers.get('stripe-version') ?? undefined, body: await res.json() };
    answers.push(answer);
    return answer;
  };
  const broken = (answer: StripeAnswer, change: (body: any) => void, rest: Partial<StripeAnswer> = {}): StripeAnswer => {
    const body = structuredClone(answer.body) as any;
    change(body);
    return { ...answer, ...rest, body };
  };

  it('passes the emulator\'s own answers', async () => {
    const pi = await capture('POST', '/payment_intents', { amount: '3000', currency: 'gbp', payment_method: 'pm_card_gb', confirm: 'true' });
    const charge = await capture('GET', `/charges/${(pi.body as any).latest_charge}`);
    const balance = await capture('GET', '/balance');
    const list = await capture('GET', '/balance_transactions', { 'expand[]': 'data.source' });
    for (const a of [pi, charge, balance, list]) assert.deepEqual(answerProblems(a), [], `${a.method} ${a.path}`);
  });

  it('reports fields of another version, unasked expansions and inclusions, unknown operations and versions', async () => {
    const [pi, charge, balance, list] = answers as [StripeAnswer, StripeAnswer, StripeAnswer, StripeAnswer];
    const one = (a: StripeAnswer): string => {
      const problems = answerProblems(a);
      assert.ok(problems.length > 0, `no problem found in ${a.method} ${a.path}`);
      return problems.join('\n');
    };
    assert.match(one(broken(balance, (b) => { b.id = 'balance'; b.created = 1; })), /additional properties.*"id"/s);
    assert.match(one(broken(pi, (b) => { b.source = null; })), /additional properties.*"source"/s);
    assert.match(one(broken(charge, (b) => { b.refunds = { object: 'list', data: [], has_more: false, url: `/v1/charges/${b.id}/refunds` }; })), /charge\.refunds at refunds is only included when expand/);
    assert.match(one(broken(charge, (b) => { b.balance_transaction = { id: b.balance_transaction, object: 'balance_transaction' }; })), /charge\.balance_transaction .*expanded, but the request did not ask/);
    assert.match(one(broken(list, (b) => { b.data[0].balance_type = 'payments'; })), /additional properties.*"balance_type"/s);
    assert.match(one(broken(list, () => undefined, { path: '/v1/balance_transactions/txn_1/reverse', method: 'POST' })), /no such operation/);
    assert.match(one(broken(balance, () => undefined, { stripeVersion: '2026-10-28.endive' })), /Stripe-Version header is 2026-10-28\.endive/);
    assert.match(one(broken(charge, (b) => { b.status = 'paid_in_full'; }, { status: 200 })), /status/);
    assert.match(one(broken(balance, () => undefined, { status: 400 })), /not Stripe's error shape/);
  });

  it('checks each event\'s data.object as the object it names', () => {
    const event = run.emulator.webhooks.events(run.account.id)[0] as any;
    assert.deepEqual(eventProblems(event), []);
    const bad = structuredClone(event);
    bad.data.object.payout_method = 'standard';
    assert.match(eventProblems(bad).join('\n'), /additional properties.*payout_method/s);
  });
});
