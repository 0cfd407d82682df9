// Migration 0008 (plugins/xero/migrations/0008_record_amounts.ts): an install upgrading with allocations and
// refund pay-outs recorded gets their amounts in xero_records.amount_cents, read exactly from the start of
// each note (which stays as it was); notes without an amount, and other records, leave the column empty.
// SQLite and PostgreSQL.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestDatabase, dbKinds, type TestDatabase } from '../../support/db';
import { migrateLatest } from '../../../server/db/migrate';
import { xeroPlugin } from '../../../plugins/xero';
import { leadingAmountCents } from '../../../plugins/xero/migrations/0008_record_amounts';

const migrations = xeroPlugin.migrations ?? [];
const before0008 = migrations.filter((m) => m.name < '0008');

describe('the leading amount of a note', () => {
  it('is read exactly, in hundredths, or not at all', () => {
    assert.equal(leadingAmountCents('12.50'), 1250);
    assert.equal(leadingAmountCents('0.05 (found on the credit note)'), 5);
    assert.equal(leadingAmountCents('0.29 GBP (found on the credit note)'), 29, 'as notes are written now, with their currency');
    assert.equal(leadingAmountCents('7.5'), 750);
    assert.equal(leadingAmountCents('12'), 1200);
    assert.equal(leadingAmountCents('1234567890123.99'), 123456789012399);
    assert.equal(leadingAmountCents('12.00 USD at CurrencyRate 1.25, out of stripe\'s clearing account'), 1200);
    assert.equal(leadingAmountCents('not allocated: invoice LB-4 had nothing left to pay'), null);
    assert.equal(leadingAmountCents('1.005'), null, 'not a 2-dp amount: nothing guessed');
    assert.equal(leadingAmountCents(null), null);
  });
});

for (const kind of dbKinds()) {
  describe(`upgrading to typed record amounts (${kind})`, { timeout: 60_000 }, () => {
    let t: TestDatabase;
    before(async () => {
      t = await createTestDatabase(kind, [{ id: 'xero', migrations: before0008 }]);
    });
    after(async () => t?.destroy());

    it('moves each allocated or paid-out amount from its note into amount_cents', async () => {
      const row = (entityId: number, recordType: string, status: string, note: string | null) => ({
        org_id: 1, tenant_id: 't-1', entity_type: 'refund', entity_id: entityId, record_type: recordType, status, note, created_at: 1, updated_at: 1,
      });
      await t.db('xero_records').insert([
        row(1, 'allocation', 'ALLOCATED', '12.50'),
        row(2, 'allocation', 'ALLOCATED', '0.29 GBP (found on the credit note)'),
        row(3, 'allocation', 'NONE', 'not allocated: money went back (cash), so the note is paid out in full'),
        row(4, 'refund_payment', 'PAID', '4.35'),
        row(5, 'refund_payment', 'PAID', '12.00 USD at CurrencyRate 1.25, out of stripe\'s clearing account with payout po_1'),
        row(6, 'refund_payment', 'AWAITING_PAYOUT', '12.50 to be paid out when stripe\'s payout is posted'),
        row(7, 'credit_note', 'AUTHORISED', '99.99'),
      ]);
      await migrateLatest(t.db, [{ id: 'xero', migrations }]);
      const rows = (await t.db('xero_records').orderBy('entity_id').select('entity_id', 'amount_cents', 'note')) as { entity_id: number; amount_cents: number | string | null; note: string }[];
      assert.deepEqual(rows.map((r) => [Number(r.entity_id), r.amount_cents === null ? null : Number(r.amount_cents)]), [
        [1, 1250], [2, 29], [3, null], [4, 435], [5, 1200], [6, null], [7, null],
      ]);
      assert.equal(rows[1]!.note, '0.29 GBP (found on the credit note)', 'the note is left as a person reads it');
    });
  });
}
