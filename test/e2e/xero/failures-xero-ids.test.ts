// The failures page names the Xero records in Xero's message (issue 14: messages name invoice numbers, not
// Xero ids). Xero's ValidationError text quotes records by their ids ("The Invoice with InvoiceID 3f25… …");
// the page shows each one we know by its number or name, linked to its page in Xero (through the
// organisation's ShortCode), and leaves an id we do not know as it is. The item's message is set the way the
// worker writes Xero's answer (outbox last_error): the emulator has no refusal that quotes ids.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

const unescape = (s: string): string => s.replace(/&amp;/g, '&').replace(/&#34;/g, '"').replace(/&#39;/g, "'");

for (const kind of dbKinds()) {
  describe(`Xero ids on the failures page (${kind})`, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    it('shows the invoice by its number and the contact by its name, each linked to Xero; an unknown id stays', async () => {
      const sale = await f.sell({ reference: 'TILL-016', currency: 'GBP', customer: { name: 'Ada Ids' }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' }] });
      await f.drained();
      const invoice = (await f.books<{ InvoiceID: string; InvoiceNumber: string }>('invoices')).find((i) => i.InvoiceNumber === `LB-${sale.id}`)!;
      const contact = (await f.books<{ ContactID: string; Name: string }>('contacts')).find((c) => c.Name === 'Ada Ids')!;
      assert.ok(invoice && contact, 'the sale is in Xero');
      const unknown = '0d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a';
      const message = `A validation exception occurred: The Invoice with InvoiceID ${invoice.InvoiceID.toUpperCase()} cannot be modified; contact ${contact.ContactID} is archived; see ${unknown}`;
      const db = f.x.host.deps.db;
      const item = await db('outbox').where({ org_id: f.org.orgId, dedupe_key: `xero:invoice:${sale.id}` }).first('id');
      await db('outbox').where({ id: item.id }).update({ status: 'dead', last_error: message });

      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = (await admin.get('/plugins/xero/sync/failures').expect(200)).text;
      const row = new RegExp(`<tr data-item="${item.id}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';
      assert.match(row, /<a href="\/plugins\/xero\/sync\/records\/sale\/\d+">Sale TILL-016<\/a>/, 'the record by the sale\'s one name');
      assert.match(row, /<td>Invoice<\/td>/, 'what failed, in words (not "xero.invoice.push")');
      const cell = /<td class="message">([\s\S]*?)<\/td>/.exec(row)?.[1] ?? '';
      const text = unescape(cell.replace(/<[^>]+>/g, ''));
      assert.equal(text, `A validation exception occurred: The Invoice with InvoiceID LB-${sale.id} cannot be modified; contact Ada Ids is archived; see ${unknown}`);
      const links = [...cell.matchAll(/<a href="([^"]+)" title="([^"]+)">([^<]+)<\/a>/g)].map((m) => ({ href: unescape(m[1]!), title: unescape(m[2]!), text: m[3]! }));
      assert.deepEqual(links.map((l) => [l.title, l.text]), [[`Xero invoice LB-${sale.id}`, `LB-${sale.id}`], ['Xero contact Ada Ids', 'Ada Ids']]);

      // Each link opens that record in Xero (the emulator serves the same pages), in this organisation.
      const home = f.emu.emulator.accounting.listTenants().find((t) => t.tenantId === f.tenantId)!;
      for (const l of links) {
        const url = new URL(l.href);
        assert.equal(url.searchParams.get('shortcode'), home.shortCode, 'through the organisation login');
        const opened = await request(f.emu.url).get(l.href.slice(f.emu.url.length)).expect(200);
        assert.match(opened.text, l === links[0] ? new RegExp(`Invoice LB-${sale.id}`) : /Ada Ids/);
      }
      assert.match(links[0]!.href, new RegExp(`InvoiceID%3D${invoice.InvoiceID}`, 'i'));
      assert.match(links[1]!.href, new RegExp(`Contacts%2FView%2F${contact.ContactID}`, 'i'));
    });

    it('another organisation\'s ids are not named: they stay as Xero wrote them', async () => {
      const sale = await f.sell({ currency: 'GBP', customer: { name: 'Kept Apart' }, lines: [{ description: 'Class', quantity: 1, unitPrice: '9.00', taxCode: 'OUTPUT2' }] });
      await f.drained();
      const invoice = (await f.books<{ InvoiceID: string; InvoiceNumber: string }>('invoices')).find((i) => i.InvoiceNumber === `LB-${sale.id}`)!;
      const db = f.x.host.deps.db;
      // The same id in a record of another organisation of ours is not this one's to name.
      await f.x.ctx.db('xero_records').where({ org_id: f.org.orgId, xero_id: invoice.InvoiceID }).update({ org_id: f.org.orgId + 1000 });
      const item = await db('outbox').where({ org_id: f.org.orgId, dedupe_key: `xero:invoice:${sale.id}` }).first('id');
      await db('outbox').where({ id: item.id }).update({ status: 'dead', last_error: `Invoice ${invoice.InvoiceID} is voided` });
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const page = (await admin.get('/plugins/xero/sync/failures').expect(200)).text;
      const row = new RegExp(`<tr data-item="${item.id}">([\\s\\S]*?)</tr>`).exec(page)?.[1] ?? '';
      assert.match(row, new RegExp(`<td class="message">Invoice ${invoice.InvoiceID} is voided</td>`));
    });
  });
}
