// Settings saved through the page, then awkward invoices built with them and sent through xero-node to
// the emulator over HTTP: Xero's own totals, read back, are what was charged (to the cent; 3-dp within
// half a cent via the rounding line). The sync e2e covers the full pipeline; this pins the builders.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { bootXeroApp, logIn, postForm, seedOrg, startXeroEmulator, type RunningEmulator, type XeroTestApp } from '../../support/xero';
import { connectPrivateApp } from './syncFixture';
import { loadResolvedMappings } from '../../../plugins/xero/mappings/load';
import { getLiveConnection } from '../../../plugins/xero/connection/store';
import { clientForConnection } from '../../../plugins/xero/connection/clientFactory';
import { buildInvoice } from '../../../plugins/xero/payloads';
import { toXeroNodeInvoice } from '../../../plugins/xero/gateway/documents';
import { formatMinor } from '../../../server/domain/money';
import { makeSale } from '../../unit/xero/payloadsFixtures';

for (const kind of dbKinds().slice(0, 1)) {
  describe(`invoices built from saved settings, totalled by the emulator (${kind})`, () => {
    let emu: RunningEmulator;
    let x: XeroTestApp;
    let orgId: number;

    before(async () => {
      emu = await startXeroEmulator();
      x = await bootXeroApp(kind, { emulatorUrl: emu.url });
      const org = await seedOrg(x.host.deps.db, 'Totals Gym');
      orgId = org.orgId;
      await connectPrivateApp(x, orgId, emu.url);
      const admin = await logIn(x.app, org.emails.admin);
      const res = await postForm(admin, '/plugins/xero/settings', '/plugins/xero/settings', {
        default_sales_account: '200', default_tax: 'OUTPUT2', category_name_0: 'energy', category_tax_0: 'RROUTPUT',
        category_name_1: 'books', category_tax_1: 'ZERORATEDOUTPUT', rounding_account: '260', method_account_stripe: '090',
      });
      assert.equal(res.status, 303, res.text.slice(0, 400));
    });
    after(async () => {
      await x?.close();
      await emu?.close();
    });

    it('GBP 5 % + 20 % + zero-rated with discounts and fractional quantities, and USD: Xero totals are the charge', async () => {
      const m = await loadResolvedMappings(x.ctx.db, orgId);
      const client = await clientForConnection(x.deps, (await getLiveConnection(x.ctx.db, orgId))!);
      const sales = [
        makeSale('GBP', [{ quantity: '2.5', price: 1999, discount: '12.5' }, { quantity: '0.3333', price: 4500, discount: '33.33', category: 'energy' }, { price: 1, category: 'books' }], { id: 9001 }),
        makeSale('USD', [{ quantity: '3', price: 1999, discount: '10' }], { id: 9003 }),
      ];
      // JPY and BHD are not enabled in the demo organisation (GBP, EUR, USD are): their arithmetic is
      // proven in the unit tests against the emulator's totals.ts; here GBP and USD go over HTTP.
      for (const sale of sales) {
        const built = buildInvoice(sale, m, { contact: { Name: `Totals ${sale.id}`, ContactNumber: `LB-C-${sale.id}` }, saleUrl: `http://books.test/sales/${sale.id}`, now: Date.now() });
        const answer = await client.call((api, tenant) => api.createInvoices(tenant, { invoices: [toXeroNodeInvoice(built.payload)] }, false, built.unitdp));
        const invoice = answer.invoices?.[0];
        assert.equal(invoice?.hasErrors ?? false, false, JSON.stringify(invoice?.validationErrors));
        assert.equal(invoice?.total?.toFixed(2), formatMinor(sale.totalMinor, sale.currency), `${sale.currency} total`);
        assert.equal(invoice?.total?.toFixed(2), built.expected.total);
        assert.equal(invoice?.totalTax?.toFixed(2), built.expected.totalTax);
        assert.equal(invoice?.invoiceNumber, `LB-${sale.id}`);
      }
    });
  });
}
