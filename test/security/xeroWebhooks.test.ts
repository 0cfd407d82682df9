// POST /webhooks/xero answers Xero's intent-to-receive check exactly as Xero requires: a correctly signed
// payload → 200 with an empty body; a wrong, missing or re-serialised signature → 401 with an empty body,
// and nothing recorded. Signed by hand here (not by the emulator), so the check is independent of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { bootXeroApp } from '../support/xero';

const KEY = 'TEST+key/for==webhooks+0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123';
const sign = (body: string, key = KEY) => createHmac('sha256', key).update(body).digest('base64');
// Xero's own spacing: re-serialising it (JSON.stringify(JSON.parse(…))) changes the bytes and so the signature.
const ITR = '{"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}';
const EVENT = '{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777","resourceId":"717f2bfc-c6d4-41fd-b238-3f2f0c0cf777","eventDateUtc":"2026-06-21T01:15:39.902","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":"c2cc9b6e-9458-4c7d-93cc-f02b81b0594f","tenantType":"ORGANISATION"}],"lastEventSequence":1,"firstEventSequence":1,"entropy":"ABCDEFGHIJKLMNOPQRST"}';

for (const kind of dbKinds()) {
  test(`xero webhook intent to receive (${kind})`, async (t) => {
    const x = await bootXeroApp(kind, { emulatorUrl: 'http://127.0.0.1:9', env: { XERO_WEBHOOK_KEY: KEY } });
    t.after(() => x.close());
    const post = (body: string, signature?: string) => {
      const req = request(x.app).post('/webhooks/xero').set('Content-Type', 'application/json');
      return (signature === undefined ? req : req.set('x-xero-signature', signature)).send(body);
    };

    const ok = await post(ITR, sign(ITR));
    assert.equal(ok.status, 200);
    assert.equal(ok.text, '');
    assert.equal(ok.headers['content-length'] ?? '0', '0');

    for (const [what, res] of [
      ['wrong key', await post(ITR, sign(ITR, `${KEY}x`))],
      ['missing', await post(ITR)],
      ['re-serialised body', await post(JSON.stringify(JSON.parse(ITR)), sign(ITR))],
      ['signature of the re-serialised body over the original', await post(ITR, sign(JSON.stringify(JSON.parse(ITR))))],
      ['not base64 of a digest', await post(ITR, 'not-a-signature')],
      ['signature with junk appended', await post(ITR, `${sign(ITR)}AAAA`)],
    ] as const) {
      assert.equal(res.status, 401, what);
      assert.equal(res.text, '', `${what}: empty body`);
    }
    const receipts = await x.ctx.db('xero_webhook_receipts').first();
    assert.ok(receipts?.intent_verified_at, 'the passed check is remembered (dashboard: webhooks verified)');

    // A signed delivery for a tenant no organisation is connected to: acknowledged, recorded nowhere.
    const unknown = await post(EVENT, sign(EVENT));
    assert.equal(unknown.status, 200);
    assert.equal(unknown.text, '');
    assert.equal(Number((await x.ctx.db('xero_incoming_events').count({ n: '*' }))[0]!.n), 0);
    assert.equal(Number((await x.ctx.db('outbox').where('type', 'like', 'xero.incoming%').count({ n: '*' }))[0]!.n), 0);

    // Signed but not Xero's shape: refused the same way, nothing recorded.
    const bogus = '{"events":[{"resourceId":"nope"}],"firstEventSequence":1,"lastEventSequence":1,"entropy":"x"}';
    const refused = await post(bogus, sign(bogus));
    assert.equal(refused.status, 401);
    assert.equal(refused.text, '');
  });

  test(`xero webhook without XERO_WEBHOOK_KEY refuses everything (${kind})`, async (t) => {
    const x = await bootXeroApp(kind, { emulatorUrl: 'http://127.0.0.1:9' });
    t.after(() => x.close());
    const res = await request(x.app).post('/webhooks/xero').set('Content-Type', 'application/json').set('x-xero-signature', sign(ITR)).send(ITR);
    assert.equal(res.status, 401);
    assert.equal(res.text, '');
  });
}
