// The emulator's webhooks against a real receiver over HTTP: the intent-to-receive check, deliveries for
// changes made by any app (here a custom connection acting as the accountant's app) and through the control
// API, batching and sequences, retries and disabling, and every delivery validated against Xero's contract.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import request from 'supertest';
import { API, connectedClient, customConnection, listen, makeEmulator } from './helpers';
import { assertWebhookPayload } from './webhooksSpec';
import type { XeroEmulator } from '../app';

interface Delivery { body: string; signature: string; valid: boolean }

/** A receiver doing what Xero asks: 200 + empty body for a correct signature, 401 + empty body otherwise. */
async function receiver(mode: { failing?: boolean; alwaysOk?: boolean } = {}): Promise<{ url: string; key: { value: string }; got: Delivery[]; server: Server; mode: typeof mode }> {
  const key = { value: '' };
  const got: Delivery[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const signature = String(req.headers['x-xero-signature'] ?? '');
      const expected = createHmac('sha256', key.value).update(raw).digest();
      const given = Buffer.from(signature, 'base64');
      const valid = given.length === expected.length && timingSafeEqual(given, expected);
      got.push({ body: raw.toString('utf8'), signature, valid });
      res.statusCode = mode.failing && JSON.parse(raw.toString('utf8')).events.length > 0 ? 500 : valid || mode.alwaysOk ? 200 : 401;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/xero`, key, got, server, mode };
}

async function until(what: string, check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function subscribed(emulator: XeroEmulator, rx: Awaited<ReturnType<typeof receiver>>) {
  const ours = await connectedClient(emulator);
  const configured = await request(emulator.app).put(`/_emulator/webhooks/${ours.client.clientId}`).send({ url: rx.url, verify: false }).expect(200);
  rx.key.value = configured.body.key;
  const verified = await request(emulator.app).post(`/_emulator/webhooks/${ours.client.clientId}/verify`).expect(200);
  return { ours, verified: verified.body as { status: string; lastError: string | null } };
}

const events = (d: Delivery) => (JSON.parse(d.body) as { events: { eventCategory: string; eventType: string; resourceId: string; tenantId: string }[] }).events;

test('intent to receive: one correctly and one wrongly signed empty payload; a receiver answering both 200 fails it and gets nothing', async () => {
  const emulator = makeEmulator({ webhooks: { batchDelayMs: 5 } });
  const good = await receiver();
  const sloppy = await receiver({ alwaysOk: true });
  try {
    const ok = await subscribed(emulator, good);
    assert.equal(ok.verified.status, 'ok', String(ok.verified.lastError));
    assert.equal(good.got.length, 2);
    assert.deepEqual(good.got.map((d) => d.valid), [true, false]);
    assert.deepEqual(JSON.parse(good.got[0]!.body).events, []);

    const bad = await subscribed(emulator, sloppy);
    assert.equal(bad.verified.status, 'intent_failed');
    assert.match(String(bad.verified.lastError), /wrongly signed payload was answered 200, not 401/);
    const accountant = await customConnection(emulator);
    await request(emulator.app).put(`${API}/Contacts`).set('Authorization', accountant.bearer).send({ Contacts: [{ Name: 'Ridgeway' }] }).expect(200);
    await request(emulator.app).post('/_emulator/webhooks/flush').expect(200);
    assert.equal(sloppy.got.length, 2, 'no events before intent is confirmed');
  } finally {
    good.server.close();
    sloppy.server.close();
    await emulator.close();
  }
});

test("another app's invoice and payment fire INVOICE events to our app, batched, signed, in sequence and as the contract says", async () => {
  const emulator = makeEmulator({ webhooks: { batchDelayMs: 5 } });
  const server = await listen(emulator);
  const rx = await receiver();
  try {
    const { ours } = await subscribed(emulator, rx);
    const accountant = await customConnection(emulator, ours.tenantId);
    const put = await request(server.baseUrl).put(`${API}/Invoices`).set('Authorization', accountant.bearer)
      .send({ Invoices: [{ Type: 'ACCREC', Contact: { Name: 'Ridgeway University' }, Date: '2026-05-01', DueDate: '2026-05-15', LineAmountTypes: 'Exclusive', Status: 'AUTHORISED', LineItems: [{ Description: 'Yoga', Quantity: 1, UnitAmount: 10, AccountCode: '200', TaxType: 'OUTPUT2' }] }] })
      .expect(200);
    const invoiceId = put.body.Invoices[0].InvoiceID as string;
    await until('the create events', () => rx.got.length >= 3);
    const accounts = await request(emulator.app).get(`/_emulator/tenants/${ours.tenantId}/accounts`).expect(200);
    const bank = (accounts.body.items as { Type: string; AccountID: string }[]).find((a) => a.Type === 'BANK')!;
    await request(server.baseUrl).put(`${API}/Payments`).set('Authorization', accountant.bearer)
      .send({ Payments: [{ Invoice: { InvoiceID: invoiceId }, Account: { AccountID: bank.AccountID }, Amount: 12, Date: '2026-05-02', Reference: 'bank transfer' }] })
      .expect(200);
    await until('the payment event', () => rx.got.some((d) => events(d).some((e) => e.resourceId === invoiceId && e.eventType === 'UPDATE')));

    const deliveries = rx.got.slice(2);
    let lastSequence = 0;
    for (const d of deliveries) {
      assert.ok(d.valid, 'signed with the app key');
      const body = JSON.parse(d.body);
      assertWebhookPayload(body);
      assert.equal(body.firstEventSequence, lastSequence + 1);
      assert.equal(body.lastEventSequence - body.firstEventSequence + 1, body.events.length);
      assert.match(body.entropy, /^[A-Z]{20}$/);
      lastSequence = body.lastEventSequence;
    }
    const all = deliveries.flatMap(events);
    assert.ok(all.some((e) => e.eventCategory === 'INVOICE' && e.eventType === 'CREATE' && e.resourceId === invoiceId && e.tenantId === ours.tenantId));
    // A read fires nothing.
    const before = rx.got.length;
    await request(server.baseUrl).get(`${API}/Invoices/${invoiceId}`).set('Authorization', accountant.bearer).expect(200);
    await request(emulator.app).post('/_emulator/webhooks/flush').expect(200);
    assert.equal(rx.got.length, before);
  } finally {
    rx.server.close();
    await server.close();
  }
});

test('the accountant voiding through the control API fires an UPDATE; an organisation the app is not connected to fires nothing to it', async () => {
  const emulator = makeEmulator({ webhooks: { batchDelayMs: 5 } });
  const rx = await receiver();
  try {
    const { ours } = await subscribed(emulator, rx);
    const other = emulator.accounting.listTenants().find((t) => t.tenantId !== ours.tenantId)!;
    const accountant = await customConnection(emulator, ours.tenantId);
    const elsewhere = await customConnection(emulator, other.tenantId);
    const invoice = { Type: 'ACCREC', Contact: { Name: 'Ridgeway University' }, Date: '2026-05-01', DueDate: '2026-05-15', Status: 'AUTHORISED', LineItems: [{ Description: 'Yoga', Quantity: 1, UnitAmount: 10, AccountCode: '200' }] };
    await request(emulator.app).put(`${API}/Contacts`).set('Authorization', elsewhere.bearer).send({ Contacts: [{ Name: 'Not ours' }] }).expect(200);
    const put = await request(emulator.app).put(`${API}/Invoices`).set('Authorization', accountant.bearer).send({ Invoices: [invoice] }).expect(200);
    const invoiceId = put.body.Invoices[0].InvoiceID as string;
    await request(emulator.app).post(`/_emulator/tenants/${ours.tenantId}/invoices/${invoiceId}/void`).expect(200);
    await request(emulator.app).post('/_emulator/webhooks/flush').expect(200);
    const all = rx.got.slice(2).flatMap(events);
    assert.ok(all.some((e) => e.resourceId === invoiceId && e.eventType === 'UPDATE'), JSON.stringify(all));
    assert.ok(all.every((e) => e.tenantId === ours.tenantId), 'only the connected organisation');
  } finally {
    rx.server.close();
    await emulator.close();
  }
});

test('credit note events carry Type and Status and match CreditNoteWebhookEvent', async () => {
  const emulator = makeEmulator({ webhooks: { batchDelayMs: 5 } });
  const rx = await receiver();
  try {
    const { ours } = await subscribed(emulator, rx);
    const accountant = await customConnection(emulator, ours.tenantId);
    await request(emulator.app).put(`${API}/CreditNotes`).set('Authorization', accountant.bearer)
      .send({ CreditNotes: [{ Type: 'ACCRECCREDIT', Contact: { Name: 'Ridgeway University' }, Date: '2026-05-01', Status: 'AUTHORISED', LineItems: [{ Description: 'Refund', Quantity: 1, UnitAmount: 5, AccountCode: '200' }] }] })
      .expect(200);
    await request(emulator.app).post('/_emulator/webhooks/flush').expect(200);
    const bodies = rx.got.slice(2).map((d) => JSON.parse(d.body));
    for (const body of bodies) assertWebhookPayload(body);
    const note = bodies.flatMap((b) => b.events).find((e: { eventCategory: string }) => e.eventCategory === 'CREDITNOTE');
    assert.deepEqual(note.data, { Type: 'ACCRECCREDIT', Status: 'AUTHORISED' });
  } finally {
    rx.server.close();
    await emulator.close();
  }
});

test('a failing receiver is retried with back-off, then the subscription is disabled and its queue dropped', async () => {
  const emulator = makeEmulator({ webhooks: { batchDelayMs: 5, retryDelaysMs: [20, 40], disableAfterFailures: 3 } });
  const rx = await receiver({ failing: true });
  try {
    const { ours } = await subscribed(emulator, rx);
    const accountant = await customConnection(emulator, ours.tenantId);
    await request(emulator.app).put(`${API}/Contacts`).set('Authorization', accountant.bearer).send({ Contacts: [{ Name: 'Ridgeway' }] }).expect(200);
    await until('the subscription disabled', () => emulator.webhooks.dispatcher.get(ours.client.clientId)?.status === 'disabled');
    const view = emulator.webhooks.dispatcher.get(ours.client.clientId)!;
    assert.equal(rx.got.length, 2 + 3, 'three attempts of the same delivery');
    const sent = rx.got.slice(2).map((d) => JSON.parse(d.body).firstEventSequence);
    assert.deepEqual(sent, [1, 1, 1]);
    assert.equal(view.queued, 0);
    assert.match(String(view.lastError), /answered 500/);
    // Nothing more is sent while disabled.
    await request(emulator.app).put(`${API}/Contacts`).set('Authorization', accountant.bearer).send({ Contacts: [{ Name: 'Another' }] }).expect(200);
    await request(emulator.app).post('/_emulator/webhooks/flush').expect(200);
    assert.equal(rx.got.length, 5);
  } finally {
    rx.server.close();
    await emulator.close();
  }
});

test('the developer portal sets the webhook URL, shows the key and runs the intent check', async () => {
  const emulator = makeEmulator();
  const rx = await receiver();
  try {
    const ours = await connectedClient(emulator);
    // The key exists only once saved; the receiver learns it from the page, so the first check fails…
    const saved = await request(emulator.app).post(`/portal/apps/${ours.client.clientId}/webhooks`).type('form').send({ url: rx.url }).expect(200);
    assert.match(saved.text, /Intent to receive required/);
    assert.match(saved.text, /id="webhook-key">[^<]{80,}</);
    rx.key.value = emulator.webhooks.dispatcher.get(ours.client.clientId)!.key;
    // …and saving again (as a developer does once the endpoint knows its key) passes it.
    const again = await request(emulator.app).post(`/portal/apps/${ours.client.clientId}/webhooks`).type('form').send({ url: rx.url }).expect(200);
    assert.match(again.text, /OK — receiving events/);
    const refused = await request(emulator.app).post(`/portal/apps/${ours.client.clientId}/webhooks`).type('form').send({ url: 'not a url' }).expect(400);
    assert.match(refused.text, /not an absolute URL/);
    const privateKind = await request(emulator.app).put('/_emulator/webhooks/nope').send({ url: rx.url }).expect(400);
    assert.match(privateKind.body.error, /No app has id/);
  } finally {
    rx.server.close();
    await emulator.close();
  }
});

test('subscriptions survive a restart from the state file: same URL and key, status kept, the sequence carries on', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'xero-webhooks-state-'));
  const stateFile = join(dir, 'state.json');
  const rx = await receiver();
  try {
    const first = makeEmulator({ stateFile, webhooks: { batchDelayMs: 5 } });
    const { ours } = await subscribed(first, rx);
    const accountant = await customConnection(first, ours.tenantId);
    await request(first.app).put(`${API}/Contacts`).set('Authorization', accountant.bearer).send({ Contacts: [{ Name: 'Before the restart' }] }).expect(200);
    await request(first.app).post('/_emulator/webhooks/flush').expect(200);
    const before = (await request(first.app).get(`/_emulator/webhooks/${ours.client.clientId}`).expect(200)).body as { url: string; key: string; status: string };
    const lastBefore = JSON.parse(rx.got[rx.got.length - 1]!.body).lastEventSequence as number;
    assert.ok(lastBefore >= 1);
    await first.close();

    const second = makeEmulator({ stateFile, clockStart: first.clock.now(), webhooks: { batchDelayMs: 5 } });
    const after = (await request(second.app).get(`/_emulator/webhooks/${ours.client.clientId}`).expect(200)).body as { url: string; key: string; status: string; queued: number };
    assert.deepEqual({ url: after.url, key: after.key, status: after.status, queued: after.queued }, { url: before.url, key: before.key, status: 'ok', queued: 0 });
    // No new intent check is needed: a change is delivered at once, signed with the same key, next in sequence.
    const delivered = rx.got.length;
    await request(second.app).put(`${API}/Contacts`).set('Authorization', accountant.bearer).send({ Contacts: [{ Name: 'After the restart' }] }).expect(200);
    await request(second.app).post('/_emulator/webhooks/flush').expect(200);
    assert.equal(rx.got.length, delivered + 1);
    const next = rx.got[rx.got.length - 1]!;
    assert.ok(next.valid, 'signed with the key from before the restart');
    assert.equal(JSON.parse(next.body).firstEventSequence, lastBefore + 1);
    await second.close();
  } finally {
    rx.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
