// Faults on demand (each kind, path/method filters, count, rate) and the call log.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { XeroEmulator } from '../app';
import { API, basic, customConnection, listen, makeEmulator, registerOAuth2App } from './helpers';

const fault = (emulator: XeroEmulator, body: Record<string, unknown>): request.Test => request(emulator.app).post('/_emulator/faults').send(body);
const org = (emulator: XeroEmulator, bearer: string): request.Test => request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer);

describe('faults', () => {
  it('500 fires count times, then the rule is gone', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: '500', count: 2 }).expect(201);
    for (let i = 0; i < 2; i += 1) {
      const res = await org(emulator, bearer);
      assert.equal(res.status, 500);
      assert.equal(res.body.Status, 500);
    }
    await org(emulator, bearer).expect(200);
    assert.deepEqual((await request(emulator.app).get('/_emulator/faults')).body, []);
  });

  it('503 carries Retry-After', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: '503', delayMs: 7000 }).expect(201);
    const res = await org(emulator, bearer);
    assert.equal(res.status, 503);
    assert.equal(res.headers['retry-after'], '7');
  });

  it('429 looks like a real minute-limit refusal', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: '429', count: 1 }).expect(201);
    const res = await org(emulator, bearer);
    assert.equal(res.status, 429);
    assert.equal(res.headers['x-rate-limit-problem'], 'minute');
    assert.equal(res.headers['retry-after'], '60');
  });

  it('slow answers after delayMs', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: 'slow', delayMs: 150 }).expect(201);
    const started = performance.now();
    await org(emulator, bearer).expect(200);
    assert.ok(performance.now() - started >= 140);
  });

  it('timeout drops the connection without an answer, and the call does not happen', async () => {
    const emulator = makeEmulator();
    const served = await listen(emulator);
    try {
      const { bearer } = await customConnection(emulator);
      await fault(emulator, { kind: 'timeout', delayMs: 50, method: 'PUT', count: 1 }).expect(201);
      await assert.rejects(
        request(served.baseUrl).put(`${API}/Contacts`).set('Authorization', bearer).send({ Contacts: [{ Name: 'Lost Ltd' }] }),
        /socket hang up|ECONNRESET/,
      );
      const contacts = await request(served.baseUrl).get(`${API}/Contacts`).set('Authorization', bearer).expect(200);
      assert.equal(contacts.body.Contacts.some((c: { Name: string }) => c.Name === 'Lost Ltd'), false);
    } finally {
      await served.close();
    }
  });

  it('timeout with landed: the write happens, the answer is lost, an idempotent retry gets the recorded answer', async () => {
    const emulator = makeEmulator();
    const served = await listen(emulator);
    try {
      const { bearer } = await customConnection(emulator);
      await fault(emulator, { kind: 'timeout', delayMs: 50, method: 'PUT', count: 1, landed: true }).expect(201);
      const put = (): request.Test =>
        request(served.baseUrl).put(`${API}/Contacts`).set('Authorization', bearer).set('Idempotency-Key', 'landed-1').send({ Contacts: [{ Name: 'Landed Ltd' }] });
      await assert.rejects(put(), /socket hang up|ECONNRESET/);
      const retry = await put().expect(200);
      assert.equal(retry.headers['x-emulator-idempotent-replay'], 'true');
      const contacts = await request(served.baseUrl).get(`${API}/Contacts`).set('Authorization', bearer).expect(200);
      assert.equal(contacts.body.Contacts.filter((c: { Name: string }) => c.Name === 'Landed Ltd').length, 1);
    } finally {
      await served.close();
    }
  });

  it('stall holds a write before Xero processes it: nothing is there to find until it is released', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: 'stall', method: 'PUT', count: 1 }).expect(201);
    const put = request(emulator.app).put(`${API}/Contacts`).set('Authorization', bearer).set('Idempotency-Key', 'stalled-1').send({ Contacts: [{ Name: 'Stalled Ltd' }] });
    const answered = put.then((res) => res);
    const stalled = async () => ((await request(emulator.app).get('/_emulator/faults/stalled').expect(200)).body as { stalled: number }).stalled;
    while ((await stalled()) === 0) await new Promise((resolve) => setImmediate(resolve));
    const named = async () => ((await request(emulator.app).get(`${API}/Contacts`).set('Authorization', bearer).expect(200)).body.Contacts as { Name: string }[])
      .filter((c) => c.Name === 'Stalled Ltd').length;
    assert.equal(await named(), 0, 'not processed while stalled');
    assert.deepEqual((await request(emulator.app).post('/_emulator/faults/release').expect(200)).body, { released: 1 });
    assert.equal((await answered).status, 200);
    assert.equal(await named(), 1);
    assert.equal(await stalled(), 0);
  });

  it('targets the token endpoint by path prefix and method, leaving the API alone', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const client = await registerOAuth2App(emulator);
    await fault(emulator, { kind: '503', path: '/connect/token', method: 'post' }).expect(201);
    const res = await request(emulator.app).post('/connect/token').set('Authorization', basic(client)).type('form').send({ grant_type: 'client_credentials' });
    assert.equal(res.status, 503);
    await org(emulator, bearer).expect(200);
  });

  it('matches a regular expression path and honours the rate', async () => {
    const values = [0.9, 0.1];
    const emulator = makeEmulator({ random: () => values.shift() ?? 0.9 });
    const { bearer } = await customConnection(emulator);
    await fault(emulator, { kind: '500', path: 'Organi[s]ation$', rate: 0.5 }).expect(201);
    await org(emulator, bearer).expect(200);
    assert.equal((await org(emulator, bearer)).status, 500);
    await request(emulator.app).get(`${API}/Contacts`).set('Authorization', bearer).expect(200);
  });

  it('refuses malformed fault rules and deletes one by id', async () => {
    const emulator = makeEmulator();
    assert.equal((await fault(emulator, { kind: 'boom' })).status, 400);
    assert.equal((await fault(emulator, { kind: '500', rate: 2 })).status, 400);
    assert.equal((await fault(emulator, { kind: '500', path: '(' })).status, 400);
    const created = await fault(emulator, { kind: '500' }).expect(201);
    await request(emulator.app).delete(`/_emulator/faults/${created.body.id}`).expect(204);
    await request(emulator.app).delete(`/_emulator/faults/${created.body.id}`).expect(404);
  });
});

describe('call log', () => {
  it('records method, full URL, headers, body, status and timing; filters by since; clears', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const before = await request(emulator.app).get('/_emulator/calls').expect(200);
    const lastSeq = before.body.at(-1).seq as number;
    await request(emulator.app).put(`${API}/Contacts?summarizeErrors=false`).set('Authorization', bearer).send({ Contacts: [{ Name: 'Logged Ltd' }] }).expect(200);
    await fault(emulator, { kind: '500', count: 1 });
    await org(emulator, bearer);
    const calls = (await request(emulator.app).get(`/_emulator/calls?since=${lastSeq}`).expect(200)).body;
    assert.equal(calls.length, 2);
    const [put, failed] = calls;
    assert.equal(put.method, 'PUT');
    assert.match(put.url, /^http:\/\/127\.0\.0\.1:\d+\/api\.xro\/2\.0\/Contacts\?summarizeErrors=false$/);
    assert.equal(put.headers.authorization, bearer);
    assert.deepEqual(JSON.parse(put.body), { Contacts: [{ Name: 'Logged Ltd' }] });
    assert.equal(put.status, 200);
    assert.equal(typeof put.durationMs, 'number');
    assert.ok(put.atIso);
    assert.equal(failed.status, 500);
    assert.equal(failed.fault, '500');
    const byDate = (await request(emulator.app).get(`/_emulator/calls?since=${encodeURIComponent(new Date(emulator.clock.now()).toISOString())}`)).body;
    assert.ok(byDate.length >= 2);
    await request(emulator.app).delete('/_emulator/calls').expect(204);
    assert.deepEqual((await request(emulator.app).get('/_emulator/calls')).body, []);
  });
});
