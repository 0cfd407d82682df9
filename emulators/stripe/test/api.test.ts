/* eslint-disable @typescript-eslint/no-explicit-any -- Stripe JSON answers are read loosely in tests; their shape is checked against the spec */
// The /v1 API over HTTP: every answer checked against Stripe's OpenAPI schemas; money rules (fees,
// availability, refunds, disputes, payout sweep); auth, errors, idempotency, pagination and expand.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { api, DAY_MS, startEmulator, type Running } from './harness';

describe('Stripe emulator API', () => {
  let run: Running;
  before(async () => {
    run = await startEmulator({ clockStart: Date.UTC(2026, 2, 2, 10), account: { country: 'GB' } });
  });
  after(async () => run.close());

  const pay = async (amount: number, pm = 'pm_card_gb', metadata: Record<string, string> = {}) => {
    const form: Record<string, string> = { amount: String(amount), currency: 'gbp', payment_method: pm, confirm: 'true' };
    for (const [k, v] of Object.entries(metadata)) form[`metadata[${k}]`] = v;
    return api(run, 'POST', '/payment_intents', form);
  };

  it('charges a UK card at 1.5 % + 20p and an international card at 3.25 % + 20p, with metadata', async () => {
    const uk = await pay(10_000, 'pm_card_gb', { ledgerbridge_sale_id: '42' });
    assert.equal(uk.status, 200);
    assert.equal(uk.body.status, 'succeeded');
    const charge = await api(run, 'GET', `/charges/${uk.body.latest_charge}?expand[]=balance_transaction`);
    assert.equal(charge.body.metadata.ledgerbridge_sale_id, '42');
    assert.equal(charge.body.balance_transaction.fee, 170);
    assert.equal(charge.body.balance_transaction.net, 9_830);
    assert.equal(charge.body.balance_transaction.status, 'pending');
    const us = await pay(10_000, 'pm_card_visa');
    const usCharge = await api(run, 'GET', `/charges/${us.body.latest_charge}?expand[]=balance_transaction`);
    assert.equal(usCharge.body.balance_transaction.fee, 345);
  });

  it('declines test cards with Stripe card errors (402) and records the failed charge', async () => {
    const res = await pay(5_000, 'pm_card_chargeDeclinedInsufficientFunds');
    assert.equal(res.status, 402);
    assert.equal(res.body.error.type, 'card_error');
    assert.equal(res.body.error.decline_code, 'insufficient_funds');
    const charge = await api(run, 'GET', `/charges/${res.body.error.charge}`);
    assert.equal(charge.body.status, 'failed');
  });

  it('refunds in full and in part, refusing more than is left', async () => {
    const pi = await pay(2_000);
    const part = await api(run, 'POST', '/refunds', { payment_intent: pi.body.id, amount: '500' });
    assert.equal(part.body.amount, 500);
    const tooMuch = await api(run, 'POST', '/refunds', { charge: pi.body.latest_charge, amount: '1600' });
    assert.equal(tooMuch.status, 400);
    assert.equal(tooMuch.body.error.param, 'amount');
    const rest = await api(run, 'POST', '/refunds', { charge: pi.body.latest_charge });
    assert.equal(rest.body.amount, 1_500);
    const again = await api(run, 'POST', '/refunds', { charge: pi.body.latest_charge });
    assert.equal(again.body.error.code, 'charge_already_refunded');
    const charge = await api(run, 'GET', `/charges/${pi.body.latest_charge}?expand[]=refunds`);
    assert.equal(charge.body.refunded, true);
    assert.equal(charge.body.refunds.data.length, 2);
  });

  it('disputes withdraw the amount plus a £20 fee; a won dispute reverses both', async () => {
    const pi = await pay(3_000);
    const created = await run.control('/disputes', { charge: pi.body.latest_charge });
    assert.equal(created.status, 201);
    const dispute = await api(run, 'GET', `/disputes/${created.body.id}?expand[]=balance_transactions`);
    assert.equal(dispute.body.balance_transactions[0].amount, -3_000);
    assert.equal(dispute.body.balance_transactions[0].fee, 2_000);
    assert.equal(dispute.body.balance_transactions[0].reporting_category, 'dispute');
    const won = await run.control(`/disputes/${created.body.id}/close`, { outcome: 'won' });
    assert.equal(won.body.status, 'won');
    const bts = await api(run, 'GET', `/balance_transactions?source=${created.body.id}`);
    assert.deepEqual(bts.body.data.map((b: any) => [b.reporting_category, b.amount, b.fee]), [['dispute_reversal', 3_000, -2_000], ['dispute', -3_000, 2_000]]);
  });

  it('sweeps the available balance into a payout, lists its transactions by cursor, and pays it on arrival', async () => {
    const before = await api(run, 'GET', '/balance');
    assert.ok(before.body.pending[0].amount > 0);
    await run.control('/clock/advance', { ms: 4 * DAY_MS });
    const payouts = await api(run, 'GET', '/payouts');
    assert.equal(payouts.body.data.length, 1);
    const payout = payouts.body.data[0];
    assert.equal(payout.status, 'in_transit');
    const pages: any[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await api(run, 'GET', `/balance_transactions?payout=${payout.id}&limit=3&expand[]=data.source${cursor ? `&starting_after=${cursor}` : ''}`);
      pages.push(...page.body.data);
      if (!page.body.has_more) break;
      cursor = page.body.data.at(-1).id;
    }
    const swept = pages.filter((b) => b.type !== 'payout');
    assert.equal(swept.reduce((s, b) => s + b.net, 0), payout.amount);
    assert.equal(pages.filter((b) => b.type === 'payout').length, 1);
    assert.ok(pages.filter((b) => b.type === 'charge').every((b) => b.source.object === 'charge'));
    // ending_before walks back: the page before the last one is the same as going forwards.
    const last = pages.at(-1).id;
    const back = await api(run, 'GET', `/balance_transactions?payout=${payout.id}&limit=2&ending_before=${last}`);
    assert.deepEqual(back.body.data.map((b: any) => b.id), pages.slice(-3, -1).map((b) => b.id));
    const balance = await api(run, 'GET', '/balance');
    assert.equal(balance.body.available[0].amount, 0);
    await run.control('/clock/advance', { ms: DAY_MS });
    const paid = await api(run, 'GET', `/payouts/${payout.id}`);
    assert.equal(paid.body.status, 'paid');
  });

  it('refuses bad keys, unknown parameters, missing objects and unknown URLs the way Stripe does', async () => {
    const noKey = await fetch(`${run.url}/v1/balance`);
    assert.equal(noKey.status, 401);
    const badKey = await fetch(`${run.url}/v1/balance`, { headers: { authorization: `Basic ${Buffer.from('sk_test_wrongwrongwrong:').toString('base64')}` } });
    assert.equal(badKey.status, 401);
    assert.match(((await badKey.json()) as any).error.message, /Invalid API Key provided: sk_test_/);
    const unknown = await api(run, 'POST', '/refunds', { charge: 'ch_x', colour: 'red' });
    assert.equal(unknown.body.error.param, 'colour');
    const missing = await api(run, 'GET', '/charges/ch_nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'resource_missing');
    const amount = await api(run, 'POST', '/payment_intents', { amount: 'ten', currency: 'gbp' });
    assert.equal(amount.body.error.code, 'parameter_invalid_integer');
    const url = await api(run, 'GET', '/nothing');
    assert.equal(url.status, 404);
  });

  it('Idempotency-Key: the same request gets the first answer, different parameters are refused', async () => {
    const headers = { 'idempotency-key': 'key-1' };
    const first = await api(run, 'POST', '/customers', { email: 'a@example.test' }, headers);
    const second = await api(run, 'POST', '/customers', { email: 'a@example.test' }, headers);
    assert.equal(second.body.id, first.body.id);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    const other = await api(run, 'POST', '/customers', { email: 'b@example.test' }, headers);
    assert.equal(other.status, 400);
    assert.equal(other.body.error.type, 'idempotency_error');
    const list = await api(run, 'GET', '/customers?email=a@example.test');
    assert.equal(list.body.data.length, 1);
  });

  it('webhook endpoints and events through the API have Stripe shapes', async () => {
    const created = await api(run, 'POST', '/webhook_endpoints', { url: 'http://127.0.0.1:9/hook', 'enabled_events[0]': 'payout.paid' });
    assert.match(created.body.secret, /^whsec_/);
    const events = await api(run, 'GET', '/events?type=payout.*&limit=5');
    assert.ok(events.body.data.some((e: any) => e.type === 'payout.paid'));
    const deleted = await api(run, 'DELETE', `/webhook_endpoints/${created.body.id}`);
    assert.equal(deleted.body.deleted, true);
    const account = await api(run, 'GET', '/account');
    assert.equal(account.body.id, run.account.id);
  });
});
