// The contact race, made deterministic: two workers' batches for one organisation, each with a sale of the
// same new customer, run concurrently (two claims of one item each, two handler runs). The emulator answers
// both contact lookups late (a 'slow' fault: served at once, answered 600 ms later), so BOTH find no contact
// and BOTH try to create it; the second creation hits Xero's unique-name rule. The fix in
// plugins/xero/sync/contacts.ts looks a refused name up by our ContactNumber first and adopts it: one contact,
// both invoices on it. Before the fix the loser created the collision variant "<name> (<id>)" with the same
// ContactNumber: two contacts for one customer. SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { claimBatch } from '../../../server/outbox/claim';
import { nowMs } from '../../../server/db/knex';
import { dbKinds } from '../../support/db';
import { startSyncFixture, type SyncFixture } from './syncFixture';

type Contact = { ContactID: string; Name: string; ContactNumber?: string };
type Invoice = { InvoiceNumber: string; Contact?: { ContactID?: string } };

for (const kind of dbKinds()) {
  describe(`Xero contact race (${kind})`, { timeout: 120_000 }, () => {
    let f: SyncFixture;
    before(async () => {
      f = await startSyncFixture(kind, { workers: false, env: { XERO_SYNC_COALESCE_MS: '0' } });
    });
    after(async () => f?.close());

    it('two batches both find no contact and both create it: one contact in Xero, both invoices on it', async () => {
      const customer = { name: 'Race Customer', email: 'race@example.com' };
      const line = { description: 'Class', quantity: 1, unitPrice: '10.00', taxCode: 'OUTPUT2' };
      const s1 = await f.sell({ currency: 'GBP', customer, lines: [line] });
      const s2 = await f.sell({ currency: 'GBP', customer, lines: [line] });
      const db = f.x.host.deps.db;
      const handler = f.x.host.deps.plugins.handlers.get('xero.invoice.push')!;

      // Both lookups are served (finding nothing) at once and answered late, so neither sees the other's contact.
      const emu = request(f.emu.url);
      await emu.post('/_emulator/faults').send({ path: '/api.xro/2.0/Contacts', method: 'GET', kind: 'slow', delayMs: 600, count: 2 }).expect(201);

      // Two workers, one item each: what two worker processes claiming at the same moment would hold.
      const claim = (workerId: string) => claimBatch(db, { types: ['xero.invoice.push'], workerId, leaseMs: 30_000, limit: 1, now: nowMs() });
      const a = await claim('race-a');
      const b = await claim('race-b');
      assert.equal(a.length, 1);
      assert.equal(b.length, 1);
      const signal = new AbortController().signal;
      const [outA, outB] = await Promise.all([handler.handle(a, { workerId: 'race-a', signal }), handler.handle(b, { workerId: 'race-b', signal })]);
      assert.deepEqual([outA[0]!.status, outB[0]!.status], ['done', 'done'], JSON.stringify([outA, outB]));

      const calls = ((await emu.get('/_emulator/calls')).body as { method: string; url: string; status: number; body: string | null }[])
        .filter((c) => new URL(c.url).pathname === '/api.xro/2.0/Contacts');
      assert.equal(calls.filter((c) => c.method === 'GET').length >= 2, true, 'both batches looked the customer up');
      const puts = calls.filter((c) => c.method === 'PUT');
      assert.equal(puts.length, 2, 'both batches tried to create the contact (the race happened)');

      const contacts = (await f.books<Contact>('contacts')).filter((c) => c.Name.startsWith('Race Customer'));
      assert.equal(contacts.length, 1, `one contact for one customer, got ${JSON.stringify(contacts.map((c) => c.Name))}`);
      const invoices = (await f.books<Invoice>('invoices')).filter((i) => [`LB-${s1.id}`, `LB-${s2.id}`].includes(i.InvoiceNumber));
      assert.equal(invoices.length, 2);
      for (const inv of invoices) assert.equal(inv.Contact?.ContactID, contacts[0]!.ContactID);
      const audit = await db('xero_audit').where({ org_id: f.org.orgId, entity_type: 'customer' }).pluck('message');
      assert.ok(audit.some((m: string) => /after a name clash/.test(m)), `the loser adopted the winner's contact: ${JSON.stringify(audit)}`);
    });
  });
}
