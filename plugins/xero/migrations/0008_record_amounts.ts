import type { Knex } from 'knex';
import type { Migration } from '../../../server/plugins/contract';

// xero_records.amount_cents: what a refund's allocation or pay-out moved in Xero, as an integer number of
// hundredths of the credit note's currency (Xero keeps every amount at 2 dp whatever the currency's own
// minor unit: "Xero cents"). The allocated amount used to live only in the free-text note ("12.50", or
// "12.50 (found on the credit note)") and was read back with parseFloat; the note stays what a person reads.
//
// Upgrading: an allocation recorded ALLOCATED, or a pay-out recorded PAID, whose note starts with its
// amount gets that amount, converted from the decimal text exactly (no floating point). Notes that start
// with no amount (nothing allocated, money kept as credit) leave the column empty, as do other records.
const AMOUNT_AT_START = /^\s*(\d{1,13})(?:\.(\d{1,2}))?(?=$|[\s,(])/;

/** "12.5 (found on the credit note)" → 1250; null when the note does not start with a 2-dp amount. */
export function leadingAmountCents(note: string | null): number | null {
  const m = note === null ? null : AMOUNT_AT_START.exec(note);
  if (!m) return null;
  return Number(BigInt(m[1]!) * 100n + BigInt((m[2] ?? '').padEnd(2, '0')));
}

export const xero0008: Migration = {
  name: '0008_record_amounts',
  async up(db: Knex) {
    await db.schema.alterTable('xero_records', (t) => {
      t.bigInteger('amount_cents').nullable();
    });
    const rows = (await db('xero_records')
      .where((q) => q.where({ record_type: 'allocation', status: 'ALLOCATED' }).orWhere({ record_type: 'refund_payment', status: 'PAID' }))
      .select('id', 'note')) as { id: number; note: string | null }[];
    for (const row of rows) {
      const cents = leadingAmountCents(row.note);
      if (cents !== null) await db('xero_records').where({ id: row.id }).update({ amount_cents: cents });
    }
  },
  async down(db: Knex) {
    await db.schema.alterTable('xero_records', (t) => {
      t.dropColumn('amount_cents');
    });
  },
};
