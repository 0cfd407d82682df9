// Invoices at the value charged, to the penny: every case is checked by running the JSON we would send
// through Xero's own arithmetic (the emulator's totals.ts), not by re-reading our own numbers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildInvoice } from '../../../plugins/xero/payloads';
import { formatMinor } from '../../../server/domain/money';
import { PermanentError } from '../../../server/errors';
import { makeSale, ukMappings, xeroComputes, type LineSpec } from './payloadsFixtures';

const opts = { contact: { ContactID: 'c-1' }, saleUrl: 'https://books.example.com/sales/42', now: Date.UTC(2026, 4, 2) };

function invoiceFor(currency: string, specs: LineSpec[], mappings = ukMappings()) {
  const sale = makeSale(currency, specs);
  const built = buildInvoice(sale, mappings, opts);
  const xero = xeroComputes(built.payload, built.unitdp);
  return { sale, built, xero };
}

/** Charged total at Xero's 2 dp (exact for 0/2-dp currencies). */
const chargedAt2dp = (minor: number, currency: string) => Number(formatMinor(minor, currency)).toFixed(2);

describe('buildInvoice: header', () => {
  it('is an ACCREC invoice numbered, referenced, dated and linked from the sale', () => {
    const { built } = invoiceFor('GBP', [{ price: 1000 }]);
    const p = built.payload;
    assert.equal(p.Type, 'ACCREC');
    assert.equal(p.InvoiceNumber, 'LB-42');
    assert.equal(p.Reference, 'S-42');
    assert.equal(p.Url, opts.saleUrl);
    assert.equal(p.CurrencyCode, 'GBP');
    assert.equal(p.Date, '2026-05-01');
    assert.equal(p.DueDate, '2026-05-01');
    assert.equal(p.Status, 'AUTHORISED');
    assert.deepEqual(p.Contact, { ContactID: 'c-1' });
  });

  it('falls back to the invoice number as reference, follows the status and due-date settings', () => {
    const sale = makeSale('GBP', [{ price: 1000 }], { reference: null, occurredAt: Date.UTC(2026, 0, 31, 12) });
    const built = buildInvoice(sale, ukMappings({ invoiceStatus: 'DRAFT', dueDateRule: { kind: 'end_of_following_month' }, brandingThemeId: 'bt-1' }), opts);
    assert.equal(built.payload.Reference, 'LB-42');
    assert.equal(built.payload.Status, 'DRAFT');
    assert.equal(built.payload.DueDate, '2026-02-28');
    assert.equal(built.payload.BrandingThemeID, 'bt-1');
  });

  it("dates the invoice on the sale's day in the organisation's timezone", () => {
    // 23:30 UTC on 30 April is 00:30 on 1 May in London (BST).
    const sale = makeSale('GBP', [{ price: 1000 }], { occurredAt: Date.UTC(2026, 3, 30, 23, 30) });
    assert.equal(buildInvoice(sale, ukMappings(), { ...opts, timeZone: 'Europe/London' }).payload.Date, '2026-05-01');
    assert.equal(buildInvoice(sale, ukMappings(), opts).payload.Date, '2026-04-30');
  });
});

describe('buildInvoice: totals to the penny', () => {
  it('inclusive prices with 20 % VAT', () => {
    const { sale, built, xero } = invoiceFor('GBP', [{ quantity: '3', price: 999 }]);
    assert.equal(built.payload.LineAmountTypes, 'Inclusive');
    assert.equal(xero.total, '29.97');
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.deepEqual(built.expected, { total: '29.97', totalTax: xero.totalTax });
    assert.equal(xero.totalTax, '5.00');
    assert.equal(built.unitdp, 2);
    assert.equal(built.coding[0]?.amountForm, 'exact');
  });

  it('5 % and 20 % VAT on one sale, per category', () => {
    const m = ukMappings({ categoryTaxTypes: { energy: 'RROUTPUT' }, categoryAccountCodes: { energy: '260' } });
    const { sale, built, xero } = invoiceFor('GBP', [{ price: 1999, category: 'energy' }, { quantity: '2', price: 1250, category: 'classes' }], m);
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.equal(xero.total, '44.99');
    // 19.99 × 5/105 = 0.95; 25.00 × 20/120 = 4.17.
    assert.equal(xero.totalTax, '5.12');
    assert.equal(built.expected.totalTax, '5.12');
    const [energy, classes] = built.payload.LineItems;
    assert.equal(energy?.TaxType, 'RROUTPUT');
    assert.equal(energy?.AccountCode, '260');
    assert.equal(classes?.TaxType, 'OUTPUT2');
    assert.equal(classes?.AccountCode, '200');
  });

  it('discounts of 12.5 % and 33.33 % with quantities 2.5 and 0.3333', () => {
    const { sale, built, xero } = invoiceFor('GBP', [
      { quantity: '2.5', price: 1999, discount: '12.5' },
      { quantity: '0.3333', price: 4500, discount: '33.33' },
      { quantity: '7', price: 333, discount: '33.33' },
    ]);
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.equal(built.expected.total, xero.total);
    assert.equal(built.expected.totalTax, xero.totalTax);
    assert.equal(built.payload.LineItems[0]?.DiscountRate, 12.5);
    assert.equal(built.payload.LineItems[1]?.DiscountRate, 33.33);
    assert.ok(built.coding.every((c) => c.amountForm === 'exact'), 'GBP lines go as sold');
  });

  it('zero-rated and exempt lines keep Inclusive and their tax types (they belong on the VAT return)', () => {
    const { sale, built, xero } = invoiceFor('GBP', [{ price: 1234, taxCode: 'ZERORATEDOUTPUT' }, { price: 555, taxCode: 'exemptoutput' }]);
    assert.equal(built.payload.LineAmountTypes, 'Inclusive');
    assert.deepEqual(built.payload.LineItems.map((l) => l.TaxType), ['ZERORATEDOUTPUT', 'EXEMPTOUTPUT']);
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.equal(xero.totalTax, '0.00');
    assert.equal(built.coding[0]?.taxType.level, 'line');
  });

  it('NoTax when no line is taxable at all', () => {
    const { built, xero } = invoiceFor('GBP', [{ price: 1000 }, { price: 1 }], ukMappings({ defaultTaxType: 'NONE' }));
    assert.equal(built.payload.LineAmountTypes, 'NoTax');
    assert.equal(xero.total, '10.01');
    assert.equal(built.expected.totalTax, '0.00');
  });

  it('JPY: no decimals, fractional quantities still land on the yen charged', () => {
    const { sale, built, xero } = invoiceFor('JPY', [
      { quantity: '0.3333', price: 100 },
      { quantity: '2.5', price: 1999, discount: '12.5' },
      { quantity: '250.5', price: 3, discount: '33.33' },
      { quantity: '1', price: 1200 },
    ]);
    assert.equal(xero.total, `${sale.totalMinor}.00`);
    assert.equal(built.expected.total, xero.total);
    assert.equal(built.payload.LineItems[3]?.UnitAmount, 1200);
    // 0.3333 × ¥100 is ¥33.33 in Xero as sold; 0.3333 × ¥99.01 = ¥32.9999 → ¥33.00.
    assert.equal(built.coding[0]?.amountForm, 'unit_4dp');
    assert.equal(built.payload.LineItems[0]?.UnitAmount, 99.01);
    assert.equal(built.rounding, undefined);
  });

  it('a line Xero cannot express as sold goes as 1 × its amount and keeps its terms in the description', () => {
    // 12345.6789 × ¥7 less 33.33 % = ¥57,614 charged: no 4-dp unit amount at that quantity hits a whole yen.
    const { sale, built, xero } = invoiceFor('JPY', [{ quantity: '12345.6789', price: 7, discount: '33.33', description: 'Pool entry' }]);
    assert.equal(xero.total, `${sale.totalMinor}.00`);
    const line = built.payload.LineItems[0];
    assert.equal(built.coding[0]?.amountForm, 'collapsed');
    assert.equal(line?.Quantity, 1);
    assert.equal(line?.Description, 'Pool entry (12345.6789 × 7 JPY less 33.33 %)');
  });

  it('BHD (3 dp): a rounding line makes the Xero total the charged total at the cent, residual recorded', () => {
    const specs: LineSpec[] = [{ price: 1235 }, { price: 1235 }, { price: 1235 }, { quantity: '0.3333', price: 7777, discount: '12.5' }];
    const { sale, built, xero } = invoiceFor('BHD', specs);
    // 3 × 1.235 → Xero 1.24 each (3.72) while 3.705 + 2.268… is charged.
    const charged = BigInt(sale.totalMinor);
    const xeroFils = BigInt(xero.total.replace('.', '')) * 10n;
    assert.ok(charged - xeroFils <= 5n && xeroFils - charged <= 5n, `charged ${charged} fils, Xero ${xero.total}`);
    assert.equal(built.expected.total, xero.total);
    assert.ok(built.rounding, 'rounding audit present for 3-dp currencies');
    assert.equal(built.rounding?.charged, formatMinor(sale.totalMinor, 'BHD'));
    assert.equal(built.rounding?.xeroTotal, xero.total);
    assert.equal(built.unitdp, 4);
    const rounding = built.payload.LineItems.at(-1);
    assert.equal(rounding?.AccountCode, '260');
    assert.equal(rounding?.TaxType, 'NONE');
    assert.equal(String(rounding?.LineAmount), built.rounding?.roundingLine?.replace(/0+$/, '').replace(/\.$/, ''));
  });

  it('KWD (3 dp) with no rounding account configured is a permanent error the admin can fix', () => {
    const sale = makeSale('KWD', [{ price: 1235 }, { price: 1235 }]);
    assert.throws(() => buildInvoice(sale, ukMappings({ roundingAccountCode: null }), opts), (err: unknown) => {
      assert.ok(err instanceof PermanentError);
      assert.match(err.message, /No rounding account mapped/);
      return true;
    });
  });

  it('KWD that needs no rounding line sends none', () => {
    const { built, xero } = invoiceFor('KWD', [{ price: 1230 }, { price: 2000 }], ukMappings({ roundingAccountCode: null }));
    assert.equal(xero.total, '3.23');
    assert.equal(built.rounding?.roundingLine, null);
    assert.equal(built.rounding?.residual, '0.000');
  });

  it('a foreign currency invoice (USD in a GBP organisation) keeps its currency and its amounts', () => {
    const { sale, built, xero } = invoiceFor('USD', [{ quantity: '3', price: 1999, discount: '10' }]);
    assert.equal(built.payload.CurrencyCode, 'USD');
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'USD'));
  });

  it('a line priced 0.01, fractional quantities of it, and a free line', () => {
    const { sale, xero } = invoiceFor('GBP', [{ price: 1 }, { quantity: '0.3333', price: 1 }, { quantity: '2.5', price: 1 }, { price: 0 }]);
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.equal(xero.total, '0.04');
  });

  it('a sale of 500 lines at mixed rates and discounts', () => {
    const m = ukMappings({ categoryTaxTypes: { b: 'RROUTPUT', c: 'ZERORATEDOUTPUT' } });
    const specs: LineSpec[] = Array.from({ length: 500 }, (_, i) => ({
      quantity: ['1', '2.5', '0.3333', '3'][i % 4],
      price: 1 + ((i * 7919) % 10_000),
      discount: i % 3 === 0 ? '12.5' : i % 5 === 0 ? '33.33' : null,
      category: ['a', 'b', 'c'][i % 3],
    }));
    const { sale, built, xero } = invoiceFor('GBP', specs, m);
    assert.equal(built.payload.LineItems.length, 500);
    assert.equal(xero.total, chargedAt2dp(sale.totalMinor, 'GBP'));
    assert.equal(built.expected.totalTax, xero.totalTax);
  });

  it('refuses a sale whose lines do not add up to its total, naming both', () => {
    const sale = makeSale('GBP', [{ price: 1000 }], { totalMinor: 1001 });
    assert.throws(() => buildInvoice(sale, ukMappings(), opts), /lines add up to 10\.00 GBP but its total is 10\.01 GBP/);
  });

  it('leaves TotalTax unpredicted when a rate is unknown, but still predicts the total', () => {
    const built = buildInvoice(makeSale('GBP', [{ price: 1000, taxCode: 'SOMETHINGNEW' }]), ukMappings({ taxRates: {} }), opts);
    assert.equal(built.expected.total, '10.00');
    assert.equal(built.expected.totalTax, undefined);
  });
});

describe('buildInvoice: coding through the fallback chain', () => {
  it('says which level answered for account, tax type and tracking', () => {
    const m = ukMappings({
      categoryAccountCodes: { swim: '260' },
      categoryTaxTypes: { swim: 'ZERORATEDOUTPUT' },
      taxCodeTaxTypes: { kids: 'ZERORATEDOUTPUT' },
      categoryTracking: { swim: [{ name: 'Venue', option: 'Pool' }] },
      defaultTracking: [{ name: 'Region', option: 'North' }],
      builtInDefaults: ['defaultSalesAccountCode'],
    });
    const { built } = invoiceFor('GBP', [{ price: 500, category: 'swim' }, { price: 500, category: 'gym', taxCode: 'kids' }], m);
    const [swim, gym] = built.coding;
    assert.deepEqual(swim?.account, { value: '260', level: 'category', key: 'swim' });
    assert.deepEqual(swim?.taxType, { value: 'ZERORATEDOUTPUT', level: 'category', key: 'swim' });
    assert.deepEqual(swim?.tracking.level, 'category');
    assert.deepEqual(gym?.account, { value: '200', level: 'built_in' });
    assert.deepEqual(gym?.taxType, { value: 'ZERORATEDOUTPUT', level: 'line', key: 'kids' });
    assert.deepEqual(gym?.tracking, { value: [{ name: 'Region', option: 'North' }], level: 'organisation' });
    assert.deepEqual(built.payload.LineItems[0]?.Tracking, [{ Name: 'Venue', Option: 'Pool' }]);
    assert.deepEqual(built.payload.LineItems[1]?.Tracking, [{ Name: 'Region', Option: 'North' }]);
  });
});
