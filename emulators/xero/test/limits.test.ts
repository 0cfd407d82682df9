// Xero's rate limits (minute, concurrent, day, app-minute) with their headers, and Idempotency-Key
// replay, all on the emulated clock.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import request from 'supertest';
import type { XeroEmulator } from '../app';
import { advance, API, connectedClient, customConnection, makeEmulator, tenants } from './helpers';

const get = (emulator: XeroEmulator, bearer: string, tenantId?: string): request.Test => {
  const req = request(emulator.app).get(`${API}/Organisation`).set('Authorization', bearer);
  return tenantId ? req.set('xero-tenant-id', tenantId) : req;
};

describe('rate limits', () => {
  it('allows 60 calls a minute per tenant, counts down the headers, then 429 minute with Retry-After', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    for (let i = 1; i <= 60; i += 1) {
      const res = await get(emulator, bearer);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-minlimit-remaining'], String(60 - i));
      assert.equal(res.headers['x-daylimit-remaining'], String(5000 - i));
      assert.equal(res.headers['x-appminlimit-remaining'], String(10_000 - i));
      assert.equal(res.headers['x-rate-limit-problem'], undefined);
      if (i === 30) await advance(emulator, 20_000);
    }
    const refused = await get(emulator, bearer);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['x-rate-limit-problem'], 'minute');
    assert.equal(refused.headers['retry-after'], '40');
    assert.equal(refused.headers['x-minlimit-remaining'], '0');
    await advance(emulator, 40_000);
    // The first 30 calls have left the rolling window; the next 30 have not.
    const again = await get(emulator, bearer).expect(200);
    assert.equal(again.headers['x-minlimit-remaining'], '29');
  });

  it('allows 5 calls in flight per tenant; the 6th gets 429 concurrent', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await request(emulator.app).post('/_emulator/faults').send({ kind: 'slow', delayMs: 300, path: '/api.xro/2.0/Organisation' }).expect(201);
    const answers = await Promise.all(Array.from({ length: 6 }, () => get(emulator, bearer)));
    const refused = answers.filter((r) => r.status === 429);
    assert.equal(answers.filter((r) => r.status === 200).length, 5);
    assert.equal(refused.length, 1);
    assert.equal(refused[0]?.headers['x-rate-limit-problem'], 'concurrent');
    assert.ok(Number(refused[0]?.headers['retry-after']) >= 1);
    await request(emulator.app).delete('/_emulator/faults').expect(204);
    await get(emulator, bearer).expect(200);
  });

  it('enforces the day limit (lowered through the control API) with a day-long Retry-After', async () => {
    const emulator = makeEmulator();
    const connection = await customConnection(emulator);
    const { bearer } = connection;
    await request(emulator.app).post('/_emulator/limits').send({ perDay: 3 }).expect(200);
    for (let i = 0; i < 3; i += 1) {
      await get(emulator, bearer).expect(200);
      await advance(emulator, 5 * 60_000);
    }
    const refused = await get(emulator, bearer);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['x-rate-limit-problem'], 'day');
    assert.equal(refused.headers['x-daylimit-remaining'], '0');
    assert.equal(Number(refused.headers['retry-after']), 24 * 3600 - 15 * 60);
    await advance(emulator, 24 * 3600_000 - 15 * 60_000);
    await get(emulator, await connection.renew()).expect(200);
  });

  it('enforces the per-app minute limit across tenants, while tenant minutes are separate', async () => {
    const emulator = makeEmulator({ limits: { appPerMinute: 3 } });
    const [first, second] = tenants(emulator) as [string, string];
    const { tokens } = await connectedClient(emulator, { tenantIds: [first, second] });
    const bearer = `Bearer ${tokens.access_token}`;
    const a1 = await get(emulator, bearer, first).expect(200);
    assert.equal(a1.headers['x-appminlimit-remaining'], '2');
    await get(emulator, bearer, first).expect(200);
    const b1 = await get(emulator, bearer, second).expect(200);
    assert.equal(b1.headers['x-minlimit-remaining'], '59');
    assert.equal(b1.headers['x-appminlimit-remaining'], '0');
    const refused = await get(emulator, bearer, second);
    assert.equal(refused.status, 429);
    assert.equal(refused.headers['x-rate-limit-problem'], 'appminute');
    assert.equal(refused.headers['retry-after'], '60');
    // Another app is not affected.
    const other = await customConnection(emulator, first);
    await get(emulator, other.bearer).expect(200);
  });

  it('refuses invalid limit settings', async () => {
    const emulator = makeEmulator();
    assert.equal((await request(emulator.app).post('/_emulator/limits').send({ perMinute: 0 })).status, 400);
    assert.equal((await request(emulator.app).post('/_emulator/limits').send({ bogus: 1 })).status, 400);
    const current = await request(emulator.app).get('/_emulator/limits').expect(200);
    assert.equal(current.body.perMinute, 60);
  });
});

describe('Idempotency-Key', () => {
  const putContact = (emulator: XeroEmulator, bearer: string, name: string, key?: string): request.Test => {
    const req = request(emulator.app).put(`${API}/Contacts`).set('Authorization', bearer).send({ Contacts: [{ Name: name }] });
    return key === undefined ? req : req.set('Idempotency-Key', key);
  };
  const contactsNamed = async (emulator: XeroEmulator, bearer: string, name: string): Promise<number> => {
    const res = await request(emulator.app).get(`${API}/Contacts`).set('Authorization', bearer).expect(200);
    return (res.body.Contacts as { Name: string }[]).filter((c) => c.Name === name).length;
  };

  it('replays the first response (status, headers, body) for a repeat within the window', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const first = await putContact(emulator, bearer, 'Idem Ltd', 'sale-42').expect(200);
    const again = await putContact(emulator, bearer, 'Idem Ltd', 'sale-42').expect(200);
    assert.deepEqual(again.body, first.body);
    assert.equal(again.headers['content-type'], first.headers['content-type']);
    assert.equal(again.headers['x-emulator-idempotent-replay'], 'true');
    assert.equal(await contactsNamed(emulator, bearer, 'Idem Ltd'), 1);
    // Replays still count as calls and carry live limit headers.
    assert.equal(again.headers['x-minlimit-remaining'], '58');
  });

  it('replays a recorded error answer too', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const first = await putContact(emulator, bearer, '', 'bad-1');
    assert.equal(first.status, 400);
    const again = await putContact(emulator, bearer, 'Now valid', 'bad-1');
    assert.equal(again.status, 400);
    assert.deepEqual(again.body, first.body);
  });

  it('keys are per app: another app with the same key is not replayed', async () => {
    const emulator = makeEmulator();
    const one = await customConnection(emulator);
    const two = await customConnection(emulator);
    await putContact(emulator, one.bearer, 'Shared Key One', 'k').expect(200);
    const second = await putContact(emulator, two.bearer, 'Shared Key Two', 'k').expect(200);
    assert.equal(second.body.Contacts[0].Name, 'Shared Key Two');
    assert.equal(await contactsNamed(emulator, one.bearer, 'Shared Key Two'), 1);
  });

  it('binds a key to the method and path it was used on: the same key on another endpoint is a 400, not the first answer', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const first = await putContact(emulator, bearer, 'Bound Key Ltd', 'bound-1').expect(200);
    const elsewhere = await request(emulator.app).put(`${API}/Accounts`).set('Authorization', bearer).set('Idempotency-Key', 'bound-1')
      .send({ Name: 'Bound Account', Code: '777', Type: 'EXPENSE' });
    assert.equal(elsewhere.status, 400);
    assert.equal(elsewhere.body.Contacts, undefined);
    assert.match(elsewhere.body.Detail, /Idempotency-Key has already been used/);
    const accounts = await request(emulator.app).get(`${API}/Accounts`).set('Authorization', bearer).expect(200);
    assert.equal((accounts.body.Accounts as { Code?: string }[]).some((a) => a.Code === '777'), false);
    // Another method on the same path is another endpoint too; the original endpoint still replays.
    const posted = await request(emulator.app).post(`${API}/Contacts`).set('Authorization', bearer).set('Idempotency-Key', 'bound-1').send({ Contacts: [{ Name: 'Bound Key Ltd' }] });
    assert.equal(posted.status, 400);
    assert.deepEqual((await putContact(emulator, bearer, 'Bound Key Ltd', 'bound-1').expect(200)).body, first.body);
  });

  it('forgets a key after the window (default 5 minutes, configurable)', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const first = await putContact(emulator, bearer, 'Window Ltd', 'w').expect(200);
    await advance(emulator, 4 * 60_000);
    assert.deepEqual((await putContact(emulator, bearer, 'Window Ltd', 'w')).body, first.body);
    await advance(emulator, 60_000 + 1000);
    const later = await putContact(emulator, bearer, 'Window Ltd 2', 'w').expect(200);
    assert.equal(later.body.Contacts[0].Name, 'Window Ltd 2');

    await request(emulator.app).post('/_emulator/limits').send({ idempotencyWindowMs: 1000 }).expect(200);
    await putContact(emulator, bearer, 'Short Ltd', 's').expect(200);
    await advance(emulator, 1500);
    await putContact(emulator, bearer, 'Short Ltd 2', 's').expect(200);
    assert.equal(await contactsNamed(emulator, bearer, 'Short Ltd 2'), 1);
  });

  it('refuses a key longer than 128 characters with 400, accepts exactly 128', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    const tooLong = await putContact(emulator, bearer, 'Long Key Ltd', 'k'.repeat(129));
    assert.equal(tooLong.status, 400);
    assert.equal(await contactsNamed(emulator, bearer, 'Long Key Ltd'), 0);
    await putContact(emulator, bearer, 'Long Key Ltd', 'k'.repeat(128)).expect(200);
  });

  it('does not apply to GET', async () => {
    const emulator = makeEmulator();
    const { bearer } = await customConnection(emulator);
    await request(emulator.app).get(`${API}/Contacts`).set('Authorization', bearer).set('Idempotency-Key', 'x'.repeat(200)).expect(200);
  });
});
