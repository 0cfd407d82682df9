// A connection made before the organisation's ShortCode was kept (xero 0017) linked into Xero by bare paths
// until an admin reconnected. Its next sync reads the ShortCode once (GET /Organisation) and keeps it: the
// sale page's links go through Xero's organisation login from then on, without reconnecting. A failed read
// does not stop the sync and is asked again next time; once kept, it is never asked again.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { logIn } from '../../support/xero';
import { startSyncFixture, type SyncFixture } from './syncFixture';

type Call = { method: string; url: string; status: number };

for (const kind of dbKinds()) {
  describe(`the ShortCode of a connection made before it was kept (${kind})`, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind);
    });
    after(async () => f?.close());

    const liveShortCode = async (): Promise<string | null> =>
      ((await f.x.ctx.db('xero_connections').where({ org_id: f.org.orgId }).whereNull('ended_at').first('short_code')) as { short_code: string | null }).short_code;
    const organisationReads = async (): Promise<Call[]> =>
      ((await request(f.emu.url).get('/_emulator/calls').expect(200)).body as Call[]).filter((c) => c.method === 'GET' && /\/api\.xro\/2\.0\/Organisation\b/.test(c.url));
    const sell = (name: string) => f.sell({ currency: 'GBP', customer: { name }, lines: [{ description: 'Day pass', quantity: 1, unitPrice: '12.00', taxCode: 'OUTPUT2' }] });

    it('a failed read leaves the sync alone and the link bare; the next sync keeps it once, and the links open the organisation', async () => {
      const home = f.emu.emulator.accounting.listTenants().find((t) => t.tenantId === f.tenantId)!;
      await f.x.ctx.db('xero_connections').where({ org_id: f.org.orgId }).whereNull('ended_at').update({ short_code: null });
      await request(f.emu.url).delete('/_emulator/calls').expect(204);

      // Xero does not answer the read: the invoice goes all the same; nothing is kept.
      await request(f.emu.url).post('/_emulator/faults').send({ path: '/api.xro/2.0/Organisation', method: 'GET', kind: '500' }).expect(201);
      const first = await sell('Before Read');
      await f.drained();
      assert.ok((await f.books<{ InvoiceNumber: string }>('invoices')).some((i) => i.InvoiceNumber === `LB-${first.id}`), 'the sale reached Xero');
      assert.equal(await liveShortCode(), null, 'nothing kept from a failed read');
      assert.ok((await organisationReads()).length >= 1, 'it was asked');
      const admin = await logIn(f.x.app, f.org.emails.admin);
      const bare = (await admin.get(`/sales/${first.id}`).expect(200)).text;
      assert.match(bare, new RegExp(`<a href="${f.emu.url}/AccountsReceivable/View\\.aspx\\?InvoiceID=[0-9a-f-]{36}">`), 'a bare link while the ShortCode is unknown');

      await request(f.emu.url).delete('/_emulator/faults').expect(204);
      await request(f.emu.url).delete('/_emulator/calls').expect(204);
      await sell('After Read');
      await f.drained();
      assert.equal(await liveShortCode(), home.shortCode, 'kept from GET /Organisation');
      await sell('Once Kept');
      await f.drained();
      assert.equal((await organisationReads()).length, 1, 'read once: later syncs do not ask again');

      // The first sale's links now go through the organisation login, and open its invoice.
      const page = (await admin.get(`/sales/${first.id}`).expect(200)).text;
      const href = /<a href="([^"]+)">LB-\d+ \(Open in Xero\)<\/a>/.exec(page)?.[1]?.replace(/&amp;/g, '&');
      assert.ok(href, 'an invoice link');
      const url = new URL(href);
      assert.equal(url.pathname, '/organisationlogin/default.aspx');
      assert.equal(url.searchParams.get('shortcode'), home.shortCode);
      const opened = await request(f.emu.url).get(href.slice(f.emu.url.length)).expect(200);
      assert.match(opened.text, new RegExp(`Invoice LB-${first.id}`));
    });
  });
}
