// Webhooks from the GoCardless emulator: the body and signature are what gocardless-nodejs's own
// verifier accepts; non-2xx answers are retried; duplicates, held-then-reversed delivery, byte-for-byte
// replays and re-sent old events on demand.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseWithMeta, verifySignature } from 'gocardless-nodejs/webhooks';
import { control, startEmulator, startReceiver, type Running } from './helpers';

const SECRET = 'endpoint-secret-123';
let gc: Running;

async function paymentEvents(n = 1): Promise<string[]> {
  const { body } = await control<{ mandate: { id: string } }>(gc.url, 'POST', '/mandates');
  const ids: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const res = await fetch(`${gc.url}/payments`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${gc.emulator.accessToken}`, 'GoCardless-Version': '2015-07-06', 'Content-Type': 'application/json' },
      body: JSON.stringify({ payments: { amount: 1000 + i, currency: 'GBP', links: { mandate: body.mandate.id }, metadata: { n: String(i) } } }),
    });
    assert.equal(res.status, 201);
    ids.push(((await res.json()) as { payments: { id: string } }).payments.id);
  }
  return ids;
}

describe('GoCardless emulator webhooks', () => {
  before(async () => {
    gc = await startEmulator();
  });
  after(() => gc.close());
  beforeEach(async () => {
    await control(gc.url, 'POST', '/reset');
  });

  test('signed as GoCardless signs them: the official verifier accepts the body, a tampered body fails', async () => {
    const rx = await startReceiver();
    try {
      await control(gc.url, 'POST', '/webhook_endpoints', { url: rx.url, secret: SECRET });
      const [paymentId] = await paymentEvents();
      await gc.emulator.webhooks.idle();
      assert.equal(rx.received.length, 2); // mandate created+active (control call), then payment created
      const last = rx.received[1]!;
      assert.equal(last.headers['content-type'], 'application/json');
      assert.equal(last.headers['user-agent'], 'gocardless-webhook-service/1.1');
      const signature = String(last.headers['webhook-signature']);
      assert.equal(signature, createHmac('sha256', SECRET).update(last.body).digest('hex'));
      const parsed = parseWithMeta(last.body, SECRET, signature);
      assert.match(String(parsed.webhookId), /^WB/);
      assert.equal(parsed.events.length, 1);
      assert.equal(parsed.events[0]?.resource_type, 'payments');
      assert.equal(parsed.events[0]?.action, 'created');
      assert.equal(parsed.events[0]?.links?.payment, paymentId);
      assert.throws(() => verifySignature(last.body.replace('created', 'paid_out'), SECRET, signature));
      assert.throws(() => verifySignature(last.body, 'another-secret', signature));
    } finally {
      await rx.close();
    }
  });

  test('a non-2xx answer is retried until it is accepted', async () => {
    const rx = await startReceiver([500, 503]);
    try {
      await control(gc.url, 'POST', '/webhooks/behaviour', { retryDelaysMs: [20, 20, 20] });
      await control(gc.url, 'POST', '/webhook_endpoints', { url: rx.url, secret: SECRET });
      await paymentEvents();
      await gc.emulator.webhooks.idle();
      const hooks = (await control<{ id: string; state: string; attempts: { status: number }[] }[]>(gc.url, 'GET', '/webhooks')).body;
      const statuses = hooks.flatMap((h) => h.attempts.map((a) => a.status));
      assert.deepEqual(statuses.sort(), [200, 200, 500, 503]);
      assert.ok(hooks.every((h) => h.state === 'delivered'));
      // A retried webhook is the same bytes as its first try.
      for (const hook of hooks) {
        const bodies = rx.received.filter((r) => r.body.includes(hook.id)).map((r) => r.body);
        assert.equal(bodies.length, hook.attempts.length);
        assert.equal(new Set(bodies).size, 1);
      }
    } finally {
      await rx.close();
    }
  });

  test('gives up after the last retry', async () => {
    const rx = await startReceiver([500, 500, 500, 500]);
    try {
      await control(gc.url, 'POST', '/webhooks/behaviour', { retryDelaysMs: [10, 10] });
      await control(gc.url, 'POST', '/webhook_endpoints', { url: rx.url, secret: SECRET });
      await control(gc.url, 'POST', '/mandates');
      await gc.emulator.webhooks.idle();
      const [hook] = (await control<{ state: string; attempts: unknown[] }[]>(gc.url, 'GET', '/webhooks')).body;
      assert.equal(hook?.state, 'failed');
      assert.equal(hook?.attempts.length, 3);
    } finally {
      await rx.close();
    }
  });

  test('on demand: duplicates, held and released in reverse, replayed byte for byte, old events resent', async () => {
    const rx = await startReceiver();
    try {
      await control(gc.url, 'POST', '/webhook_endpoints', { url: rx.url, secret: SECRET });
      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 2, hold: true });
      await paymentEvents(3);
      await gc.emulator.webhooks.idle();
      assert.equal(rx.received.length, 0, 'held webhooks wait');
      const released = await control<{ released: number }>(gc.url, 'POST', '/webhooks/release', { order: 'reverse' });
      assert.equal(released.body.released, 4);
      await gc.emulator.webhooks.idle();
      assert.equal(rx.received.length, 8);
      const ids = rx.received.map((r) => (JSON.parse(r.body) as { meta: { webhook_id: string } }).meta.webhook_id);
      const hooks = (await control<{ id: string }[]>(gc.url, 'GET', '/webhooks')).body.map((h) => h.id);
      assert.deepEqual(ids, [...hooks].reverse().flatMap((id) => [id, id]));

      const replay = await control<{ status: number }>(gc.url, 'POST', `/webhooks/${hooks[0]}/replay`);
      assert.equal(replay.body.status, 200);
      assert.equal(rx.received.at(-1)?.body, rx.received.find((r) => r.body.includes(hooks[0]!))?.body);

      await control(gc.url, 'POST', '/webhooks/behaviour', { duplicates: 1, hold: false });
      const events = (await control<{ id: string }[]>(gc.url, 'GET', '/events')).body;
      const resent = await control<{ id: string; eventIds: string[] }[]>(gc.url, 'POST', '/events/resend', { event_ids: [events[0]!.id] });
      await gc.emulator.webhooks.idle();
      const last = rx.received.at(-1)!;
      assert.ok(last.body.includes(resent.body[0]!.id));
      assert.doesNotThrow(() => verifySignature(last.body, SECRET, String(last.headers['webhook-signature'])));
    } finally {
      await rx.close();
    }
  });
});
