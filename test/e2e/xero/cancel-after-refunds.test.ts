// Bookings cancelled with the deposit kept after refunds (found by the money property test), over the API and the
// sale page against the app and the Xero emulator, on SQLite and PostgreSQL, read back from Xero. The kept money's
// invoice is what was paid less what went back; the refunds' credit notes were still posted after it, so a refund
// out of a deposit or one that gave nothing back left its whole amount as the customer's credit in Xero (the
// booking system: nothing owed either way), and money given back other than out of one deposit had its credit
// note die ("not in Xero") with the deposits still holding it; a payment that was not a deposit died paying more
// than the invoice asked; money given back after the cancellation came out of a deposit the invoice counted on.
// Now the invoice also carries what went back on its own before (credited and paid out on it), money given back
// after is credited and paid out on it too, the other refunds have nothing to credit, and whatever waits for that
// invoice waits instead of failing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import request from 'supertest';
import { dbKinds } from '../../support/db';
import { postForm, type Agent } from '../../support/xero';
import { onServiceDay, setMappings, startSignedInFixture, type SyncFixture } from './syncFixture';
import { londonDay, until } from '../../support/wait';
import { balanceDifferences, booksAt, hostBalances, xeroBalances } from './customerBalances';

const DAY = 86_400_000;

interface XeroDoc { InvoiceNumber?: string; CreditNoteNumber?: string; Total: number; AmountDue?: number; RemainingCredit?: number; Status: string }

for (const kind of dbKinds()) {
  describe(`bookings cancelled with the deposit kept, after refunds (${kind})`, { timeout: 180_000 }, () => {
    let f: SyncFixture;
    let token: string;
    let staff: Agent;
    before(async () => {
      ({ f, token, staff } = await startSignedInFixture(kind));
      await setMappings(f.x, f.org.orgId, [{ kind: 'invoice_date', key: '', value: 'service_date' }, { kind: 'cancellation_account', key: '', value: '260' }]);
    });
    after(async () => f?.close());

    const post = async (path: string, body: Record<string, unknown>) => {
      const res = await request(f.x.app).post(`/api/v1${path}`).set('authorization', `Bearer ${token}`).send(body);
      assert.equal(res.status, 201, res.text);
      return res.body;
    };

    it('each customer\'s balance in Xero is the booking system\'s: nothing owed, no credit left behind, nothing failed', async () => {
      const serviceDate = londonDay(Date.now() + 40 * DAY);
      const booking = async (who: string) => (await post('/sales', {
        currency: 'GBP', customer: { name: who, email: `${who.toLowerCase()}@example.com` }, serviceDate, lines: [{ description: 'Party', quantity: 1, unitPrice: '50.00', taxCode: 'OUTPUT2' }],
      })).id as number;
      const cancel = async (saleId: number) => assert.equal((await postForm(staff, `/sales/${saleId}`, `/sales/${saleId}/cancel`)).status, 303);
      // Given back out of the deposit (a refund of its prepayment).
      const ann = await booking('Ann');
      await post(`/sales/${ann}/payments`, { method: 'cash', amount: '30.00' });
      await post(`/sales/${ann}/refunds`, { kind: 'amount', amount: '10.00', method: 'cash' });
      await cancel(ann);
      // A credit (no money back), then cancelled: the booking owes nothing.
      const ben = await booking('Ben');
      await post(`/sales/${ben}/payments`, { method: 'cash', amount: '30.00' });
      await post(`/sales/${ben}/refunds`, { kind: 'amount', amount: '10.00', method: null });
      await cancel(ben);
      // More given back than either deposit holds: its own credit note, paid out.
      const cal = await booking('Cal');
      await post(`/sales/${cal}/payments`, { method: 'cash', amount: '15.00' });
      await post(`/sales/${cal}/payments`, { method: 'card_terminal', amount: '15.00' });
      await post(`/sales/${cal}/refunds`, { kind: 'amount', amount: '20.00', method: 'cash' });
      await cancel(cal);
      // Paid more than the booking owes (not a deposit: it waits for the invoice), some given back, cancelled.
      const dee = await booking('Dee');
      await post(`/sales/${dee}/payments`, { method: 'cash', amount: '70.00' });
      await post(`/sales/${dee}/refunds`, { kind: 'amount', amount: '14.65', method: 'card_terminal' });
      await cancel(dee);
      // Money given back after the cancellation, before the kept money's invoice is posted.
      const eve = await booking('Eve');
      await post(`/sales/${eve}/payments`, { method: 'cash', amount: '30.00' });
      await until('the deposits in Xero', async () => Number(((await f.x.host.deps.db('outbox').where({ org_id: f.org.orgId, type: 'xero.deposit.push' })
        .whereIn('status', ['pending', 'leased']).count({ n: '*' })) as { n: number | string }[])[0]?.n) === 0, 60_000);
      await f.stopWorkers();
      await cancel(eve);
      await post(`/sales/${eve}/refunds`, { kind: 'amount', amount: '10.00', method: 'cash' });
      f.startWorkers();

      await onServiceDay(f, serviceDate, async () => {
        await f.x.host.deps.db('outbox').where({ org_id: f.org.orgId, status: 'pending' }).update({ available_at: Date.now() });
        await f.drained(60_000);
        assert.deepEqual(await f.x.host.deps.db('outbox').where({ org_id: f.org.orgId, status: 'dead' }).select('type', 'last_error'), [], 'nothing failed');
        const ids = [ann, ben, cal, dee, eve];
        const books = booksAt(f.emu.url, f.tenantId);
        assert.deepEqual(balanceDifferences(await xeroBalances(books), (await hostBalances(f.x.app, token, ids, 'GBP')).balances), []);
        const invoices = (await books('invoices')) as unknown as XeroDoc[];
        assert.deepEqual(ids.map((id) => invoices.find((i) => i.InvoiceNumber === `LB-${id}`)).map((i) => [i?.Total, i?.AmountDue, i?.Status]),
          [[20, 0, 'PAID'], [30, 0, 'PAID'], [30, 0, 'PAID'], [50, 0, 'PAID'], [30, 0, 'PAID']], 'the kept money, with what went back on its own');
        const notes = (await books('creditnotes')) as unknown as XeroDoc[];
        assert.deepEqual(notes.map((n) => [n.Total, n.RemainingCredit, n.Status]).sort(), [[10, 0, 'PAID'], [14.65, 0, 'PAID'], [20, 0, 'PAID']], 'only money given back on its own is credited, and paid out');
        const overpayments = (await books('overpayments')) as unknown as XeroDoc[];
        assert.deepEqual(overpayments.map((o) => o.RemainingCredit), [20], "Dee's 20.00 over is her credit");
      });
    });
  });
}

