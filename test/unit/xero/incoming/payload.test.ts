// The webhook body parser and the payment decisions (plugins/xero/incoming/payload.ts, reconcile.ts).
// Bodies the emulator would send are checked against Xero's published contract too, so the parser is
// known to take what the contract allows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWebhookBody, WebhookBodyError } from '../../../../plugins/xero/incoming/payload';
import { paidInXeroNote, planPayments, xeroCentsToMinor } from '../../../../plugins/xero/incoming/reconcile';
import { verifyXeroSignature } from '../../../../plugins/xero/incoming/signature';
import { assertWebhookPayload } from '../../../../emulators/xero/test/webhooksSpec';
import { signWebhookBody } from '../../../../emulators/xero/webhooks/signature';

const event = (over: Record<string, unknown> = {}) => ({
  resourceUrl: 'https://api.xero.com/api.xro/2.0/Invoices/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777',
  resourceId: '717F2BFC-C6D4-41FD-B238-3F2F0C0CF777', eventDateUtc: '2024-06-21T01:15:39.902', eventType: 'UPDATE', eventCategory: 'INVOICE',
  tenantId: 'c2cc9b6e-9458-4c7d-93cc-f02b81b0594f', tenantType: 'ORGANISATION', ...over,
});
const body = (events: unknown[], over: Record<string, unknown> = {}) => ({ events, firstEventSequence: 1, lastEventSequence: events.length || 1, entropy: 'S0m3r4Nd0mt3xt', ...over });

test("Xero's own example parses: ids lower-cased, a date without a zone read as UTC, a stable key", () => {
  const raw = body([event()]);
  // Xero writes eventDateUtc without a zone (its own examples do), which JSON Schema's date-time refuses;
  // with the Z the same body is valid under the contract, and the parser reads both as the same moment.
  assertWebhookPayload(body([event({ eventDateUtc: '2024-06-21T01:15:39.902Z' })]));
  const parsed = parseWebhookBody(JSON.stringify(raw));
  assert.equal(parsed.events.length, 1);
  const e = parsed.events[0]!;
  assert.equal(e.resourceId, '717f2bfc-c6d4-41fd-b238-3f2f0c0cf777');
  assert.equal(e.at, Date.UTC(2024, 5, 21, 1, 15, 39, 902));
  assert.equal(e.key, parseWebhookBody(JSON.stringify(raw)).events[0]!.key);
  assert.notEqual(e.key, parseWebhookBody(JSON.stringify(body([event({ eventDateUtc: '2024-06-21T01:15:40.000' })]))).events[0]!.key);
  assert.equal(parseWebhookBody(JSON.stringify(body([event({ eventDateUtc: '2024-06-21T01:15:39.902Z' })]))).events[0]!.at, e.at);
});

test('the intent-to-receive payload (no events, sequences 0) parses', () => {
  const parsed = parseWebhookBody('{"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "S0m3r4Nd0mt3xt"}');
  assert.deepEqual(parsed.events, []);
});

test('anything not in Xero\'s shape is refused, naming what is wrong', () => {
  const cases: [unknown, RegExp][] = [
    ['not json', /not JSON/],
    [[], /must be an object/],
    [{ events: {} }, /events: must be a list/],
    [body([event()], { entropy: undefined }), /entropy/],
    [body([event()], { firstEventSequence: -1 }), /firstEventSequence/],
    [body([event({ resourceId: 'nope' })]), /events\[0\]\.resourceId: must be a UUID/],
    [body([event({ tenantId: 12 })]), /tenantId/],
    [body([event({ eventCategory: 'PAYMENT' })]), /eventCategory/],
    [body([event({ eventType: 'DELETE' })]), /eventType/],
    [body([event({ eventDateUtc: 'yesterday' })]), /eventDateUtc/],
    [body([event({ resourceUrl: undefined })]), /resourceUrl/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseWebhookBody(typeof input === 'string' ? input : JSON.stringify(input)), (err: unknown) => err instanceof WebhookBodyError && message.test(err.message), String(message));
  }
});

test('signatures: the exact bytes under the key; another key, a re-serialised body or a padded header fail', () => {
  const raw = Buffer.from('{"events": [], "firstEventSequence": 0, "lastEventSequence": 0, "entropy": "x"}');
  const sig = signWebhookBody(raw, 'k');
  assert.equal(verifyXeroSignature(raw, sig, 'k'), true);
  assert.equal(verifyXeroSignature(raw, sig, 'k2'), false);
  assert.equal(verifyXeroSignature(Buffer.from(JSON.stringify(JSON.parse(raw.toString()))), sig, 'k'), false);
  assert.equal(verifyXeroSignature(raw, `${sig}=`, 'k'), false);
  assert.equal(verifyXeroSignature(raw, undefined, 'k'), false);
});

test('payments: foreign live ones are added once, ours are echoes, deleted ones are removed', () => {
  const live = [
    { paymentId: 'AAA', amountCents: 5000, date: 1, reference: 'bank transfer' },
    { paymentId: 'bbb', amountCents: 1000, date: 1, reference: null },
  ];
  assert.deepEqual(planPayments({ live, ours: new Set(['bbb']), recorded: [] }).add.map((p) => p.paymentId), ['AAA']);
  assert.deepEqual(planPayments({ live, ours: new Set(['bbb']), recorded: [{ providerRef: 'aaa', amountMinor: 5000 }] }), { add: [], remove: [] });
  assert.deepEqual(planPayments({ live: [], ours: new Set(), recorded: [{ providerRef: 'aaa', amountMinor: 5000 }] }).remove, [{ providerRef: 'aaa', amountMinor: 5000 }]);
});

test('Xero cents become minor units of the sale currency exactly, or not at all', () => {
  assert.equal(xeroCentsToMinor(9600, 'GBP'), 9600);
  assert.equal(xeroCentsToMinor(150000, 'JPY'), 1500);
  assert.equal(xeroCentsToMinor(150050, 'JPY'), null);
  assert.equal(xeroCentsToMinor(1234, 'KWD'), 12340);
  assert.equal(paidInXeroNote({ reference: 'bank transfer', date: Date.UTC(2026, 11, 2, 10) }), 'Paid in Xero: bank transfer, 2 Dec');
  assert.equal(paidInXeroNote({ reference: null, date: Date.UTC(2026, 11, 2, 10) }), 'Paid in Xero: payment, 2 Dec');
});
