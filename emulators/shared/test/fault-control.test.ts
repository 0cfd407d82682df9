// The fault control routes every emulator mounts (FaultRules.controlRoutes): add, list, remove one, clear,
// and a rule the test got wrong refused with 400 naming the problem, in each emulator's own error shape.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import type { Express } from 'express';
import { createXeroEmulator } from '../../xero/app';
import { createStripeEmulator } from '../../stripe/app';
import { createGoCardlessEmulator } from '../../gocardless/app';

const emulators: { name: string; app: Express; kind: string; close(): unknown }[] = [];
const xero = createXeroEmulator();
emulators.push({ name: 'Xero', app: xero.app, kind: '503', close: () => xero.close?.() });
const stripe = createStripeEmulator();
emulators.push({ name: 'Stripe', app: stripe.app, kind: '429', close: () => stripe.close() });
const gocardless = createGoCardlessEmulator();
emulators.push({ name: 'GoCardless', app: gocardless.app, kind: '500', close: () => gocardless.close?.() });
after(async () => {
  for (const e of emulators) await e.close();
});

for (const e of emulators) {
  describe(`${e.name} emulator: /_emulator/faults`, () => {
    it('adds, lists, removes one and clears rules; refuses a bad rule with 400', async () => {
      const a = await request(e.app).post('/_emulator/faults').send({ kind: e.kind, count: 2, method: 'get' }).expect(201);
      const b = await request(e.app).post('/_emulator/faults').send({ kind: e.kind, path: '^/x$', rate: 0.5 }).expect(201);
      assert.equal(a.body.method, 'GET');
      assert.equal(a.body.remaining, 2);
      assert.deepEqual((await request(e.app).get('/_emulator/faults').expect(200)).body.map((r: { id: number }) => r.id), [a.body.id, b.body.id]);
      await request(e.app).delete(`/_emulator/faults/${a.body.id}`).expect(204);
      await request(e.app).delete(`/_emulator/faults/${a.body.id}`).expect(404);
      assert.deepEqual((await request(e.app).get('/_emulator/faults').expect(200)).body.map((r: { id: number }) => r.id), [b.body.id]);
      await request(e.app).delete('/_emulator/faults').expect(204);
      assert.deepEqual((await request(e.app).get('/_emulator/faults').expect(200)).body, []);

      const bad = await request(e.app).post('/_emulator/faults').send({ kind: 'meteor', rate: 2 });
      assert.equal(bad.status, 400, bad.text);
      assert.match(bad.text, /kind must be one of/);
      assert.deepEqual((await request(e.app).get('/_emulator/faults').expect(200)).body, [], 'nothing added');
    });
  });
}
