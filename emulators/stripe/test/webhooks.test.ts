// The official stripe package against the emulator (payment intent, auto-paginated payout listing,
// webhook verification with stripe.webhooks.constructEvent), and webhook delivery: Stripe's signature,
// retries with back-off on the emulator clock, duplicates, out-of-order release, replay, stale redelivery.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import type Stripe from 'stripe';
import { DAY_MS, checkShape, startEmulator, startReceiver, type Running } from './harness';
import { RETRY_DELAYS_MS } from '../webhooks';

describe('Stripe emulator with the stripe package and webhooks', () => {
  let run: Running;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let secret: string;
  let endpointId: string;
  before(async () => {
    run = await startEmulator({ account: { country: 'GB' } });
    receiver = await startReceiver();
    const endpoint = await run.stripe.webhookEndpoints.create({ url: receiver.url, enabled_events: ['*'] });
    secret = endpoint.secret!;
    endpointId = endpoint.id;
  });
  after(async () => {
    await run.close();
    await receiver.close();
  });

  const events = (type?: string): Stripe.Event[] => receiver.received.map((r) => JSON.parse(r.body) as Stripe.Event).filter((e) => !type || e.type === type);

  it('creates a payment intent, and each event arrives signed as Stripe signs it (constructEvent verifies it)', async () => {
    const pi = await run.stripe.paymentIntents.create({ amount: 2_500, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true, metadata: { ledgerbridge_sale_id: '9' } });
    assert.equal(pi.status, 'succeeded');
    await run.emulator.webhooks.flush();
    const delivery = receiver.received.find((r) => r.body.includes('"charge.succeeded"'));
    assert.ok(delivery, 'charge.succeeded delivered');
    const event = run.stripe.webhooks.constructEvent(delivery.body, delivery.signature, secret);
    checkShape(event);
    const charge = event.data.object as Stripe.Charge;
    assert.equal(charge.metadata.ledgerbridge_sale_id, '9');
    // Independently of the package: t=…,v1=HMAC-SHA256(secret, `${t}.${body}`).
    const [, t, v1] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(delivery.signature)!;
    assert.equal(createHmac('sha256', secret).update(`${t}.${delivery.body}`).digest('hex'), v1);
    assert.throws(() => run.stripe.webhooks.constructEvent(delivery.body, delivery.signature, 'whsec_wrongwrongwrong'), /No signatures found/);
    assert.throws(() => run.stripe.webhooks.constructEvent(delivery.body.replace('"9"', '"10"'), delivery.signature, secret));
  });

  it('lists a payout of 25 transactions with auto-pagination, expanding each source', async () => {
    for (let i = 0; i < 24; i += 1) await run.stripe.paymentIntents.create({ amount: 1_000 + i, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
    await run.control('/clock/advance', { ms: 4 * DAY_MS });
    const payouts = await run.stripe.payouts.list({ limit: 5 });
    assert.equal(payouts.data.length, 1);
    const payout = payouts.data[0]!;
    const lines: Stripe.BalanceTransaction[] = [];
    for await (const bt of run.stripe.balanceTransactions.list({ payout: payout.id, limit: 7, expand: ['data.source'] })) lines.push(bt);
    assert.equal(lines.length, 26); // 25 charges + the payout itself
    assert.equal(new Set(lines.map((l) => l.id)).size, 26);
    const charges = lines.filter((l) => l.type === 'charge');
    assert.equal(charges.reduce((s, l) => s + l.net, 0), payout.amount);
    assert.ok(charges.every((l) => typeof l.source === 'object' && (l.source as Stripe.Charge).object === 'charge'));
    await run.control('/clock/advance', { ms: DAY_MS });
    await run.emulator.webhooks.flush();
    assert.equal((await run.stripe.payouts.retrieve(payout.id)).status, 'paid');
    const paid = events('payout.paid');
    assert.equal(paid.length, 1);
    assert.equal((paid[0]!.data.object as Stripe.Payout).id, payout.id);
  });

  it('retries a failing endpoint with back-off on the emulator clock until it answers 2xx', async () => {
    receiver.answer.status = 500;
    const before = receiver.received.length;
    const refund = await run.stripe.refunds.create({ charge: (await run.stripe.charges.list({ limit: 1 })).data[0]!.id, amount: 100 });
    await run.emulator.webhooks.flush();
    const refunded = (): number => receiver.received.slice(before).filter((r) => r.body.includes('"charge.refunded"')).length;
    assert.equal(refunded(), 1);
    await run.control('/clock/advance', { ms: RETRY_DELAYS_MS[0]! - 1_000 });
    assert.equal(refunded(), 1, 'not retried before the back-off');
    await run.control('/clock/advance', { ms: 1_000 });
    assert.equal(refunded(), 2);
    receiver.answer.status = 200;
    await run.control('/clock/advance', { ms: RETRY_DELAYS_MS[1]! });
    assert.equal(refunded(), 3);
    await run.control('/clock/advance', { ms: DAY_MS });
    assert.equal(refunded(), 3, 'delivered: no more attempts');
    const deliveries = (await run.control(`/deliveries?account=${run.account.id}`, undefined, 'GET')).body as { eventType: string; state: string; attempts: unknown[] }[];
    const d = deliveries.find((x) => x.eventType === 'charge.refunded' && x.attempts.length === 3);
    assert.equal(d?.state, 'delivered');
    assert.ok(refund.id);
  });

  it('holds events and releases them newest first, each twice (duplicate), then replays one and redelivers one stale', async () => {
    await run.control('/webhooks/settings', { account: run.account.id, hold: true, duplicate: true });
    const before = receiver.received.length;
    await run.stripe.paymentIntents.create({ amount: 700, currency: 'gbp', payment_method: 'pm_card_gb', confirm: true });
    await run.emulator.webhooks.flush();
    assert.equal(receiver.received.length, before, 'held');
    await run.control('/webhooks/settings', { account: run.account.id, hold: false, duplicate: false });
    await run.control('/webhooks/release', { account: run.account.id, order: 'reverse' });
    const sent = receiver.received.slice(before).map((r) => JSON.parse(r.body) as Stripe.Event);
    const types = sent.map((e) => e.type);
    assert.equal(types.length, 6); // payment_intent.created, charge.succeeded, payment_intent.succeeded, each twice
    assert.equal(types.indexOf('payment_intent.succeeded') < types.indexOf('payment_intent.created'), true, 'newest first');
    assert.equal(new Set(sent.map((e) => e.id)).size, 3);
    const charge = sent.find((e) => e.type === 'charge.succeeded')!;
    // Replay: byte-identical body and header (a captured request sent again).
    const n = receiver.received.length;
    await run.control(`/events/${charge.id}/replay`, { account: run.account.id });
    const replayed = receiver.received[n]!;
    assert.ok(receiver.received.slice(before, n).some((r) => r.body === replayed.body && r.signature === replayed.signature), 'identical to an earlier delivery');
    // Stale: a valid signature from ten minutes ago fails the package's 300 s tolerance.
    const tenMinutesAgo = Math.floor(run.emulator.clock.now() / 1000) - 600;
    await run.control(`/events/${charge.id}/redeliver`, { account: run.account.id, endpoint: endpointId, signatureTimestamp: tenMinutesAgo });
    const stale = receiver.received[n + 1]!;
    assert.throws(() => run.stripe.webhooks.constructEvent(stale.body, stale.signature, secret, 300, undefined, run.emulator.clock.now()), /tolerance/);
    assert.equal(run.stripe.webhooks.constructEvent(stale.body, stale.signature, secret, 0).id, charge.id);
  });
});
