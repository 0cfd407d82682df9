// One sale, one name (issue 14: TILL-016, "#16", "sale 16" and LB-16 all named the same sale). The rule
// (server/domain/saleName.ts): a sale is "Sale TILL-016", its own reference, or "Sale 16" without one; its
// invoice keeps Xero's number, said as "Xero invoice LB-16". Checked on every page that names a sale — the
// sales list, the sale page (heading, title, flash, downstream records), the refund review, the Xero sync
// log, failures and record pages, a payout's lines — and in the history note Xero keeps on the invoice.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const csrf = (html: string): string => /name="_csrf" value="([^"]+)"/.exec(html)![1]!;

/** Any other way of naming sale `id`: "#16", "sale 16" (but not "Sale 16" when that is its name), "sale #16". */
const otherNames = (html: string, id: number, allowNumber: boolean): string[] => {
  const text = html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
  const bad = [new RegExp(`#${id}\\b`), new RegExp(`\\bsale #?${id}\\b`)];
  if (!allowNumber) bad.push(new RegExp(`\\bSale ${id}\\b`));
  return bad.flatMap((re) => text.match(re) ?? []);
};

for (const kind of dbKinds()) {
  describe(`one sale, one name (${kind})`, () => {
    let f: SyncFixture;
    let named: number;
    let unnamed: number;
    before(async () => {
      f = await startSyncFixture(kind);
      named = (await f.sell({ reference: 'TILL-016', currency: 'GBP', customer: { name: 'Ada' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' }] })).id;
      unnamed = (await f.sell({ currency: 'GBP', customer: { name: 'Grace' }, lines: [{ description: 'Shoe hire', quantity: 1, unitPrice: '4.00', taxCode: 'OUTPUT2' }] })).id;
      await f.drained();
    });
    after(async () => f?.close());

    it('the sales list, the sale page and the refund review call the sale by its reference, its invoice "Xero invoice LB-…"', async () => {
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const list = (await staff.get('/sales').expect(200)).text;
      assert.match(list, new RegExp(`<a href="/sales/${named}">Sale TILL-016</a>`));
      assert.match(list, new RegExp(`<a href="/sales/${unnamed}">Sale ${unnamed}</a>`));
      assert.deepEqual(otherNames(list, named, false), []);

      const page = (await staff.get(`/sales/${named}`).expect(200)).text;
      assert.match(page, /<title>Sale TILL-016 · Ledgerbridge<\/title>/);
      assert.match(page, /<h1>Sale TILL-016<\/h1>/);
      assert.match(page, new RegExp(`<h2 id="figures-title-0">Xero invoice LB-${named}</h2>`));
      assert.match(page, /<td>Sale TILL-016<\/td><td><span class="status status-synced">/, 'the downstream record is for Sale TILL-016');
      assert.deepEqual(otherNames(page, named, false), []);

      const review = await staff.post(`/sales/${named}/refunds`).type('form').send({ _csrf: csrf(page), kind: 'full' }).expect(200);
      assert.match(review.text, /Refund 12\.00 GBP on Sale TILL-016\?/);

      const live = (await staff.get(`/sales/${named}/sync.json`).expect(200)).body as { records: { entityName: string; recordType: string }[] };
      assert.equal(live.records.find((r) => r.recordType === 'invoice')?.entityName, 'Sale TILL-016', 'the live table says the same (public/sale-live.js)');

      const other = (await staff.get(`/sales/${unnamed}`).expect(200)).text;
      assert.match(other, new RegExp(`<h1>Sale ${unnamed}</h1>`));
      assert.deepEqual(otherNames(other, unnamed, true), []);
    });

    it('a sale recorded from the form is announced by its name', async () => {
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const form = (await staff.get('/sales/new').expect(200)).text;
      const posted = await staff.post('/sales').type('form').send({
        _csrf: csrf(form), reference: 'TILL-099', currency: 'GBP', 'customer[name]': 'Ada',
        'lines[0][description]': 'Chalk', 'lines[0][quantity]': '1', 'lines[0][unitPrice]': '3.00', 'lines[0][taxCode]': 'OUTPUT2',
      });
      assert.equal(posted.status, 303, posted.text.slice(0, 500));
      const shown = (await staff.get(String(posted.headers.location)).expect(200)).text;
      assert.match(shown, /Sale TILL-099 recorded: 3\.00 GBP\./);
    });

    it('the sync log names a payment by its number and its sale\'s name, a contact by the name Xero shows', async () => {
      const payment = await f.pay(named, { method: 'cash', amount: '12.00' });
      await f.drained();
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const log = (await admin.get('/plugins/xero/sync/log').expect(200)).text;
      assert.match(log, new RegExp(`<a href="/plugins/xero/sync/records/payment/${payment.id}">payment ${payment.id} of Sale TILL-016</a>`));
      assert.match(log, /<td>contact &#34;Ada&#34;<\/td>/, 'the customer\'s contact by its name, not "customer 1"');
      const record = (await admin.get(`/plugins/xero/sync/records/payment/${payment.id}`).expect(200)).text;
      assert.match(record, new RegExp(`<h1>Xero: payment ${payment.id} of Sale TILL-016</h1>`));
    });

    it('the Xero sync log, record page and history note name the sale the same way', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const log = (await admin.get('/plugins/xero/sync/log').expect(200)).text;
      assert.match(log, new RegExp(`<a href="/plugins/xero/sync/records/sale/${named}">Sale TILL-016</a>`));
      assert.match(log, new RegExp(`<a href="/plugins/xero/sync/records/sale/${unnamed}">Sale ${unnamed}</a>`));
      assert.deepEqual(otherNames(log, named, false), []);
      const record = (await admin.get(`/plugins/xero/sync/records/sale/${named}`).expect(200)).text;
      assert.match(record, /<h1>Xero: Sale TILL-016<\/h1>/);

      // The note Xero keeps on each invoice, as queued (notes go out when the rate budget has room).
      const rows = (await f.x.ctx.db('outbox').where({ org_id: f.org.orgId, type: 'xero.history.note' }).select('payload')) as { payload: string | Record<string, unknown> }[];
      const details = rows.map((r) => String((typeof r.payload === 'string' ? JSON.parse(r.payload) : r.payload).details));
      assert.ok(details.some((d) => /^Created by Ledgerbridge from Sale TILL-016: http:\/\/books\.test\/sales\/\d+$/.test(d)), JSON.stringify(details));
      assert.ok(details.some((d) => d.startsWith(`Created by Ledgerbridge from Sale ${unnamed}: `)), JSON.stringify(details));
    });
  });
}
