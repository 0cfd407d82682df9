// Links to records in Xero (issue 14): the sale page links each synced record to its page in Xero's web app
// (Xero's deep links; the plugin provides them through PluginDefinition.externalLink), the live sync JSON
// carries the same link, and the emulator serves those pages, so the links work in the demo and here: an
// invoice shows its number, tax and total; a credit note and a payment too; a record that is not there, or
// not in the organisation the ShortCode names, is "Page not found". And "Send to Xero now" is on the sale page
// (PluginDefinition.saleActions), for those who may use it, and comes back to the sale page.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { csrfFrom, logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

type Json = Record<string, unknown>;
const unescape = (s: string): string => s.replace(/&amp;/g, '&');
/** A deep link through Xero's organisation login: the organisation's ShortCode and the record's path. */
const parts = (href: string): { shortCode: string | null; path: string } => {
  const url = new URL(href);
  return { shortCode: url.searchParams.get('shortcode'), path: url.searchParams.get('redirecturl') ?? '' };
};

for (const kind of dbKinds()) {
  describe(`links to records in Xero (${kind})`, () => {
    let f: SyncFixture;
    let saleId: number;
    let refundId: number;
    before(async () => {
      f = await startSyncFixture(kind);
      saleId = (await f.sell({ currency: 'GBP', customer: { name: 'Ada' }, lines: [{ description: 'Day pass', quantity: 2, unitPrice: '12.00', taxCode: 'OUTPUT2' }] })).id;
      await f.pay(saleId, { method: 'cash', amount: '24.00' });
      refundId = (await f.refund(saleId, { kind: 'amount', amount: '6.00', method: 'cash' })).id;
      await f.drained();
    });
    after(async () => f?.close());

    it('the sale page links the invoice, the credit note and the payments to their pages in Xero, which open', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = await admin.get(`/sales/${saleId}`).expect(200);
      const links = [...page.text.matchAll(/<a href="([^"]+)">([^<]+) \(Open in Xero\)<\/a>/g)].map((m) => ({ href: unescape(m[1]!), text: m[2]! }));
      const invoiceLink = links.find((l) => parts(l.href).path.startsWith('/AccountsReceivable/View.aspx?InvoiceID='));
      assert.ok(invoiceLink, `an invoice link: ${JSON.stringify(links)}`);
      assert.ok(invoiceLink.href.startsWith(`${f.emu.url}/organisationlogin/default.aspx?`), 'the demo points the links at the emulator, through the organisation login');
      const home = f.emu.emulator.accounting.listTenants().find((t) => t.tenantId === f.tenantId)!;
      assert.ok(links.every((l) => parts(l.href).shortCode === home.shortCode), 'every link names the connected organisation by its ShortCode');
      assert.ok(links.some((l) => parts(l.href).path.startsWith('/AccountsReceivable/ViewCreditNote.aspx?creditNoteID=')), 'a credit note link');
      assert.ok(links.some((l) => parts(l.href).path.startsWith('/Bank/ViewTransaction.aspx?paymentID=')), 'a payment link');

      const opened = await request(f.emu.url).get(invoiceLink.href.slice(f.emu.url.length)).expect(200);
      assert.match(opened.text, new RegExp(`<h1>Invoice ${invoiceLink.text}</h1>`));
      assert.match(opened.text, /Total tax<\/th><td>4\.00 GBP/, 'VAT of 24.00 inclusive at 20 %');
      assert.match(opened.text, /Total<\/th><td>24\.00 GBP/);
      const invoices = await f.books<Json>('invoices');
      assert.ok(invoices.some((i) => parts(invoiceLink.href).path.endsWith(`InvoiceID=${String(i.InvoiceID)}`)), 'the link names the invoice in the books');
      for (const l of links) await request(f.emu.url).get(l.href.slice(f.emu.url.length)).expect(200);
    });

    it('the live sync JSON carries the same links', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const json = (await admin.get(`/sales/${saleId}/sync.json`).expect(200)).body as { records: Json[] };
      const invoice = json.records.find((r) => r.recordType === 'invoice')!;
      assert.match(parts(String(invoice.externalUrl)).path, /^\/AccountsReceivable\/View\.aspx\?InvoiceID=[0-9a-f-]{36}$/);
      assert.equal(invoice.externalLabel, 'Open in Xero');
    });

    it('the Xero invoice panel links the invoice and the customer\'s contact, and the sync record page its records; all open', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = (await admin.get(`/sales/${saleId}`).expect(200)).text;
      const panel = /<section class="panel"[^>]*data-testid="sale-figures">([\s\S]*?)<\/section>/.exec(page)?.[1] ?? '';
      const links = [...panel.matchAll(/<a href="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: unescape(m[1]!), text: m[2]! }));
      assert.deepEqual(links.map((l) => l.text), [`Open Xero invoice LB-${saleId} in Xero`, 'Xero contact: Ada']);
      const contacts = await f.books<Json>('contacts');
      const ada = contacts.find((c) => c.Name === 'Ada')!;
      assert.equal(parts(links[1]!.href).path, `/Contacts/View/${String(ada.ContactID)}`);
      for (const l of links) {
        const opened = await request(f.emu.url).get(l.href.slice(f.emu.url.length)).expect(200);
        if (l === links[1]) assert.match(opened.text, /Ada/);
      }

      const record = (await admin.get(`/plugins/xero/sync/records/sale/${saleId}`).expect(200)).text;
      const recordLinks = [...record.matchAll(/<a href="([^"]+)">([^<]+) \(Open in Xero\)<\/a>/g)].map((m) => unescape(m[1]!));
      assert.equal(recordLinks.length, 1, 'the invoice (an allocation has no page in Xero)');
      assert.match(parts(recordLinks[0]!).path, /^\/AccountsReceivable\/View\.aspx\?InvoiceID=/);
      await request(f.emu.url).get(recordLinks[0]!.slice(f.emu.url.length)).expect(200);
    });

    it('a refund\'s record page links its refund payment without showing its Xero id as the link, and says the amount with its currency', async () => {
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = (await admin.get(`/plugins/xero/sync/records/refund/${refundId}`).expect(200)).text;
      const row = /<tr><td>refund payment<\/td>([\s\S]*?)<\/tr>/.exec(page)?.[1] ?? '';
      assert.match(row, /<a href="[^"]+">Open in Xero<\/a>/, 'a payment has no number: the link says what it does, not the GUID');
      assert.match(row, /<td>6\.00 GBP<\/td>/);
      assert.match(page, /6\.00 GBP paid out from 091/, 'the trail names the currency');
    });

    it('the ShortCode form opens the record in that organisation only; an unknown record is not found', async () => {
      const invoiceId = String((await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, record_type: 'invoice' }).first('xero_id')).xero_id);
      const [uk, us] = f.emu.emulator.accounting.listTenants();
      const deep = (shortCode: string) => `/organisationlogin/default.aspx?shortcode=${encodeURIComponent(shortCode)}&redirecturl=${encodeURIComponent(`/AccountsReceivable/View.aspx?InvoiceID=${invoiceId}`)}`;
      const home = uk!.tenantId === f.tenantId ? uk! : us!;
      const other = home === uk ? us! : uk!;
      await request(f.emu.url).get(deep(home.shortCode)).expect(200);
      await request(f.emu.url).get(deep(other.shortCode)).expect(404);
      await request(f.emu.url).get('/AccountsReceivable/View.aspx?InvoiceID=00000000-0000-0000-0000-000000000000').expect(404);
    });

    it('"Send to Xero now" on the sale page queues a check-and-send and comes back to the sale page; an accountant has no button', async () => {
      const staff = await logIn(f.x.app, f.org.emails.staff);
      const page = await staff.get(`/sales/${saleId}`).expect(200);
      // Within one form: the sale page has other sale-action forms (Cancel the sale) before it.
      const form = /<form method="post" action="([^"]+)" class="sale-action">(?:(?!<\/form>)[\s\S])*?name="returnTo" value="([^"]+)"(?:(?!<\/form>)[\s\S])*?<button type="submit" class="button">Send to Xero now<\/button>/.exec(page.text);
      assert.ok(form, 'the button is on the sale page');
      const sent = await staff.post(form[1]!).type('form').send({ _csrf: csrfFrom(page), returnTo: form[2]! }).expect(303);
      assert.equal(sent.headers.location, `/sales/${saleId}`);
      const resends = await f.x.ctx.db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'sale', entity_id: saleId, action: 'resend' }).select('message', 'actor');
      assert.equal(resends.length, 1, 'one send-now, recorded in the audit trail');
      assert.match(String(resends[0].message), /^Send now/);
      assert.match(String(resends[0].actor), new RegExp(`\\(${f.org.emails.staff.replace(/[.]/g, '\\.')}\\)$`), 'who asked: name and email');
      const back = await staff.get(`/sales/${saleId}`).expect(200);
      assert.match(back.text, /Queued: the sale is checked against Xero and sent if it is not there yet\./);
      const accountant = await logIn(f.x.app, f.org.emails.accountant);
      assert.doesNotMatch((await accountant.get(`/sales/${saleId}`).expect(200)).text, /Send to Xero now/);
    });
  });
}
