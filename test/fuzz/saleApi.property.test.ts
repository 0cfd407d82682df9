// Fuzzing the sale, refund and payment API (POST /api/v1/sales, /sales/:id/refunds, /sales/:id/payments)
// with fast-check: bodies that are mostly well-formed with random faults (bad amounts, quantities,
// discounts, currencies, missing or extra fields, over-refunds). Properties, over real HTTP and a real
// database, for an organisation connected to Xero (so every accepted record enqueues its sync item):
//  - every answer is 201 (or 200 for a repeated payment reference) or a 4xx naming the field — never a 5xx;
//  - an accepted sale's Xero invoice total, computed from the payload our builders send (and by Xero's
//    own arithmetic), equals the charged total to the penny; likewise each credit note and payment;
//  - a refused request changes nothing at all: every table (sales, lines, customers, outbox...) is
//    byte-for-byte what it was.
// test/unit/xero/payloads.property.test.ts covers the builders on synthetic sales; this goes through the
// API, validation, storage and the snapshot loaders the sync uses. Read-back from the emulator itself is
// in emulatorTotals.property.test.ts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import request from 'supertest';
import { dbKinds } from '../support/db';
import { bootXeroApp, seedOrg, startXeroEmulator, type RunningEmulator, type XeroTestApp } from '../support/xero';
import { createApiToken } from '../../server/auth/apiTokens';
import { minorUnitDigits } from '../../server/domain/currency';
import { formatMinor, formatScaled } from '../../server/domain/money';
import { buildCreditNote, buildInvoice, buildOverpayment, buildPayment } from '../../plugins/xero/payloads';
import { hostRecords } from '../../server/domain/hostRecords';
import { connectPrivateApp } from '../e2e/xero/syncFixture';
import { ukMappings, xeroComputes } from '../unit/xero/payloadsFixtures';
import { changedTables, snapshot } from '../security/world';
import type { RequestListener } from 'node:http';
import { createApiContract, type ApiContract } from '../support/apiContract';
import { buildOpenApiDocument } from '../../server/api/openapi/document';
import { methodIds } from '../../server/domain/sales';

const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
const CURRENCIES = ['GBP', 'GBP', 'USD', 'EUR', 'JPY', 'BHD'];
const TAX_CODES = ['OUTPUT2', 'RROUTPUT', 'ZERORATEDOUTPUT', 'EXEMPTOUTPUT', 'NONE'];

const quantity = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 200_000 }).map((u) => formatScaled(BigInt(u), 4)), fc.constantFrom('0.3333', '2.5', '1'));
const price = (currency: string) => fc.oneof(
  fc.integer({ min: 0, max: 5_000_000 }).map((m) => formatMinor(m, currency)),
  fc.integer({ min: 0, max: 50_000 }).map((m) => Number(formatMinor(m, currency))),
);
const discount = fc.oneof(fc.constant(undefined), fc.integer({ min: 0, max: 9_999 }).map((u) => formatScaled(BigInt(u), 2)), fc.constantFrom('12.5', 33.33));
const line = (currency: string) => fc.record({
  description: fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s.trim().length > 0),
  quantity,
  unitPrice: price(currency),
  discountRate: discount,
  taxCode: fc.constantFrom(...TAX_CODES),
}, { requiredKeys: ['description', 'quantity', 'unitPrice', 'taxCode'] });

/** One thing wrong with an otherwise good body: where, and what is put there. */
const FAULTS: Record<string, readonly unknown[]> = {
  currency: ['gbp ', 'XYZ', '', 42, null, undefined],
  customer: [{}, { name: '' }, { name: 'X', email: 'not an email' }, 'Bob', null, { name: 'X', vip: true }],
  lines: [[], 'lines', null, undefined],
  description: ['', '   ', 7, null, 'x'.repeat(4001)],
  quantity: [0, -1, '1e3', 'abc', '', null, '1.00001', 2_000_000, true, '0', 0.00001],
  unitPrice: ['-1.00', '1.0001', 'NaN', '', null, '99999999999999999', '1,00', '١٢', { amount: 1 }, -0.01, 1e21],
  discountRate: ['100', '-5', '12.345', 'x', 100.5],
  extra: ['unexpected'],
};
const fault = fc.option(fc.constantFrom(...Object.keys(FAULTS)).chain((where) => fc.record({ where: fc.constant(where), value: fc.constantFrom(...FAULTS[where]!), line: fc.nat(5) })), { freq: 3 });

const saleBody = fc.constantFrom(...CURRENCIES).chain((currency) => fc.tuple(fc.record({
  currency: fc.constant<unknown>(currency),
  customer: fc.record({ name: fc.string({ minLength: 1, maxLength: 20 }).filter((s) => s.trim().length > 0), email: fc.option(fc.stringMatching(/^[a-z0-9]{1,10}$/).map((u) => `${u}@example.com`), { nil: undefined }) }, { requiredKeys: ['name'] }) as fc.Arbitrary<unknown>,
  lines: fc.array(line(currency), { minLength: 1, maxLength: 6 }) as fc.Arbitrary<unknown>,
  reference: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
}, { requiredKeys: ['currency', 'customer', 'lines'] }), fault)).map(([body, f]) => {
  if (!f) return body as Record<string, unknown>;
  const out = structuredClone(body) as Record<string, unknown>;
  if (f.where in out || ['currency', 'customer', 'lines', 'extra'].includes(f.where)) {
    if (f.value === undefined) delete out[f.where];
    else out[f.where] = f.value;
  } else {
    const lines = out.lines as Record<string, unknown>[];
    const target = lines[f.line % lines.length]!;
    target[f.where] = f.value;
  }
  return out;
});

const refundBody = fc.oneof(
  fc.constant({ kind: 'full' }),
  fc.record({ kind: fc.constant('amount'), amount: fc.oneof(fc.integer({ min: 1, max: 20_000 }).map((m) => `${m}`), fc.constantFrom('0.01', '1.00', '10.50', '0', '-1', '1.001', 'x', '999999')) }),
  fc.record({ kind: fc.constant('lines'), lines: fc.array(fc.record({ lineIndex: fc.nat(7), quantity: fc.constantFrom(undefined, 1, '0.5', 0, 100) }), { minLength: 1, maxLength: 3 }) }),
  fc.constantFrom({ kind: 'sideways' }, { kind: 'amount' }, { kind: 'full', amount: '1.00' }, {}, { kind: 'full', currency: 'JPY' }),
);
const paymentBody = fc.oneof(
  fc.record({ method: fc.constantFrom('cash', 'stripe', 'gocardless', 'card_terminal'), amount: fc.constantFrom('0.01', '1.00', '12.34', '99999', '0', '-2', '1.234', 'ten'), providerRef: fc.option(fc.constantFrom('ref_1', 'ref_2'), { nil: undefined }) }),
  fc.constantFrom({ method: 'bitcoin', amount: '1.00' }, { amount: '1.00' }, { method: 'cash' }),
);

/** Xero's total in the currency's minor units, minus what was charged (0 except for 3-dp currencies' sub-penny rounding). */
function gapMinor(xeroTotal: string, chargedMinor: number, currency: string): bigint {
  const digits = minorUnitDigits(currency);
  const cents = BigInt(xeroTotal.replace('.', ''));
  const xeroMinor = digits >= 2 ? cents * 10n ** BigInt(digits - 2) : cents / 10n ** BigInt(2 - digits);
  return xeroMinor - BigInt(chargedMinor);
}
function assertToThePenny(xeroTotal: string, chargedMinor: number, currency: string, what: string): void {
  const gap = gapMinor(xeroTotal, chargedMinor, currency);
  // Xero keeps 2 dp: a 3-dp currency can be off by under half a penny (the rounding line carries it).
  const tolerance = BigInt(Math.floor(10 ** Math.max(0, minorUnitDigits(currency) - 2) / 2));
  assert.ok(gap >= -tolerance && gap <= tolerance, `${what}: Xero total ${xeroTotal} ${currency} vs charged ${formatMinor(chargedMinor, currency)}`);
}

for (const kind of dbKinds()) {
  describe(`fuzz: sale, refund and payment API (${kind})`, { timeout: 240_000 }, () => {
    let emu: RunningEmulator;
    let x: XeroTestApp;
    let orgId: number;
    let token: string;
    // Every answer, and every body the API accepted, is also checked against the OpenAPI document.
    let contract: ApiContract;
    let api: RequestListener;
    const mappings = ukMappings();

    before(async () => {
      emu = await startXeroEmulator();
      x = await bootXeroApp(kind, { emulatorUrl: emu.url });
      orgId = (await seedOrg(x.host.deps.db, 'Fuzz Gym')).orgId;
      await connectPrivateApp(x, orgId, emu.url);
      token = (await createApiToken(x.host.deps.db, { orgId, role: 'staff', name: 'fuzz' })).token;
      contract = createApiContract(buildOpenApiDocument({ paymentMethods: methodIds(x.host.deps) }));
      api = contract.wrap(x.app);
    });
    after(async () => {
      await x?.close();
      await emu?.close();
      if (contract?.checked) contract.assertClean();
    });

    const post = (path: string, body: unknown) => request(api).post(path).set('Authorization', `Bearer ${token}`).send(body as object);
    const db = () => x.host.deps.db;

    /** A refused request: a 4xx with the field named, and not one byte of the database changed. */
    async function assertRefusedChangingNothing(res: request.Response, before: Map<string, string>, what: string): Promise<void> {
      assert.ok(res.status >= 400 && res.status < 500, `${what}: ${res.status} ${res.text.slice(0, 300)}`);
      const body = res.body as { error?: { code?: string; message?: string; details?: unknown } };
      assert.ok(body.error?.code && body.error.message, `${what}: error without code/message: ${res.text}`);
      assert.deepEqual(changedTables(before, await snapshot(db())), [], `${what}: a refused request changed the database`);
    }

    it("an accepted sale's Xero invoice total is its charged total; a refused one changes nothing", async () => {
      let accepted = 0;
      let refused = 0;
      await fc.assert(fc.asyncProperty(saleBody, async (input) => {
        const before = await snapshot(db());
        const res = await post('/api/v1/sales', input);
        if (res.status !== 201) {
          refused++;
          assert.equal(res.status, 422, res.text.slice(0, 300));
          const details = JSON.stringify((res.body as { error: { details?: unknown } }).error.details ?? '');
          assert.match(details, /currency|customer|lines|extra/, `the refusal names a field: ${res.text.slice(0, 300)}`);
          return assertRefusedChangingNothing(res, before, 'sale');
        }
        accepted++;
        const view = res.body as { id: number; total: string; currency: string };
        const sale = (await hostRecords.sale(db(), orgId, view.id))!;
        assert.equal(formatMinor(sale.totalMinor, sale.currency), view.total, 'the API reports what was stored');
        const built = buildInvoice(sale, mappings, { contact: { ContactID: 'c' }, saleUrl: 'u', now: 0 });
        const xero = xeroComputes(built.payload, built.unitdp);
        assert.equal(built.expected.total, xero.total);
        assertToThePenny(xero.total, sale.totalMinor, sale.currency, `sale ${view.id}`);
        assert.equal(Number((await db()('outbox').where({ org_id: orgId, type: 'xero.invoice.push' }).whereRaw('payload like ?', [`%"saleId":${view.id}%`]).count({ n: '*' }))[0]!.n), 1, 'one invoice item queued');
      }), { numRuns: RUNS });
      assert.ok(accepted >= RUNS / 5 && refused >= RUNS / 10, `a useful mix: ${accepted} accepted, ${refused} refused`);
    });

    it("an accepted refund's credit note and a payment's amount match in Xero; refused ones change nothing", async () => {
      let accepted = 0;
      let refused = 0;
      const body = fc.tuple(fc.constantFrom('GBP', 'JPY', 'BHD'), fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 900_000 }), fc.constantFrom(...TAX_CODES)), { minLength: 1, maxLength: 4 }), fc.array(fc.oneof(refundBody.map((r) => ({ refund: r })), paymentBody.map((p) => ({ payment: p }))), { minLength: 1, maxLength: 4 }));
      await fc.assert(fc.asyncProperty(body, async ([currency, lines, actions]) => {
        const made = await post('/api/v1/sales', {
          currency, customer: { name: 'Refund Fuzz' },
          lines: lines.map(([q, m, tax], i) => ({ description: `line ${i}`, quantity: q, unitPrice: formatMinor(m, currency), taxCode: tax })),
        });
        assert.equal(made.status, 201, made.text);
        const saleId = (made.body as { id: number }).id;
        const lineIds = ((made.body as { lines: { id: number }[] }).lines).map((l) => l.id);
        for (const action of actions) {
          const before = await snapshot(db());
          let res: request.Response;
          if ('refund' in action) {
            const r = action.refund as Record<string, unknown>;
            const wire = r.kind === 'lines' && Array.isArray(r.lines)
              ? { ...r, lines: (r.lines as { lineIndex: number; quantity?: unknown }[]).map((l) => ({ lineId: lineIds[l.lineIndex] ?? 999_999, ...(l.quantity === undefined ? {} : { quantity: l.quantity }) })) }
              : r;
            res = await post(`/api/v1/sales/${saleId}/refunds`, wire);
          } else {
            res = await post(`/api/v1/sales/${saleId}/payments`, action.payment);
          }
          if (res.status !== 201 && res.status !== 200) {
            refused++;
            await assertRefusedChangingNothing(res, before, JSON.stringify(action));
            continue;
          }
          accepted++;
          const sale = (await hostRecords.sale(db(), orgId, saleId))!;
          if ('refund' in action) {
            const refund = (await hostRecords.refund(db(), orgId, (res.body as { refund: { id: number } }).refund.id))!;
            const built = buildCreditNote(refund, sale, mappings, { contact: { ContactID: 'c' }, now: 0 });
            const xero = xeroComputes(built.payload, built.unitdp);
            assert.equal(built.expected.total, xero.total);
            assertToThePenny(xero.total, refund.amountMinor, currency, `refund ${refund.id} (${refund.kind})`);
          } else {
            const payment = (await hostRecords.payment(db(), orgId, (res.body as { payment: { id: number } }).payment.id))!;
            const wire = buildPayment(payment, 'invoice-id', { ...mappings, methodAccountCodes: { cash: '090', stripe: '090', gocardless: '090', card_terminal: '090' } });
            // Above what the sale owed, the excess is the customer's credit: a Xero overpayment beside the payment.
            const credit = payment.creditMinor ?? 0;
            assertToThePenny(Number(wire.Amount).toFixed(2), payment.amountMinor - credit, currency, `payment ${payment.id} on the invoice`);
            if (credit > 0) {
              const overpayment = buildOverpayment(payment, 'c', 'INV', { ...mappings, methodAccountCodes: { cash: '090', stripe: '090', gocardless: '090', card_terminal: '090' } });
              const kept = overpayment.LineItems.reduce((sum, l) => sum + Number(l.LineAmount), 0);
              assertToThePenny((Number(wire.Amount) + kept).toFixed(2), payment.amountMinor, currency, `payment ${payment.id}: on the invoice and kept as credit`);
            }
          }
        }
      }), { numRuns: Math.max(10, Math.round(RUNS / 2)) });
      assert.ok(accepted > 0 && refused > 0, `a useful mix: ${accepted} accepted, ${refused} refused`);
    });
  });
}
