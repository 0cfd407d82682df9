// The GoCardless emulator through the product's own client (plugins/gocardless/client.ts): auth and
// version rules, error shapes, the payment lifecycle on the clock, fees with VAT, payouts and their items,
// refunds with total_amount_confirmation, idempotency, cursor pagination, events.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { GoCardlessClient, type GoCardlessApiError } from '../../../plugins/gocardless/client';
import { AuthRevokedError, PermanentError } from '../../../server/errors';
import { DEMO_ACCESS_TOKEN } from '../app';
import { transactionFee, taxOnFee, DEFAULT_FEES } from '../money';
import { control, DAY, startEmulator, type Running } from './helpers';

let gc: Running;
let client: GoCardlessClient;

async function mandate(): Promise<string> {
  const res = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.test' } });
  assert.equal(res.status, 201);
  return res.body.mandate.id;
}

describe('GoCardless emulator API', () => {
  before(async () => {
    gc = await startEmulator();
    client = new GoCardlessClient({ baseUrl: gc.url, accessToken: DEMO_ACCESS_TOKEN, timeoutMs: 5000 });
  });
  after(() => gc.close());

  test('fees: 1 % + 20p capped at £4, VAT on the capped fee', () => {
    const gbp = DEFAULT_FEES.GBP!;
    assert.equal(transactionFee(1000, gbp), 30);
    assert.equal(transactionFee(12_345, gbp), 143); // 123.45 → 123 + 20
    assert.equal(transactionFee(1_000_000, gbp), 400);
    assert.equal(taxOnFee(400, 2000), 80);
    assert.equal(taxOnFee(-143, 2000), -29);
  });

  test('no token, an unknown token, no version header → GoCardless errors', async () => {
    const noAuth = await fetch(`${gc.url}/payouts`, { headers: { 'GoCardless-Version': '2015-07-06' } });
    assert.equal(noAuth.status, 401);
    const body = (await noAuth.json()) as { error: { type: string; code: number; errors: { reason: string }[]; request_id: string } };
    assert.equal(body.error.type, 'invalid_api_usage');
    assert.equal(body.error.code, 401);
    assert.equal(body.error.errors[0]?.reason, 'access_token_not_found');
    assert.equal(noAuth.headers.get('x-request-id'), body.error.request_id);

    const noVersion = await fetch(`${gc.url}/payouts`, { headers: { Authorization: `Bearer ${DEMO_ACCESS_TOKEN}` } });
    assert.equal(noVersion.status, 400);
    assert.equal(((await noVersion.json()) as { error: { errors: { reason: string }[] } }).error.errors[0]?.reason, 'missing_version_header');

    const stranger = new GoCardlessClient({ baseUrl: gc.url, accessToken: 'not-a-token' });
    await assert.rejects(stranger.creditor(), AuthRevokedError);
  });

  test('validation errors name the fields; nothing is created', async () => {
    const before = gc.emulator.books.payments.size;
    await assert.rejects(client.createPayment({ amount: -5, currency: 'XYZ', mandate: 'MD404' }), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      const api = err.cause as GoCardlessApiError;
      assert.equal(api.status, 422);
      assert.equal(api.type, 'validation_failed');
      assert.deepEqual(api.errors.map((e) => e.field).sort(), ['amount', 'currency', 'links.mandate']);
      return true;
    });
    assert.equal(gc.emulator.books.payments.size, before);
  });

  test('a payment walks pending_submission → submitted → confirmed → paid_out; the payout nets fees and VAT', async () => {
    const md = await mandate();
    const p = await client.createPayment({ amount: 12_345, currency: 'GBP', mandate: md, description: 'Membership', metadata: { ledgerbridge_sale_id: '42' } });
    assert.equal(p.status, 'pending_submission');
    assert.equal(p.charge_date, '2026-03-04');
    assert.deepEqual(p.metadata, { ledgerbridge_sale_id: '42' });

    await control(gc.url, 'POST', '/clock/advance', { ms: DAY });
    assert.equal((await client.payment(p.id)).status, 'submitted');
    await control(gc.url, 'POST', '/clock/advance', { ms: 2 * DAY }); // Thu 08:00: confirmed on Thu 00:00
    assert.equal((await client.payment(p.id)).status, 'confirmed');
    await control(gc.url, 'POST', '/clock/advance', { ms: 2 * 3_600_000 }); // 10:00: 09:00 run done, paid 10:00
    const paid = await client.payment(p.id);
    assert.equal(paid.status, 'paid_out');
    assert.ok(paid.links.payout);

    const payout = await client.payout(paid.links.payout);
    assert.equal(payout.status, 'paid');
    assert.equal(payout.currency, 'GBP');
    assert.equal(payout.arrival_date, '2026-03-06');
    // fee 143, VAT 29 → 172 deducted.
    assert.equal(payout.deducted_fees, 172);
    assert.equal(payout.amount, 12_345 - 172);
    const items = await client.allPayoutItems(payout.id);
    assert.deepEqual(items, [
      { type: 'payment_paid_out', amount: '12345.0', taxes: [], links: { payment: p.id, mandate: md } },
      { type: 'gocardless_fee', amount: '-172.0', taxes: [{ amount: '29.0', currency: 'GBP', destination_amount: '29.0', destination_currency: 'GBP', exchange_rate: null, tax_rate_id: 'GB_VAT_1' }], links: { payment: p.id, mandate: md } },
    ]);

    const events = await client.eventsPage({ payment: p.id });
    assert.deepEqual(events.items.map((e) => e.action).reverse(), ['created', 'submitted', 'confirmed', 'paid_out']);
    assert.equal(events.items[0]?.links.payout, payout.id);
    assert.deepEqual(events.items[0]?.resource_metadata, { ledgerbridge_sale_id: '42' });
    const payoutEvents = await client.eventsPage({ resource_type: 'payouts', payout: payout.id });
    assert.deepEqual(payoutEvents.items.map((e) => e.action), ['paid']);
  });

  test('refunds need total_amount_confirmation; over-refunds are refused; Idempotency-Key finds the first refund', async () => {
    const md = await mandate();
    const p = await client.createPayment({ amount: 5000, currency: 'GBP', mandate: md });
    await assert.rejects(client.createRefund({ payment: p.id, amount: 100, totalAmountConfirmation: 100 }), /only confirmed or paid out/);
    await control(gc.url, 'POST', `/payments/${p.id}/confirm`);
    await assert.rejects(client.createRefund({ payment: p.id, amount: 100, totalAmountConfirmation: 50 }), /total_amount_confirmation must be 100/);
    const first = await client.createRefund({ payment: p.id, amount: 1500, totalAmountConfirmation: 1500 }, 'refund-key-1');
    const again = await client.createRefund({ payment: p.id, amount: 1500, totalAmountConfirmation: 1500 }, 'refund-key-1');
    assert.equal(again.id, first.id);
    assert.equal((await client.payment(p.id)).amount_refunded, 1500);
    await assert.rejects(client.createRefund({ payment: p.id, amount: 4000, totalAmountConfirmation: 5500 }), /Only 3500/);
    const [payout] = (await control<{ id: string; amount: number; items: { type: string; amount: string }[] }[]>(gc.url, 'POST', '/payouts/run')).body;
    assert.ok(payout);
    assert.deepEqual(payout.items.map((i) => [i.type, i.amount]), [['payment_paid_out', '5000.0'], ['gocardless_fee', '-84.0'], ['payment_refunded', '-1500.0']]);
    assert.equal(payout.amount, 5000 - 84 - 1500);
    assert.equal((await client.refund(first.id)).status, 'paid');
  });

  test('chargebacks and late failures debit the payment, give fees back and take the surcharge', async () => {
    const { body } = await control<{ access_token: string; creditor: { id: string } }>(gc.url, 'POST', '/creditors', { name: 'Surcharged Ltd', surcharge_minor: 150 });
    const other = new GoCardlessClient({ baseUrl: gc.url, accessToken: body.access_token });
    const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { creditor: body.creditor.id });
    const a = await other.createPayment({ amount: 20_000, currency: 'GBP', mandate: m.mandate.id });
    const b = await other.createPayment({ amount: 30_000, currency: 'GBP', mandate: m.mandate.id });
    const c = await other.createPayment({ amount: 1_000, currency: 'GBP', mandate: m.mandate.id });
    for (const p of [a, b, c]) await control(gc.url, 'POST', `/payments/${p.id}/confirm`);
    await control(gc.url, 'POST', '/payouts/run', { creditor: body.creditor.id });
    await control(gc.url, 'POST', `/payments/${a.id}/charge_back`);
    await control(gc.url, 'POST', `/payments/${c.id}/fail`);
    const d = await other.createPayment({ amount: 100_000, currency: 'GBP', mandate: m.mandate.id });
    await control(gc.url, 'POST', `/payments/${d.id}/confirm`);
    const [second] = (await control<{ id: string; amount: number; deducted_fees: number }[]>(gc.url, 'POST', '/payouts/run', { creditor: body.creditor.id })).body;
    assert.ok(second);
    const items = await other.allPayoutItems(second.id);
    const sum = items.reduce((s, i) => s + Number(i.amount), 0);
    assert.equal(second.amount, sum);
    assert.deepEqual(items.map((i) => [i.type, i.amount, i.links.payment]), [
      ['payment_charged_back', '-20000.0', a.id], ['gocardless_fee', '264.0', a.id], ['surcharge_fee', '-180.0', a.id],
      ['payment_failed', '-1000.0', c.id], ['gocardless_fee', '36.0', c.id], ['surcharge_fee', '-180.0', c.id],
      ['payment_paid_out', '100000.0', d.id], ['gocardless_fee', '-480.0', d.id],
    ]);
    assert.equal(items[1]?.taxes?.[0]?.amount, '-44.0');
    assert.equal((await other.payment(a.id)).status, 'charged_back');
    // One account never sees another's resources.
    await assert.rejects(client.payment(a.id), /Resource not found/);
  });

  test('cursor pagination: after / before / limit, envelope and cursors', async () => {
    const md = await mandate();
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) {
      ids.push((await client.createPayment({ amount: 100 + i, currency: 'GBP', mandate: md })).id);
      await control(gc.url, 'POST', '/clock/advance', { ms: 1000 });
    }
    const newest = [...ids].reverse();
    const get = async (q: string) => {
      const res = await fetch(`${gc.url}/payments?mandate=${md}&${q}`, { headers: { Authorization: `Bearer ${DEMO_ACCESS_TOKEN}`, 'GoCardless-Version': '2015-07-06' } });
      return (await res.json()) as { payments: { id: string }[]; meta: { cursors: { before: string | null; after: string | null }; limit: number } };
    };
    const p1 = await get('limit=3');
    assert.deepEqual(p1.payments.map((p) => p.id), newest.slice(0, 3));
    assert.deepEqual(p1.meta, { cursors: { before: null, after: newest[2] }, limit: 3 });
    const p2 = await get(`limit=3&after=${p1.meta.cursors.after}`);
    assert.deepEqual(p2.payments.map((p) => p.id), newest.slice(3, 6));
    assert.deepEqual(p2.meta.cursors, { before: newest[3], after: newest[5] });
    const p3 = await get(`limit=3&after=${p2.meta.cursors.after}`);
    assert.deepEqual(p3.payments.map((p) => p.id), newest.slice(6));
    assert.equal(p3.meta.cursors.after, null);
    const back = await get(`limit=3&before=${p2.meta.cursors.before}`);
    assert.deepEqual(back.payments.map((p) => p.id), newest.slice(0, 3));
    const badLimit = await fetch(`${gc.url}/payments?limit=501`, { headers: { Authorization: `Bearer ${DEMO_ACCESS_TOKEN}`, 'GoCardless-Version': '2015-07-06' } });
    assert.equal(badLimit.status, 400);

    // Payouts through the client's cursor-following helper.
    for (const id of ids) await control(gc.url, 'POST', `/payments/${id}/confirm`);
    const made: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const extra = await client.createPayment({ amount: 500, currency: 'GBP', mandate: md });
      await control(gc.url, 'POST', `/payments/${extra.id}/confirm`);
      const run = await control<{ id: string }[]>(gc.url, 'POST', '/payouts/run');
      made.push(...run.body.map((p) => p.id));
      await control(gc.url, 'POST', '/clock/advance', { ms: 1000 });
    }
    const all = await client.allPayouts();
    for (const id of made) assert.ok(all.some((p) => p.id === id));
    assert.equal(new Set(all.map((p) => p.id)).size, all.length);
  });

  test('payout items are gone (410) for payouts older than 6 months; ?payout= is required', async () => {
    const md = await mandate();
    const p = await client.createPayment({ amount: 900, currency: 'GBP', mandate: md });
    await control(gc.url, 'POST', `/payments/${p.id}/confirm`);
    const [payout] = (await control<{ id: string }[]>(gc.url, 'POST', '/payouts/run')).body;
    assert.ok(payout);
    const missing = await fetch(`${gc.url}/payout_items`, { headers: { Authorization: `Bearer ${DEMO_ACCESS_TOKEN}`, 'GoCardless-Version': '2015-07-06' } });
    assert.equal(missing.status, 422);
    await control(gc.url, 'POST', '/clock/advance', { ms: 200 * DAY });
    await assert.rejects(client.allPayoutItems(payout.id), (err: unknown) => err instanceof PermanentError && (err.cause as GoCardlessApiError).status === 410);
  });
});
