// The emulator's answers against gocardless-nodejs's own types (issue 13, item 10), over raw HTTP: the
// fields the types declare are there with the declared types (fx.fx_currency a currency, not null; the
// creditor's fx_payout_currency; Payment.scheme; Event.source and customer_notifications; the mandate's
// fields), GET /events?include= answers a `linked` block, and the checker itself catches a wrong answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_ACCESS_TOKEN, API_VERSION } from '../app';
import { answerProblems, resourceProblems } from './clientTypes';
import { control, startEmulator, type Running } from './helpers';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from the emulator

let gc: Running;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${gc.url}${path}`, {
    method,
    headers: { Authorization: `Bearer ${DEMO_ACCESS_TOKEN}`, 'GoCardless-Version': API_VERSION, 'Content-Type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function paidPayment(amount: number): Promise<{ payment: Json; mandateId: string }> {
  const { body: m } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates', { customer: { given_name: 'Ada', family_name: 'Lovelace', email: 'ada@example.test' } });
  const made = await api('POST', '/payments', { payments: { amount, currency: 'GBP', links: { mandate: m.mandate.id } } });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  return { payment: made.body.payments, mandateId: m.mandate.id };
}

describe('GoCardless emulator answers as the client types them', () => {
  before(async () => {
    gc = await startEmulator();
  });
  after(() => gc.close());

  test('payments and refunds: fx.fx_currency is the currency paid out in (not null), scheme and app_fee are there', async () => {
    const { payment } = await paidPayment(2500);
    assert.deepEqual(payment.fx, { fx_currency: 'GBP', fx_amount: null, exchange_rate: null, estimated_exchange_rate: null });
    assert.equal(payment.scheme, 'bacs');
    assert.equal(payment.app_fee, null);
    assert.equal('faster_ach' in payment, false, 'faster_ach is only on ACH payments');
    await control(gc.url, 'POST', `/payments/${payment.id}/confirm`);
    const refund = await api('POST', '/refunds', { refunds: { amount: 500, total_amount_confirmation: 500, links: { payment: payment.id } } });
    assert.equal(refund.status, 201, JSON.stringify(refund.body));
    assert.equal(refund.body.refunds.fx.fx_currency, 'GBP');
    assert.deepEqual(resourceProblems('Refund', refund.body.refunds), []);
  });

  test('the creditor names its payout currency; a mandate carries the fields the client declares', async () => {
    const creditors = await api('GET', '/creditors');
    assert.equal(creditors.body.creditors[0].fx_payout_currency, 'GBP');
    const { mandateId } = await paidPayment(1000);
    const mandate = (await api('GET', `/mandates/${mandateId}`)).body.mandates;
    assert.deepEqual(
      [mandate.authorisation_source, mandate.funds_settlement, mandate.mandate_type, mandate.consent_type, mandate.verified_at],
      ['web', 'managed', 'bank_debit', null, null],
    );
  });

  test('events carry source and customer_notifications; ?include=payment answers the linked payments once each', async () => {
    const { payment } = await paidPayment(1200);
    await control(gc.url, 'POST', `/payments/${payment.id}/confirm`);
    const listed = await api('GET', `/events?payment=${payment.id}&include=payment`);
    assert.equal(listed.status, 200);
    const events = listed.body.events as Json[];
    assert.ok(events.length >= 2);
    const created = events.find((e) => e.action === 'created')!;
    assert.deepEqual(created.source, { type: 'access_token', name: 'Emulator access token' });
    const confirmed = events.find((e) => e.action === 'confirmed')!;
    assert.equal(confirmed.source.type, 'gc_team');
    assert.ok(events.every((e) => e.customer_notifications === null));
    assert.deepEqual(Object.keys(listed.body.linked), ['payments']);
    assert.deepEqual(listed.body.linked.payments.map((p: Json) => p.id), [payment.id]);
    assert.equal(listed.body.linked.payments[0].status, 'confirmed');

    const without = await api('GET', `/events?payment=${payment.id}`);
    assert.equal(without.body.linked, undefined);
    const bad = await api('GET', '/events?include=subscription');
    assert.equal(bad.status, 422);
    assert.equal(bad.body.error.errors[0].field, 'include');
  });
});

describe('the client-types checker', () => {
  test('catches a null enum, a field the type does not declare, a declared field left out, and a wrong list', () => {
    const payment = {
      id: 'PM1', created_at: '2026-03-02T08:00:00.000Z', charge_date: '2026-03-05', amount: 100, amount_refunded: 0, app_fee: null,
      description: null, currency: 'GBP', status: 'pending_submission', reference: null, metadata: {}, retry_if_possible: true, scheme: 'bacs',
      fx: { fx_currency: 'GBP', fx_amount: null, exchange_rate: null, estimated_exchange_rate: null }, links: { mandate: 'MD1', creditor: 'CR1' },
    };
    assert.deepEqual(resourceProblems('Payment', payment), []);
    assert.match(resourceProblems('Payment', { ...payment, fx: { ...payment.fx, fx_currency: null } }).join('\n'), /fx\.fx_currency: expected one of .*GBP.*got null/);
    assert.match(resourceProblems('Payment', { ...payment, invented: 1 }).join('\n'), /\.invented: not declared/);
    const { scheme: _scheme, ...withoutScheme } = payment;
    assert.match(resourceProblems('Payment', withoutScheme).join('\n'), /\.scheme: declared by the client's type, missing/);
    assert.match(resourceProblems('Payment', { ...payment, status: 'teleported' }).join('\n'), /\.status: expected one of/);
    assert.match(resourceProblems('Payment', { ...payment, amount: '100' }).join('\n'), /\.amount: expected a number/);
    assert.match(answerProblems({ payments: [payment], meta: { cursors: { before: null, after: 3 }, limit: 50 } }, 'GET /payments').join('\n'), /meta\.cursors\.after/);
    assert.match(answerProblems({ widgets: [] }, 'GET /widgets').join('\n'), /unknown answer key widgets/);
  });
});
