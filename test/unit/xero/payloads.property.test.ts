// Property: for any sale the host can record, Xero's total (computed by the emulator's arithmetic from
// the JSON we send) is what was charged: exactly for 0- and 2-dp currencies, within half a cent for 3-dp
// ones; every line passes Xero's LineAmount check, and our predicted totals are Xero's.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { buildCreditNote, buildInvoice } from '../../../plugins/xero/payloads';
import { minorUnitDigits } from '../../../server/domain/currency';
import { formatScaled } from '../../../server/domain/money';
import type { RefundSnapshot } from '../../../server/domain/events';
import { makeSale, ukMappings, xeroComputes, type LineSpec } from './payloadsFixtures';

const currencies = ['GBP', 'USD', 'EUR', 'JPY', 'BHD', 'KWD', 'OMR'];
const taxTypes = ['OUTPUT2', 'RROUTPUT', 'ZERORATEDOUTPUT', 'EXEMPTOUTPUT', 'NONE'];

const lineArb: fc.Arbitrary<LineSpec> = fc.record({
  quantity: fc.oneof(
    fc.integer({ min: 1, max: 20 }).map(String),
    fc.integer({ min: 1, max: 1_000_000_0 }).map((u) => formatScaled(BigInt(u), 4)),
    fc.constantFrom('0.3333', '2.5', '0.0001', '1000000'),
  ),
  price: fc.oneof(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(1, 999, 1235, 99_999_999)),
  discount: fc.oneof(fc.constant(null), fc.constantFrom('12.5', '33.33', '99.99'), fc.integer({ min: 0, max: 9999 }).map((u) => formatScaled(BigInt(u), 2))),
  taxCode: fc.constantFrom(...taxTypes, null),
});

/** Xero's answer in the currency's minor units vs the charge. */
function gapMinor(xeroTotal: string, chargedMinor: number, currency: string): bigint {
  const digits = minorUnitDigits(currency);
  const cents = BigInt(xeroTotal.replace('.', ''));
  const xeroMinor = digits >= 2 ? cents * 10n ** BigInt(digits - 2) : cents / 10n ** BigInt(2 - digits);
  return xeroMinor - BigInt(chargedMinor);
}

describe('payload totals (property)', () => {
  it("Xero's invoice total equals the charged total", () => {
    fc.assert(
      fc.property(fc.constantFrom(...currencies), fc.array(lineArb, { minLength: 1, maxLength: 12 }), fc.boolean(), (currency, specs, handling) => {
        const sale = makeSale(currency, specs);
        const built = buildInvoice(sale, ukMappings({ lineAmountHandling: handling ? 'auto' : 'inclusive' }), { contact: { ContactID: 'c' }, saleUrl: 'u', now: 0 });
        const xero = xeroComputes(built.payload, built.unitdp);
        assert.equal(built.expected.total, xero.total);
        assert.equal(built.expected.totalTax, xero.totalTax);
        const gap = gapMinor(xero.total, sale.totalMinor, currency);
        if (minorUnitDigits(currency) <= 2) {
          assert.equal(gap, 0n);
          assert.equal(built.payload.LineItems.length, sale.lines.length, 'no rounding line for 0/2-dp currencies');
        } else {
          assert.ok(gap >= -5n && gap <= 5n, `${currency}: Xero ${xero.total} vs charged ${sale.totalMinor}`);
          assert.equal(BigInt(built.rounding?.residual.replace('.', '') ?? 'x'), -gap);
        }
      }),
      { numRuns: 400 },
    );
  });

  it("Xero's credit note total equals the refund, by amount or by line", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...currencies),
        fc.array(lineArb, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.boolean(),
        (currency, specs, permille, byLine) => {
          const sale = makeSale(currency, specs);
          fc.pre(sale.totalMinor > 0);
          const lines = byLine
            ? sale.lines.filter((l) => l.lineTotalMinor > 0).map((l) => ({ saleLineId: l.id, quantity: null, amountMinor: Math.max(1, Math.floor((l.lineTotalMinor * permille) / 10_000)) }))
            : [];
          const amountMinor = byLine ? lines.reduce((s, l) => s + l.amountMinor, 0) : Math.max(1, Math.floor((sale.totalMinor * permille) / 10_000));
          const refund: RefundSnapshot = {
            id: 9, orgId: 1, saleId: sale.id, kind: byLine ? 'lines' : 'amount', amountMinor, currency, method: 'cash', providerRef: null, reason: null, createdAt: 0, lines,
          };
          const built = buildCreditNote(refund, sale, ukMappings(), { contact: { ContactID: 'c' }, now: 0 });
          const xero = xeroComputes(built.payload, built.unitdp);
          assert.equal(built.expected.total, xero.total);
          assert.equal(built.allocationAmount, xero.total);
          const gap = gapMinor(xero.total, amountMinor, currency);
          if (minorUnitDigits(currency) <= 2) assert.equal(gap, 0n);
          else assert.ok(gap >= -5n && gap <= 5n);
        },
      ),
      { numRuns: 300 },
    );
  });
});
