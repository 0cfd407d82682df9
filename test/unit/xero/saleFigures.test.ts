// The sale page's Xero panel, its pure parts: Xero's amounts in the host's money style, the tax label, the
// order of the figures, and the tax code a line with none goes out with (never a blank).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatMinor } from '../../../server/domain/money';
import type { SaleLineSnapshot } from '../../../server/plugins/contract';
import { resolveMappingRows } from '../../../plugins/xero/mappings/load';
import { totalsOf } from '../../../plugins/xero/gateway/answers';
import { defaultTaxCodes, taxLabel, totalsFigures, xeroAmountText } from '../../../plugins/xero/routes/saleFigures';

const line = (id: number, over: Partial<SaleLineSnapshot> = {}): SaleLineSnapshot => ({
  id, position: id, description: `line ${id}`, quantity: '1', unitPriceMinor: 1000, discountRate: null, category: null, taxCode: null, lineTotalMinor: 1000, ...over,
});

describe('Xero sale figures', () => {
  it('shows Xero cents in the currency\'s own digits when they are whole minor units, else at Xero\'s 2 dp', () => {
    assert.equal(xeroAmountText(2400, 'GBP', formatMinor), '24.00 GBP');
    assert.equal(xeroAmountText(150000, 'JPY', formatMinor), '1500 JPY');
    assert.equal(xeroAmountText(150050, 'JPY', formatMinor), '1500.50 JPY', 'a JPY tax Xero kept at 2 dp is not rounded away');
    assert.equal(xeroAmountText(1234, 'BHD', formatMinor), '12.340 BHD');
    assert.equal(xeroAmountText(-500, 'GBP', formatMinor), '-5.00 GBP');
  });

  it('calls the tax VAT where the organisation\'s rates are VAT rates, else Tax', () => {
    assert.equal(taxLabel([{ name: '20% (VAT on Income)' }, { name: 'No VAT' }]), 'VAT');
    assert.equal(taxLabel([{ name: 'Sales Tax on Imports' }, { name: 'Tax Exempt' }]), 'Tax');
    assert.equal(taxLabel([]), 'Tax');
  });

  it('keeps Xero\'s totals only when the answer has all three (a summary without them is not a zero invoice)', () => {
    assert.deepEqual(totalsOf({ subTotal: 20, totalTax: 4, total: 24 }), { subTotalCents: 2000, totalTaxCents: 400, totalCents: 2400 });
    assert.equal(totalsOf({ total: 24 }), null);
    assert.equal(totalsOf({ subTotal: 20, totalTax: undefined, total: 24 }), null);
  });

  it('lists net, tax and total in that order', () => {
    const figures = totalsFigures({ subTotalCents: 2000, totalTaxCents: 400, totalCents: 2400 }, 'GBP', 'VAT', formatMinor);
    assert.deepEqual(figures.map((f) => [f.label, f.value]), [['Net', '20.00 GBP'], ['VAT', '4.00 GBP'], ['Total', '24.00 GBP']]);
  });

  it('names the tax type a line without a code goes out with, and why; a line with its own code is left alone', () => {
    const m = resolveMappingRows(1, [
      { kind: 'category_tax', key: 'Food', value: 'ZERORATEDOUTPUT' },
      { kind: 'default_tax', key: '', value: 'OUTPUT2' },
    ]);
    const codes = defaultTaxCodes([line(1), line(2, { category: 'Food' }), line(3, { taxCode: 'EXEMPTOUTPUT' }), line(4, { kind: 'tip' }), line(5, { taxCode: '  ' })], m);
    assert.deepEqual(codes, {
      1: 'OUTPUT2 (default)',
      2: 'ZERORATEDOUTPUT (default for Food)',
      4: 'NONE (default for tips)',
      5: 'OUTPUT2 (default)',
    });
  });

  it('with nothing set, the built-in default applies (20% VAT on income, OUTPUT2)', () => {
    assert.deepEqual(defaultTaxCodes([line(7)], resolveMappingRows(1, [])), { 7: 'OUTPUT2 (default)' });
  });
});
