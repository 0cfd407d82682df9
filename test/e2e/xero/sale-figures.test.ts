// The sale page's Xero invoice panel (issue 14): the net, VAT and total are Xero's own (SubTotal, TotalTax,
// Total from the invoice answer, kept in xero_records), not figures we recomputed; a line with no tax code
// shows the tax rate it went out with ("OUTPUT2 (default)") instead of a blank; before Xero has the invoice,
// and for an invoice sent before the totals were kept, the panel says so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { forgetCatalogue } from '../../../plugins/xero/mappings/catalogue';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { setMappings, startSyncFixture, type SyncFixture } from './syncFixture';

const testIdText = (html: string, id: string): string[] =>
  [...html.matchAll(new RegExp(`data-testid="${id}">([^<]*)<`, 'g'))].map((m) => m[1]!);

for (const kind of dbKinds()) {
  describe(`the sale page's Xero invoice figures (${kind})`, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
      await setMappings(f.x, f.org.orgId, [{ kind: 'category_tax', key: 'Food', value: 'ZERORATEDOUTPUT' }]);
    });
    after(async () => f?.close());

    it('shows Xero\'s net, VAT and total, and the tax code each default line went out with', async () => {
      const sale = await f.sell({
        currency: 'GBP', customer: { name: 'Ada' },
        lines: [
          { description: 'Day pass', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' },
          { description: 'Shoe hire', quantity: 1, unitPrice: '4.99' },
          { description: 'Flapjack', quantity: 1, unitPrice: '2.50', category: 'Food' },
        ],
      });
      await f.drained();
      const [invoice] = (await f.books<{ InvoiceNumber: string; SubTotal: number; TotalTax: number; Total: number }>('invoices')).filter((i) => i.InvoiceNumber === `LB-${sale.id}`);
      assert.ok(invoice);
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const before = (await admin.get(`/sales/${sale.id}`).expect(200)).text;
      assert.match(before, /<dt>Tax<\/dt>/, 'before Xero\'s tax rates are read, the tax is not called VAT');
      // The settings page reads the organisation's tax rates from Xero (and keeps them): VAT rates.
      forgetCatalogue(f.org.orgId);
      await admin.get('/plugins/xero/settings').expect(200);
      const page = (await admin.get(`/sales/${sale.id}`).expect(200)).text;
      assert.match(page, new RegExp(`<h2 id="figures-title-0">Xero invoice LB-${sale.id}</h2>`));
      const money = (n: number) => `${n.toFixed(2)} GBP`;
      assert.deepEqual([testIdText(page, 'xero-net'), testIdText(page, 'xero-tax'), testIdText(page, 'xero-total')],
        [[money(invoice.SubTotal)], [money(invoice.TotalTax)], [money(invoice.Total)]]);
      // 12.00 + 4.99 at 20 % inclusive: 2.00 + 0.83 VAT; the flapjack zero-rated. Xero's figures, as Xero rounded them.
      assert.deepEqual([invoice.SubTotal, invoice.TotalTax, invoice.Total], [16.66, 2.83, 19.49]);
      assert.match(page, /<dt>VAT<\/dt>/);
      assert.deepEqual(testIdText(page, 'line-tax-code'), ['OUTPUT2', 'OUTPUT2 (default)', 'ZERORATEDOUTPUT (default for Food)']);
    });

    it('says when Xero does not have the invoice yet, and when it was sent before the totals were kept', async () => {
      await f.stopWorkers();
      const sale = await f.sell({ currency: 'GBP', customer: { name: 'Grace' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '12.00' }] });
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const waiting = (await admin.get(`/sales/${sale.id}`).expect(200)).text;
      assert.match(waiting, /Not in Xero yet: the net, tax and total appear here/);
      assert.deepEqual(testIdText(waiting, 'xero-total'), []);
      assert.deepEqual(testIdText(waiting, 'line-tax-code'), ['OUTPUT2 (default)'], 'the default is named before the invoice is sent');

      f.startWorkers();
      await f.drained();
      await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: sale.id, record_type: 'invoice' })
        .update({ sub_total_cents: null, total_tax_cents: null, total_cents: null });
      const older = (await admin.get(`/sales/${sale.id}`).expect(200)).text;
      assert.match(older, /Sent before Ledgerbridge kept Xero&#39;s totals/);
      assert.deepEqual(testIdText(older, 'xero-total'), []);
    });
  });
}
